package ingest

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/plan"
)

// recordRows is how many blank, unlocked rows a records sheet offers.
const recordRows = 500

// TemplateID names the template of a unit: duban-<plan>-<unit>.
func TemplateID(planID, unitID string) string { return "duban-" + planID + "-" + unitID }

// Template writes the template workbook for a unit: an instructions sheet,
// one sheet per indicator it reports with its rows pre-filled, one sheet for
// its milestones, and a very hidden _meta sheet that tells Read what it reads
// even when a clerk renames a sheet. A zero period leaves the 报送期 cells for
// the clerk to fill.
func Template(p *plan.Plan, unitID string, period plan.Period, w io.Writer) error {
	u, ok := p.Unit(unitID)
	if !ok {
		return plan.Errorf(plan.ENOTFOUND, "未知单位「%s」", unitID)
	}
	ls := layouts(p, u.ID)
	if len(ls) == 0 {
		return plan.Errorf(plan.EINVALID, "%s 没有需要报送的指标或工作节点", u.Name)
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newTemplateStyles(f)
	if err != nil {
		return fmt.Errorf("template styles: %w", err)
	}
	if err := f.SetSheetName("Sheet1", instructionsSheet); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	if err := writeInstructions(f, st, p, u, period, ls); err != nil {
		return fmt.Errorf("template instructions: %w", err)
	}
	for _, l := range ls {
		if _, err := f.NewSheet(l.sheet); err != nil {
			return fmt.Errorf("template sheet %s: %w", l.sheet, err)
		}
		if err := writeDataSheet(f, st, p, u, period, l); err != nil {
			return fmt.Errorf("template sheet %s: %w", l.sheet, err)
		}
	}
	if err := writeMeta(f, p, u, period, ls); err != nil {
		return fmt.Errorf("template meta: %w", err)
	}
	f.SetActiveSheet(0)
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	return nil
}

type templateStyles struct {
	title, label, header, info, text, count, decimal, percent, date, period int
}

func newTemplateStyles(f *excelize.File) (templateStyles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1},
		{Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1},
	}
	locked := &excelize.Protection{Locked: true}
	open := &excelize.Protection{Locked: false}
	textFmt, dateFmt, countFmt, decFmt, pctFmt := "@", "yyyy-mm-dd", "#,##0", "#,##0.##", "0.0%"
	specs := []*excelize.Style{
		{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}, Protection: locked},
		{Font: &excelize.Font{Bold: true}, Protection: locked},
		{Font: &excelize.Font{Bold: true}, Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}, Protection: locked},
		{Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}, Protection: locked},
		{Border: border, CustomNumFmt: &textFmt, Protection: open},
		{Border: border, CustomNumFmt: &countFmt, Protection: open},
		{Border: border, CustomNumFmt: &decFmt, Protection: open},
		{Border: border, CustomNumFmt: &pctFmt, Protection: open},
		{Border: border, CustomNumFmt: &dateFmt, Protection: open},
		{Border: border, CustomNumFmt: &textFmt, Protection: open, Font: &excelize.Font{Bold: true, Color: "C00000"}},
	}
	ids := make([]int, len(specs))
	for i, s := range specs {
		id, err := f.NewStyle(s)
		if err != nil {
			return templateStyles{}, err
		}
		ids[i] = id
	}
	return templateStyles{ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7], ids[8], ids[9]}, nil
}

func protect(f *excelize.File, sheet string, insertRows bool) error {
	return f.ProtectSheet(sheet, &excelize.SheetProtectionOptions{
		SelectLockedCells: true, SelectUnlockedCells: true,
		FormatColumns: true, FormatRows: true, InsertRows: insertRows, DeleteRows: insertRows,
	})
}

func periodText(period plan.Period) string { return period.String() }

