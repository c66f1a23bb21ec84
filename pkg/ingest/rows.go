package ingest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/duban-gov/duban/pkg/plan"
)

// dataReader turns the data rows of one identified sheet into observations.
type dataReader struct {
	r       *reader
	sc      *sheetScan
	l       *layout
	name    string
	col     map[field]int // field → 0-based cell index
	keys    map[string]int
	allowed map[string]bool // the layout's units, for a lookup per row that does not grow with them
	n       int
	lastRow int
}

func newDataReader(r *reader, sc *sheetScan) *dataReader {
	d := &dataReader{r: r, sc: sc, l: sc.layout, name: sc.entry.Name, col: map[field]int{}, keys: map[string]int{},
		allowed: make(map[string]bool, len(sc.layout.units))}
	for _, u := range sc.layout.units {
		d.allowed[u] = true
	}
	for i, c := range sc.layout.cols {
		if sc.cols[i] >= 0 {
			d.col[c.field] = sc.cols[i]
		}
	}
	return d
}

// shownOnly are columns a template fills for the clerk to read; they do not
// make a row a data row.
func shownOnly(f field) bool { return f == fNote || f == fTask || f == fDeliverable || f == fDue }

func (d *dataReader) get(row sheetRow, f field) (cellValue, string, bool) {
	i, ok := d.col[f]
	if !ok {
		return cellValue{}, "", false
	}
	return row.cell(i), cellName(i+1, row.Num), true
}

func (d *dataReader) blankRow(row sheetRow) bool {
	for f, i := range d.col {
		if shownOnly(f) {
			continue
		}
		c := row.cell(i)
		if clean(c.Raw) != "" || c.NoCache {
			return false
		}
	}
	return true
}

func (d *dataReader) header(f field) string {
	if i := d.l.col(f); i >= 0 {
		return d.l.cols[i].header
	}
	return ""
}

func (d *dataReader) row(row sheetRow) {
	d.n++
	d.lastRow = row.Num
	for f, i := range d.col {
		if row.cell(i).NoCache {
			d.r.cellError("format-error", d.name, cellName(i+1, row.Num), row.Num, "", d.header(f),
				"公式没有计算结果(文件保存时未经 Excel 计算):请在 Excel 中打开、确认数值后保存,再重新上传")
			return
		}
	}
	if row.Hidden {
		d.r.warn("hidden-row", d.name, cellName(1, row.Num), row.Num, "", fmt.Sprintf("第 %d 行是隐藏行,其中的数据已读取,请确认是否应当报送", row.Num))
	}
	switch {
	case d.l.ind == nil:
		d.milestoneRow(row)
	case d.l.ind.Rows == plan.RowsRecords:
		d.recordRow(row)
	default:
		d.figureRow(row)
	}
}

func (d *dataReader) keep(o plan.Observation, cell, raw string, row int) {
	d.r.obs = append(d.r.obs, o)
	d.r.src = append(d.r.src, source{sheet: d.name, cell: cell, raw: raw, row: row})
}

// duplicate reports a key seen before on this sheet.
func (d *dataReader) duplicate(key, shown, cell string, row int) bool {
	if prev, dup := d.keys[key]; dup {
		d.r.cellError("duplicate-row", d.name, cell, row, shown, "",
			fmt.Sprintf("「%s」重复,第 %d 行已填报过,同一%s只能填一行", shown, prev, map[bool]string{true: "编号", false: "单位"}[d.l.ind == nil || d.l.ind.Rows == plan.RowsRecords]))
		return true
	}
	d.keys[key] = row
	return false
}

// rowUnit reads the unit a row is about.
func (d *dataReader) rowUnit(row sheetRow) (string, bool) {
	ind := d.l.ind
	c, cell, ok := d.get(row, fUnit)
	raw := clean(c.Raw)
	if !ok || raw == "" {
		if ind.Rows == plan.RowsReporter {
			return d.r.unit, true
		}
		if !ok {
			return "", false
		}
		d.r.cellError("missing-cell", d.name, cell, row.Num, "", "地区名称", "未填写地区,应从下拉框选择地区名称")
		return "", false
	}
	what := "地区"
	if ind.Rows == plan.RowsReporter {
		what = "单位"
	}
	id, found := d.r.units.lookup(raw)
	switch {
	case !found:
		d.r.cellError("foreign-key-error", d.name, cell, row.Num, raw, "本表的"+what, d.r.unknownUnitMsg(raw, what, d.l.units))
		return "", false
	case !d.allowed[id]:
		d.r.cellError("constraint-error", d.name, cell, row.Num, raw, "本表的"+what,
			fmt.Sprintf("「%s」不是本表应报送的%s(本表报送:%s)", raw, what, d.unitNames()))
		return "", false
	}
	return id, true
}

func (d *dataReader) unitNames() string {
	names := make([]string, len(d.l.units))
	for i, id := range d.l.units {
		names[i] = d.r.p.UnitName(id)
	}
	return strings.Join(names, "、")
}

// number reads a figure that must be a non-negative number (a whole one if whole).
func (d *dataReader) number(row sheetRow, f field, whole bool) (v float64, raw, cell string, ok bool) {
	c, cell, present := d.get(row, f)
	if !present {
		return 0, "", "", false
	}
	raw = clean(c.Raw)
	expected := "非负数"
	if whole {
		expected = "非负整数"
	}
	head := d.header(f)
	v, pct, err := ParseNumber(c.Raw)
	switch {
	case errors.Is(err, ErrBlank):
		d.r.cellError("missing-cell", d.name, cell, row.Num, "", expected, fmt.Sprintf("未填写「%s」,应填写%s(没有发生请填 0)", head, expected))
		return 0, raw, cell, false
	case err != nil || pct:
		d.r.cellError("type-error", d.name, cell, row.Num, raw, expected, fmt.Sprintf("「%s」不是有效数字,应填写%s", raw, expected))
		return 0, raw, cell, false
	case v < 0:
		d.r.cellError("constraint-error", d.name, cell, row.Num, raw, expected, fmt.Sprintf("「%s」是负数,应填写%s", raw, expected))
		return 0, raw, cell, false
	case whole && v != math.Trunc(v):
		d.r.cellError("constraint-error", d.name, cell, row.Num, raw, expected, fmt.Sprintf("「%s」不是整数,应填写%s", raw, expected))
		return 0, raw, cell, false
	}
	if c.Text && !c.Formula {
		d.r.warn("number-as-text", d.name, cell, row.Num, raw, fmt.Sprintf("「%s」是以文本格式存储的数字,已按 %s 读取,请核实", raw, formatFigure(v)))
	}
	return v, raw, cell, true
}

func (d *dataReader) figureRow(row sheetRow) {
	ind := d.l.ind
	unit, ok := d.rowUnit(row)
	if !ok {
		return
	}
	c, cell, _ := d.get(row, fUnit)
	if cell == "" {
		cell = cellName(1, row.Num)
	}
	if d.duplicate(unit, firstNonEmpty(clean(c.Raw), d.r.p.UnitName(unit)), cell, row.Num) {
		return
	}
	o := plan.Observation{Indicator: ind.ID, Unit: unit}
	switch ind.Kind {
	case plan.Level, plan.Count:
		v, raw, cell, ok := d.number(row, fValue, ind.Kind == plan.Count)
		if !ok {
			return
		}
		o.Value = &v
		d.keep(o, cell, raw, row.Num)
	case plan.Cumulative:
		v, raw, cell, ok := d.number(row, fTotal, true)
		if !ok {
			return
		}
		o.Total = &v
		d.keep(o, cell, raw, row.Num)
	case plan.Ratio, plan.Coverage:
		d.ratioRow(row, o)
	default:
		d.r.cellError("format-error", d.name, cell, row.Num, "", "", fmt.Sprintf("指标类型「%s」无法从表格读取", ind.Kind))
	}
}