func writeInstructions(f *excelize.File, st templateStyles, p *plan.Plan, u *plan.Unit, period plan.Period, ls []*layout) error {
	sh := instructionsSheet
	set := func(cell string, v any, style int) error {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			return err
		}
		return f.SetCellStyle(sh, cell, cell, style)
	}
	steps := []struct {
		cell  string
		v     any
		style int
	}{
		{"A1", p.Title + " 数据报送模板", st.title},
		{"A3", "填报单位", st.label}, {"B3", u.Name, st.info},
		{"A4", "报送期", st.label}, {"B4", periodText(period), st.period},
		{"C4", "填写格式:2022-09 或 2022年9月", 0},
		{"A5", "模板编号", st.label}, {"B5", TemplateID(p.ID, u.ID), st.info},
		{"A6", "模板版本", st.label}, {"B6", TemplateVersion, st.info},
		{"A8", "填报须知", st.label},
	}
	for _, s := range steps {
		if err := set(s.cell, s.v, s.style); err != nil {
			return err
		}
	}
	notes := []string{
		"1. 本模板仅供" + u.Name + "填报,请勿修改工作表结构、表头和隐藏内容,可以修改工作表名称。",
		"2. 报送期填写格式:2022-09、2022/9 或 2022年9月;每个工作表的报送期应与本页一致。",
		"3. 累计类指标填写“截至本月累计”数,不是当月新增数;累计数不应小于上月已报送的数。",
		"4. 比例类指标填写分子和分母;本单位只有一行时也可直接填写比率,如 65% 或 0.65。",
		"5. 数字请勿带单位或文字说明,可以带千位分隔符;没有发生的请填 0,不要空着。",
		"6. 工作节点的状态从下拉框选择 未开始/进行中/已完成;已完成的请填写完成日期和佐证材料(文号或链接)。",
		"7. 填好后在系统上传,或放入本单位的收件箱文件夹。系统逐格检查,有任何错误整份退回并列明工作表和单元格,改正后重新报送即可。",
	}
	for i, n := range notes {
		if err := f.SetCellValue(sh, "A"+strconv.Itoa(9+i), n); err != nil {
			return err
		}
	}
	row := 9 + len(notes) + 1
	for i, h := range []string{"工作表", "内容", "编号", "计量单位"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, row)
		if err := set(cell, h, st.header); err != nil {
			return err
		}
	}
	for _, l := range ls {
		row++
		content, id, m := l.title, l.subject(), ""
		if l.ind != nil {
			m = l.ind.Measure
			if l.ind.Kind == plan.Cumulative {
				content += "(填截至本月累计数)"
			}
		} else {
			id = strconv.Itoa(len(l.ms)) + " 个工作节点"
		}
		for i, v := range []string{l.sheet, content, id, m} {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			if err := set(cell, v, st.info); err != nil {
				return err
			}
		}
	}
	if err := f.MergeCell(sh, "A1", "D1"); err != nil {
		return err
	}
	for col, w := range map[string]float64{"A": 26, "B": 48, "C": 30, "D": 12} {
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(sh, 1, 30); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A1", "A1", st.title); err != nil {
		return err
	}
	return protect(f, sh, false)
}