func (d *dataReader) ratioRow(row sheetRow, o plan.Observation) {
	numC, _, _ := d.get(row, fNum)
	denC, _, _ := d.get(row, fDen)
	if pc, pcell, ok := d.get(row, fPct); ok && clean(pc.Raw) != "" && clean(numC.Raw) == "" && clean(denC.Raw) == "" {
		raw := clean(pc.Raw)
		v, err := ParseFraction(pc.Raw)
		switch {
		case err != nil:
			d.r.cellError("type-error", d.name, pcell, row.Num, raw, "0%~100%", fmt.Sprintf("「%s」不是有效比率,应填写如 65%% 或 0.65", raw))
			return
		case v < 0 || v > 1:
			d.r.cellError("constraint-error", d.name, pcell, row.Num, raw, "0%~100%", fmt.Sprintf("「%s」不在 0%% 到 100%% 之间", raw))
			return
		}
		if pc.Text {
			d.r.warn("number-as-text", d.name, pcell, row.Num, raw, fmt.Sprintf("「%s」是以文本格式存储的数字,已按 %s 读取,请核实", raw, formatFigure(v)))
		}
		o.Value = &v
		d.keep(o, pcell, raw, row.Num)
		return
	}
	num, nraw, ncell, ok1 := d.number(row, fNum, false)
	den, _, dcell, ok2 := d.number(row, fDen, false)
	if !ok1 || !ok2 {
		return
	}
	switch {
	case den == 0:
		d.r.cellError("constraint-error", d.name, dcell, row.Num, "0", "大于 0", fmt.Sprintf("「%s」为 0,分母应大于 0", d.header(fDen)))
		return
	case num > den:
		d.r.cellError("constraint-error", d.name, ncell, row.Num, nraw, "不大于 "+formatFigure(den),
			fmt.Sprintf("「%s」大于%s %s,比率不能超过 100%%", nraw, d.header(fDen), formatFigure(den)))
		return
	}
	o.Numerator, o.Denominator = &num, &den
	d.keep(o, ncell, nraw, row.Num)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// date reads a date cell; required says whether a blank is an error.
func (d *dataReader) date(row sheetRow, f field, required bool) (plan.Date, string, string, bool) {
	c, cell, present := d.get(row, f)
	if !present {
		return plan.Date{}, "", "", !required
	}
	raw := clean(c.Raw)
	dt, err := ParseDate(c.Raw, d.r.arc.Date1904)
	switch {
	case errors.Is(err, ErrBlank):
		if required {
			d.r.cellError("missing-cell", d.name, cell, row.Num, "", "日期", fmt.Sprintf("未填写「%s」,应写作 2022-09-05", d.header(f)))
			return plan.Date{}, "", cell, false
		}
		return plan.Date{}, "", cell, true
	case err != nil:
		d.r.cellError("type-error", d.name, cell, row.Num, raw, "日期", fmt.Sprintf("「%s」不是有效日期,应写作 2022-09-05", raw))
		return plan.Date{}, raw, cell, false
	}
	if !d.r.opt.Now.IsZero() {
		today := plan.DateOf(d.r.opt.Now.In(d.r.loc()))
		if dt.After(today) {
			d.r.cellError("constraint-error", d.name, cell, row.Num, dt.String(), "不晚于 "+today.String(),
				fmt.Sprintf("「%s」%s 晚于今天(%s)", d.header(f), dt.String(), today.String()))
			return plan.Date{}, raw, cell, false
		}
	}
	return dt, dt.String(), cell, true
}

func (d *dataReader) recordRow(row sheetRow) {
	c, cell, _ := d.get(row, fRecord)
	id := clean(c.Raw)
	if id == "" {
		d.r.cellError("missing-cell", d.name, cell, row.Num, "", "需求编号", "未填写需求编号")
		return
	}
	if d.duplicate(id, id, cell, row.Num) {
		return
	}
	req, _, rcell, ok1 := d.date(row, fRequested, true)
	conn, craw, ccell, ok2 := d.date(row, fConnected, false)
	if !ok1 || !ok2 {
		return
	}
	if !conn.IsZero() && conn.Before(req) {
		d.r.cellError("constraint-error", d.name, ccell, row.Num, craw, "不早于 "+req.String(),
			fmt.Sprintf("完成对接日期 %s 早于申请日期 %s", conn.String(), req.String()))
		return
	}
	d.keep(plan.Observation{Indicator: d.l.ind.ID, Unit: d.r.unit, Requested: req, Connected: conn}, rcell, req.String(), row.Num)
}

func (d *dataReader) milestoneRow(row sheetRow) {
	c, cell, _ := d.get(row, fMilestone)
	id := clean(c.Raw)
	if id == "" {
		d.r.cellError("missing-cell", d.name, cell, row.Num, "", "节点编号", "未填写节点编号:请勿改动模板的节点编号列")
		return
	}
	m, found := d.r.p.Milestone(id)
	switch {
	case !found:
		d.r.cellError("foreign-key-error", d.name, cell, row.Num, id, "本工作要点的节点编号", fmt.Sprintf("「%s」不是本工作要点的工作节点编号", id))
		return
	case !slices.Contains(m.Lead, d.r.unit):
		d.r.cellError("constraint-error", d.name, cell, row.Num, id, "本单位牵头的工作节点",
			fmt.Sprintf("工作节点「%s」不由%s报送", id, d.r.p.UnitName(d.r.unit)))
		return
	}
	if d.duplicate(id, id, cell, row.Num) {
		return
	}
	sc, scell, _ := d.get(row, fState)
	raw := clean(sc.Raw)
	state, ok := parseState(raw)
	switch {
	case raw == "":
		d.r.cellError("missing-cell", d.name, scell, row.Num, "", strings.Join(stateChoices, "/"), "未选择状态,应从下拉框选择 未开始/进行中/已完成")
		return
	case !ok:
		d.r.cellError("type-error", d.name, scell, row.Num, raw, strings.Join(stateChoices, "/"), fmt.Sprintf("「%s」不是有效状态,应为 未开始/进行中/已完成", raw))
		return
	}
	dt, _, dcell, ok := d.date(row, fDate, state == plan.StateDone)
	if !ok {
		return
	}
	ev, _, _ := d.get(row, fEvidence)
	evidence := clean(ev.Raw)
	if state == plan.StateDone && evidence == "" {
		d.r.warn("missing-evidence", d.name, cellName(d.col[fEvidence]+1, row.Num), row.Num, "", "已完成的工作节点未填写佐证材料(文号或链接),请补充")
	}
	if dcell == "" {
		dcell = scell
	}
	d.keep(plan.Observation{Milestone: id, Unit: d.r.unit, State: state, Date: dt, Evidence: evidence}, scell, raw, row.Num)
}

// end reports the rows a template asked for that the sheet does not have.
func (d *dataReader) end() {
	at := cellName(1, d.sc.header)
	if i, ok := d.col[fUnit]; ok {
		at = cellName(i+1, d.sc.header)
	}
	switch {
	case d.l.ind == nil:
		for _, m := range d.l.ms {
			if _, ok := d.keys[m.ID]; !ok {
				d.r.cellError("missing-cell", d.name, at, d.sc.header, "", m.ID, fmt.Sprintf("缺少工作节点「%s」一行:请勿删除模板的行", m.ID))
			}
		}
	case d.l.ind.Rows == plan.RowsRecords:
	default:
		for _, u := range d.l.units {
			if _, ok := d.keys[u]; !ok && len(d.r.res.Errors) == 0 {
				d.r.cellError("missing-cell", d.name, at, d.sc.header, "", d.r.p.UnitName(u), fmt.Sprintf("缺少「%s」一行:请勿删除模板的行", d.r.p.UnitName(u)))
			}
		}
	}
}