func writeDataSheet(f *excelize.File, st templateStyles, p *plan.Plan, u *plan.Unit, period plan.Period, l *layout) error {
	sh := l.sheet
	set := func(col, row int, v any, style int) error {
		cell, _ := excelize.CoordinatesToCellName(col, row)
		if v != nil {
			if err := f.SetCellValue(sh, cell, v); err != nil {
				return err
			}
		}
		return f.SetCellStyle(sh, cell, cell, style)
	}
	last := max(len(l.cols), 4)
	lastCol, _ := excelize.ColumnNumberToName(last)
	title := l.title
	if l.ind != nil {
		title += measure(l.ind)
	}
	if err := set(1, 1, title, st.title); err != nil {
		return err
	}
	if err := f.MergeCell(sh, "A1", lastCol+"1"); err != nil {
		return err
	}
	if err := f.SetRowHeight(sh, 1, 30); err != nil {
		return err
	}
	if err := f.SetCellValue(sh, markerColumn+"1", markerPrefix+l.subject()); err != nil {
		return err
	}
	if err := f.SetColVisible(sh, markerColumn, false); err != nil {
		return err
	}
	for _, c := range []struct {
		col   int
		v     any
		style int
	}{{1, "填报单位", st.label}, {2, u.Name, st.info}, {3, "报送期", st.label}, {4, periodText(period), st.period}} {
		if err := set(c.col, 2, c.v, c.style); err != nil {
			return err
		}
	}
	for i, c := range l.cols {
		if err := set(i+1, headerRow, c.header, st.header); err != nil {
			return err
		}
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, name, name, c.width); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(sh, headerRow, 32); err != nil {
		return err
	}

	n := len(l.units)
	switch {
	case l.ind == nil:
		n = len(l.ms)
	case l.ind.Rows == plan.RowsRecords:
		n = recordRows
	}
	lastRow := firstDataRow + n - 1
	for i, c := range l.cols {
		style := st.text
		switch c.field {
		case fValue, fNum, fDen:
			style = st.decimal
			if l.ind != nil && l.ind.Kind == plan.Count {
				style = st.count
			}
		case fTotal:
			style = st.count
		case fPct:
			style = st.percent
		case fRequested, fConnected, fDate:
			style = st.date
		case fTask, fDeliverable, fDue, fMilestone:
			style = st.info
		}
		if l.ind != nil && c.field == fUnit && l.ind.Rows == plan.RowsReporter {
			style = st.info
		}
		from, _ := excelize.CoordinatesToCellName(i+1, firstDataRow)
		to, _ := excelize.CoordinatesToCellName(i+1, lastRow)
		if err := f.SetCellStyle(sh, from, to, style); err != nil {
			return err
		}
		if err := addValidation(f, sh, from+":"+to, c, l, p); err != nil {
			return err
		}
	}
	for r := 0; r < n; r++ {
		row := firstDataRow + r
		switch {
		case l.ind == nil:
			m := l.ms[r]
			for _, v := range []struct {
				f field
				v string
			}{{fMilestone, m.ID}, {fTask, m.Task}, {fDeliverable, m.Deliverable}, {fDue, m.Due.String()}} {
				cell, _ := excelize.CoordinatesToCellName(l.col(v.f)+1, row)
				if err := f.SetCellValue(sh, cell, v.v); err != nil {
					return err
				}
			}
		case len(l.units) > 0:
			cell, _ := excelize.CoordinatesToCellName(l.col(fUnit)+1, row)
			if err := f.SetCellValue(sh, cell, p.UnitName(l.units[r])); err != nil {
				return err
			}
		}
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return protect(f, sh, l.ind != nil && l.ind.Rows == plan.RowsRecords)
}

func addValidation(f *excelize.File, sheet, sqref string, c column, l *layout, p *plan.Plan) error {
	dv := excelize.NewDataValidation(true)
	dv.Sqref = sqref
	var err error
	switch c.field {
	case fUnit:
		if l.ind == nil || l.ind.Rows != plan.RowsRegions {
			return nil
		}
		names := make([]string, len(l.units))
		for i, id := range l.units {
			names[i] = p.UnitName(id)
		}
		err = dv.SetDropList(names)
		dv.SetError(excelize.DataValidationErrorStyleStop, "地区名称", "请从下拉框选择地区")
	case fState:
		err = dv.SetDropList(stateChoices)
		dv.SetError(excelize.DataValidationErrorStyleStop, "状态", "请从下拉框选择 未开始/进行中/已完成")
	case fValue, fTotal, fNum, fDen:
		t := excelize.DataValidationTypeDecimal
		if c.field == fTotal || (l.ind != nil && l.ind.Kind == plan.Count) {
			t = excelize.DataValidationTypeWhole
		}
		err = dv.SetRange(0, 1e12, t, excelize.DataValidationOperatorBetween)
		dv.SetError(excelize.DataValidationErrorStyleStop, "数值", "请填写不小于 0 的数字,不要带单位")
		if c.field == fTotal {
			dv.SetInput("累计数", "填写截至本月的累计数,不是当月新增数")
		}
	case fPct:
		err = dv.SetRange(0, 1, excelize.DataValidationTypeDecimal, excelize.DataValidationOperatorBetween)
		dv.SetError(excelize.DataValidationErrorStyleStop, "比率", "请填写 0% 到 100% 之间的比率")
	default:
		return nil
	}
	if err != nil {
		return err
	}
	return f.AddDataValidation(sheet, dv)
}

func writeMeta(f *excelize.File, p *plan.Plan, u *plan.Unit, period plan.Period, ls []*layout) error {
	if _, err := f.NewSheet(metaSheet); err != nil {
		return err
	}
	rows := [][]any{
		{"plan", p.ID},
		{"template_id", TemplateID(p.ID, u.ID)},
		{"template_version", TemplateVersion},
		{"unit", u.ID},
		{"period", period.String()},
	}
	for i, l := range ls {
		rows = append(rows, []any{"sheet", l.sheet, l.subject(), i + 1})
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(metaSheet, cell, &r); err != nil {
			return err
		}
	}
	return f.SetSheetVisible(metaSheet, false, true)
}
