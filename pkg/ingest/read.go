package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/plan"
)

// Result is what Read made of a file: the unit and period it reports, the
// observations it carries, and every problem found. It is accepted only
// when Errors is empty.
type Result struct {
	PlanID          string             `json:"plan"`
	Unit            string             `json:"unit,omitempty"`
	Period          plan.Period        `json:"period,omitzero"`
	TemplateID      string             `json:"template_id,omitempty"`
	TemplateVersion int                `json:"template_version,omitempty"`
	Observations    []plan.Observation `json:"observations"`
	Errors          []plan.CellError   `json:"errors"`
	Warnings        []plan.CellError   `json:"warnings"`
}

// OK reports whether the file may be accepted.
func (r *Result) OK() bool { return len(r.Errors) == 0 }

// PriorFunc gives the running total already accepted for a cumulative
// indicator and unit in the latest period before the given one (ok false if none).
type PriorFunc func(ctx context.Context, indicator, unit string, before plan.Period) (total float64, period plan.Period, ok bool, err error)

// Caps on how much a report lists: a file with a bad column in 100,000 rows
// needs its first mistakes shown, not all of them.
const (
	maxErrors   = 500
	maxWarnings = 200
	headerScan  = 30 // rows searched for the header
)

// Read parses a submitted workbook and checks it against p without saving
// anything. A returned error means it could not run (the file vanished, the
// context ended, prior failed); a bad file is a Result with Errors. Parsing
// runs under recover: a workbook that makes the Excel library panic is a
// format-error, never a crash. prior may be nil when no totals are on record.
func Read(ctx context.Context, p *plan.Plan, path string, opt Options, prior PriorFunc) (*Result, error) {
	return readWith(ctx, p, path, opt, prior, true)
}

// readWith is Read, with the fast reader tried first or not at all.
func readWith(ctx context.Context, p *plan.Plan, path string, opt Options, prior PriorFunc, fast bool) (*Result, error) {
	res := &Result{PlanID: p.ID, Observations: []plan.Observation{}, Errors: []plan.CellError{}, Warnings: []plan.CellError{}}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if fi.Size() > limit {
		res.fileError("format-error", fmt.Sprintf("文件大小 %s 超过上限 %s:请删除无关的工作表、图片和空白格式后重新上传", humanBytes(fi.Size()), humanBytes(limit)))
		return res, nil
	}
	if err := sniff(path); err != nil {
		if fp, ok := errors.AsType[*fileProblem](err); ok {
			res.fileError(fp.code, fp.msg)
			return res, nil
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	arc, err := scan(path, fi.Size())
	if err != nil {
		if fp, ok := errors.AsType[*fileProblem](err); ok {
			res.fileError(fp.code, fp.msg)
			return res, nil
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	units := newUnitIndex(p)
	r := &reader{ctx: ctx, p: p, opt: opt, prior: prior, res: res, arc: arc, units: units, path: path, fast: fast}
	err = r.run()
	if errors.Is(err, errFallback) {
		// The fast reader gave up: read the whole file again with excelize.
		res = &Result{PlanID: p.ID, Observations: []plan.Observation{}, Errors: []plan.CellError{}, Warnings: []plan.CellError{}}
		r = &reader{ctx: ctx, p: p, opt: opt, prior: prior, res: res, arc: arc, units: units, path: path}
		err = r.run()
	}
	if err != nil {
		return nil, err
	}
	if len(res.Errors) > 0 {
		res.Observations = []plan.Observation{}
	}
	return res, nil
}

// reader holds the state of one Read.
type reader struct {
	ctx   context.Context
	p     *plan.Plan
	opt   Options
	prior PriorFunc
	res   *Result
	arc   *archive
	units *unitIndex
	path  string

	f    *excelize.File
	zr   *zip.ReadCloser
	fast bool      // read rows with the fast reader; f is then excelize's view of the workbook without the parts the fast reader reads
	book *fastBook // the fast reader's view

	meta      map[string]string // _meta key → value
	metaSheet map[string]string // sheet name → subject, from _meta
	unit      string
	periods   []periodCell
	seen      map[string]string  // subject → the sheet it was read from
	obs       []plan.Observation // read so far, without their period
	src       []source           // src[i] is where obs[i] came from
	errorsCut bool
	warnCut   bool
}

type periodCell struct {
	sheet, cell, raw string
	numeric          bool
}

// source is where observation i of reader.obs came from, kept until the
// period is known and the checks that need it have run.
type source struct {
	sheet string
	cell  string // the figure's cell
	raw   string
	row   int
}

func (r *reader) run() (err error) {
	if r.fast {
		return r.runFast()
	}
	defer func() {
		if v := recover(); v != nil {
			r.res.fileError("format-error", fmt.Sprintf("文件内容异常,读取时出错(%v):请用 Excel 打开后另存为 .xlsx 再上传", v))
			err = nil
		}
		if r.f != nil {
			r.f.Close()
		}
		if r.zr != nil {
			r.zr.Close()
		}
	}()
	r.f, err = excelize.OpenFile(r.path, excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    maxUnpacked,
		UnzipXMLSizeLimit: xmlInMemoryLimit,
		CultureInfo:       excelize.CultureNameZhCN,
	})
	if err != nil {
		r.res.fileError("format-error", "文件无法作为 Excel 工作簿打开,可能已损坏或不是 .xlsx:请用 Excel 打开后另存为 .xlsx 再上传")
		return nil
	}
	if r.zr, err = zip.OpenReader(r.path); err != nil {
		r.res.fileError("format-error", "文件已损坏,无法解压")
		return nil
	}
	return r.readBook()
}

func (r *reader) readBook() error {
	if err := r.readMeta(); err != nil {
		return err
	}
	if !r.resolveUnit() {
		return nil
	}
	return r.readSheets()
}

// runFast reads the workbook with the fast reader. Any way in which it or
// excelize could see the file differently is errFallback: excelize must
// open the workbook without the parts the fast reader reads (so the same
// files fail to open), and every part excelize would have inflated at open
// must be whole (so a damaged one is found).
func (r *reader) runFast() (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errFallback
		}
		if r.f != nil {
			r.f.Close()
		}
		if r.zr != nil {
			r.zr.Close()
		}
	}()
	if r.zr, err = zip.OpenReader(r.path); err != nil {
		return errFallback
	}
	if r.book, err = openFastBook(r.zr); err != nil {
		return errFallback
	}
	stub, err := r.book.stub(r.zr)
	if err != nil {
		return errFallback
	}
	r.f, err = excelize.OpenReader(bytes.NewReader(stub), excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    maxUnpacked,
		UnzipXMLSizeLimit: xmlInMemoryLimit,
		CultureInfo:       excelize.CultureNameZhCN,
	})
	if err != nil {
		return errFallback
	}
	if err := r.readBook(); err != nil {
		return err
	}
	return r.book.verify()
}

// rowSource is a sheet's rows, from excelize or from the fast reader.
type rowSource interface {
	Next() (sheetRow, bool, error)
	Close() error
}

// openRows opens a sheet's rows. An error other than errFallback means the
// sheet cannot be read as a worksheet.
func (r *reader) openRows(e sheetEntry) (rowSource, error) {
	if !r.fast {
		return openRows(r.f, r.zr, e)
	}
	rows, err := r.f.Rows(e.Name)
	if err != nil {
		return nil, errFallback // let excelize say what is wrong with the sheet
	}
	rows.Close()
	if !strings.HasPrefix(e.Part, "xl/worksheets/") || strings.Contains(e.Part, "..") {
		return nil, errFallback
	}
	return r.book.rows(e.Part)
}

func (r *reader) fileErrorf(code, format string, args ...any) {
	r.res.fileError(code, fmt.Sprintf(format, args...))
}

func (res *Result) fileError(code, msg string) {
	res.Errors = append(res.Errors, plan.CellError{Code: code, Message: msg})
}

func cellName(col, row int) string {
	s, _ := excelize.CoordinatesToCellName(col, row)
	return s
}

// cellError records a problem at a cell; msg follows 「value」 and says what was expected.
func (r *reader) cellError(code, sheet, cell string, row int, value, expected, msg string) {
	r.add(&r.res.Errors, &r.errorsCut, maxErrors, code, sheet, cell, row, value, expected, msg)
}

func (r *reader) warn(code, sheet, cell string, row int, value, msg string) {
	r.add(&r.res.Warnings, &r.warnCut, maxWarnings, code, sheet, cell, row, value, "", msg)
}

func (r *reader) add(list *[]plan.CellError, cut *bool, limit int, code, sheet, cell string, row int, value, expected, msg string) {
	if len(*list) >= limit {
		if !*cut {
			*cut = true
			*list = append(*list, plan.CellError{Code: code, Message: fmt.Sprintf("问题超过 %d 处,其余未列出;请先改正以上问题", limit)})
		}
		return
	}
	where := ""
	switch {
	case sheet != "" && cell != "":
		where = fmt.Sprintf("「%s」工作表 %s:", sheet, cell)
	case sheet != "":
		where = fmt.Sprintf("「%s」工作表:", sheet)
	}
	*list = append(*list, plan.CellError{Code: code, Sheet: sheet, Cell: cell, Row: row, Value: value, Expected: expected, Message: where + msg})
}

// readMeta reads the hidden _meta sheet a template carries, if any.
func (r *reader) readMeta() error {
	r.meta, r.metaSheet = map[string]string{}, map[string]string{}
	var entry *sheetEntry
	for i := range r.arc.Sheets {
		if r.arc.Sheets[i].Name == metaSheet {
			entry = &r.arc.Sheets[i]
		}
	}
	if entry == nil {
		return nil
	}
	rows, err := r.openRows(*entry)
	if err != nil {
		if errors.Is(err, errFallback) {
			return err
		}
		return nil // an unreadable _meta is as good as none
	}
	defer rows.Close()
	for n := 0; n < 1000; n++ {
		row, ok, err := rows.Next()
		if errors.Is(err, errFallback) {
			return err
		}
		if err != nil || !ok {
			break
		}
		key := clean(row.cell(0).Raw)
		switch key {
		case "":
		case "sheet":
			r.metaSheet[row.cell(1).Raw] = clean(row.cell(2).Raw)
		default:
			r.meta[key] = clean(row.cell(1).Raw)
		}
	}
	if id := r.meta["plan"]; id != "" && id != r.p.ID {
		r.cellError("foreign-key-error", metaSheet, "B1", 1, id, r.p.ID,
			fmt.Sprintf("本文件是工作要点「%s」的模板,不是「%s」的:请下载本工作要点的模板重新填报", id, r.p.ID))
	}
	r.res.TemplateID = r.meta["template_id"]
	if v, err := strconv.Atoi(r.meta["template_version"]); err == nil {
		r.res.TemplateVersion = v
		if v > TemplateVersion {
			r.cellError("format-error", metaSheet, "B3", 3, r.meta["template_version"], strconv.Itoa(TemplateVersion),
				fmt.Sprintf("模板版本 %d 比系统支持的版本 %d 新,请联系管理员", v, TemplateVersion))
		}
	}
	return nil
}

// resolveUnit works out who is reporting: the sender as known to the system,
// the template's unit, or the 填报单位 a clerk typed, and insists they agree.
func (r *reader) resolveUnit() bool {
	if r.opt.Unit != "" {
		id, ok := r.units.lookup(r.opt.Unit)
		if !ok {
			r.fileErrorf("foreign-key-error", "报送单位「%s」不在本工作要点的单位名单中", r.opt.Unit)
			return false
		}
		r.unit = id
	}
	if m := r.meta["unit"]; m != "" {
		id, ok := r.units.lookup(m)
		switch {
		case !ok:
			r.cellError("foreign-key-error", metaSheet, "B4", 4, m, "本工作要点的单位", fmt.Sprintf("模板所属单位「%s」不在本工作要点的单位名单中", m))
			return false
		case r.unit != "" && id != r.unit:
			r.fileErrorf("constraint-error", "本文件是「%s」的模板,报送单位却是「%s」:请下载本单位的模板填报", r.p.UnitName(id), r.p.UnitName(r.unit))
			return false
		}
		r.unit = id
	}
	r.res.Unit = r.unit
	return true
}

// sheetScan is what the first rows of a sheet said.
type sheetScan struct {
	entry     sheetEntry
	index     int
	rows      []sheetRow // the first rows, up to the header
	marker    string
	markerAt  string
	title     string
	unitCell  *periodCell // 填报单位 typed in the sheet (reuses the cell type)
	hasLabels bool
	info      bool // an instructions sheet: it names the template, it reports nothing
	header    int  // the header row number, 0 if none found
	cols      []int
	layout    *layout
}

var (
	periodLabels = []string{"报送期", "报送期间", "报送月份", "填报月份", "统计期", "统计月份", "所属期", "报送时间", "月份"}
	unitLabels   = []string{"填报单位", "报送单位", "单位名称", "填报部门"}
)

func labelIs(s string, labels []string) bool {
	s = strings.TrimRight(normHeader(s), ":")
	for _, l := range labels {
		if s == l {
			return true
		}
	}
	return false
}

func normHeader(s string) string {
	s = clean(s)
	return strings.Join(strings.Fields(s), "")
}

func (r *reader) readSheets() error {
	var scans []*sheetScan
	for i, e := range r.arc.Sheets {
		if e.Name == metaSheet {
			continue
		}
		sc, err := r.scanSheet(e, i)
		if err != nil {
			return err
		}
		if sc != nil {
			scans = append(scans, sc)
		}
	}
	// Who reports: when neither the sender nor a template said, the 填报单位 typed.
	for _, sc := range scans {
		if sc.unitCell == nil {
			continue
		}
		id, ok := r.units.lookup(sc.unitCell.raw)
		switch {
		case !ok:
			r.cellError("foreign-key-error", sc.entry.Name, sc.unitCell.cell, 0, sc.unitCell.raw, "本工作要点的单位", r.unknownUnitMsg(sc.unitCell.raw, "单位", nil))
		case r.unit == "":
			r.unit = id
		case id != r.unit:
			r.cellError("constraint-error", sc.entry.Name, sc.unitCell.cell, 0, sc.unitCell.raw, r.p.UnitName(r.unit),
				fmt.Sprintf("「%s」与报送单位「%s」不符", sc.unitCell.raw, r.p.UnitName(r.unit)))
		}
	}
	r.res.Unit = r.unit
	if r.unit == "" {
		r.fileErrorf("missing-cell", "无法确定报送单位:请使用本单位的模板,或在表中填写“填报单位”")
		return nil
	}
	r.seen = map[string]string{}
	mine := layouts(r.p, r.unit)
	read := 0
	for _, sc := range scans {
		l := r.identify(sc, mine)
		if l == nil {
			continue
		}
		sc.layout = l
		if !r.findHeader(sc) {
			continue
		}
		if err := r.readData(sc); err != nil {
			return err
		}
		read++
	}
	if read == 0 && len(r.res.Errors) == 0 {
		r.fileErrorf("incorrect-label", "文件中没有找到%s需要报送的指标或工作节点的工作表:请使用本单位的模板", r.p.UnitName(r.unit))
		return nil
	}
	r.checkPeriod()
	if len(r.res.Errors) > 0 {
		return nil
	}
	return r.finish()
}

// scanSheet reads the first rows of a sheet: its marker, title, period and
// unit cells. The rows are kept for header detection.
func (r *reader) scanSheet(e sheetEntry, index int) (*sheetScan, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := r.openRows(e)
	if err != nil {
		if errors.Is(err, errFallback) {
			return nil, err
		}
		return nil, nil // a chart sheet or the like: nothing to read
	}
	defer rows.Close()
	sc := &sheetScan{entry: e, index: index}
	for len(sc.rows) < headerScan {
		row, ok, err := rows.Next()
		if errors.Is(err, errFallback) {
			return nil, err
		}
		if err != nil {
			r.cellError("format-error", e.Name, "", 0, "", "", fmt.Sprintf("工作表无法读取(%v)", err))
			return nil, nil
		}
		if !ok {
			break
		}
		sc.rows = append(sc.rows, row)
		for i, c := range row.Cells {
			v := clean(c.Raw)
			if strings.HasPrefix(v, markerPrefix) && sc.marker == "" {
				sc.marker, sc.markerAt = strings.TrimPrefix(v, markerPrefix), cellName(i+1, row.Num)
				continue
			}
			if v != "" && sc.title == "" && row.Num <= 2 {
				sc.title = v
			}
			if labelIs(v, []string{"模板编号"}) {
				sc.info = true
			}
			var labels []string
			isPeriod := labelIs(v, periodLabels)
			if isPeriod {
				labels = periodLabels
			} else if labelIs(v, unitLabels) {
				labels = unitLabels
			}
			if labels == nil {
				continue
			}
			// The value is the next non-blank cell on the row, unless that is
			// another label (then this is a header row).
			j := i + 1
			for j < len(row.Cells) && clean(row.Cells[j].Raw) == "" {
				j++
			}
			if j >= len(row.Cells) {
				if isPeriod {
					r.periods = append(r.periods, periodCell{sheet: e.Name, cell: cellName(i+2, row.Num)})
				}
				sc.hasLabels = true
				continue
			}
			next := row.Cells[j]
			if looksLikeHeader(next.Raw) {
				continue
			}
			sc.hasLabels = true
			pc := periodCell{sheet: e.Name, cell: cellName(j+1, row.Num), raw: next.Raw, numeric: !next.Text}
			if isPeriod {
				r.periods = append(r.periods, pc)
			} else if sc.unitCell == nil {
				sc.unitCell = &pc
			}
		}
	}
	return sc, nil
}

// looksLikeHeader tells a column header from a value next to a label.
func looksLikeHeader(s string) bool {
	h := normHeader(s)
	for _, w := range []string{"累计", "数值", "数量", "分子", "分母", "覆盖", "比率", "编号", "日期", "状态", "备注"} {
		if strings.Contains(h, w) {
			return true
		}
	}
	return false
}

// identify works out which indicator (or the milestones) a sheet reports:
// by its hidden marker cell, by _meta's sheet map, then by its header and name.
func (r *reader) identify(sc *sheetScan, mine []*layout) *layout {
	name := sc.entry.Name
	subject, at := sc.marker, sc.markerAt
	if subject == "" {
		subject, at = r.metaSheet[name], "A1"
	}
	if subject != "" {
		for _, l := range mine {
			if l.subject() == subject {
				return r.claim(sc, l)
			}
		}
		if ind, ok := r.p.Indicator(subject); ok {
			r.cellError("constraint-error", name, at, 0, subject, "本单位报送的指标",
				fmt.Sprintf("指标「%s %s」不由%s报送,请勿填报在本单位的文件中", ind.ID, ind.Name, r.p.UnitName(r.unit)))
			return nil
		}
		if subject == milestonesSubject {
			r.cellError("constraint-error", name, at, 0, subject, "本单位牵头的工作节点", fmt.Sprintf("%s没有需要报送的工作节点", r.p.UnitName(r.unit)))
			return nil
		}
		r.cellError("foreign-key-error", name, at, 0, subject, "本工作要点的指标编号", fmt.Sprintf("「%s」不是本工作要点的指标或工作节点", subject))
		return nil
	}
	if sc.info || name == instructionsSheet {
		return nil
	}
	// A clerk's own workbook: the header must fit, and the name or title decides between fits.
	var full []*layout
	for _, l := range mine {
		for _, row := range sc.rows {
			if cols, _ := matchHeader(row, l); complete(l, cols) {
				full = append(full, l)
				break
			}
		}
	}
	switch len(full) {
	case 1:
		return r.claim(sc, full[0])
	case 0:
		if sc.hasLabels || allBlank(sc.rows) || name == instructionsSheet {
			return nil
		}
		if l := byName(sc, mine); l != nil {
			return r.claim(sc, l)
		}
		r.warn("unknown-sheet", name, "", 0, "", "未能识别这个工作表报送的是哪个指标,已忽略;如需报送,请使用模板的工作表")
		return nil
	}
	if l := byName(sc, full); l != nil {
		return r.claim(sc, l)
	}
	names := make([]string, len(full))
	for i, l := range full {
		names[i] = l.ind.Name
	}
	r.cellError("incorrect-label", name, "A1", 1, name, strings.Join(names, " 或 "),
		fmt.Sprintf("无法确定本表报送的是 %s 中的哪一个:请在工作表名称或标题中写明指标名称", strings.Join(names, "、")))
	return nil
}

func (r *reader) claim(sc *sheetScan, l *layout) *layout {
	if prev, dup := r.seen[l.subject()]; dup {
		r.cellError("duplicate-row", sc.entry.Name, "A1", 1, sc.entry.Name, "",
			fmt.Sprintf("与「%s」工作表报送的是同一%s,一个文件只能报送一次", prev, map[bool]string{true: "组工作节点", false: "指标"}[l.ind == nil]))
		return nil
	}
	r.seen[l.subject()] = sc.entry.Name
	if sc.entry.Hidden {
		r.warn("hidden-sheet", sc.entry.Name, "", 0, "", "工作表处于隐藏状态,其中的数据仍已读取,请确认")
	}
	return l
}

func allBlank(rows []sheetRow) bool {
	for _, r := range rows {
		if !r.blank() {
			return false
		}
	}
	return true
}

// byName picks the layout whose indicator name shares the longest run of
// characters with the sheet's name or title, if one clearly does.
func byName(sc *sheetScan, ls []*layout) *layout {
	texts := []string{normName(sc.entry.Name), normName(sc.title)}
	best, second := 0, 0
	var pick *layout
	for _, l := range ls {
		target := normName(l.title)
		if l.ind != nil {
			target = normName(l.ind.Name)
			if strings.Contains(texts[0], strings.ToLower(l.ind.ID)) {
				return l
			}
		}
		score := 0
		for _, t := range texts {
			score = max(score, commonRun([]rune(t), []rune(target)))
		}
		switch {
		case score > best:
			best, second, pick = score, best, l
		case score > second:
			second = score
		}
	}
	if best >= 4 && best > second {
		return pick
	}
	return nil
}

func normName(s string) string {
	return strings.ToLower(strings.NewReplacer("“", "", "”", "", "\"", "", " ", "", "(", "", ")", "").Replace(clean(s)))
}

func commonRun(a, b []rune) int {
	best := 0
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
				best = max(best, cur[j])
			} else {
				cur[j] = 0
			}
		}
		prev, cur = cur, prev
	}
	return best
}

// matchHeader maps a row's cells to the layout's columns: exact headers
// first, then the words that identify a column. cols[i] is the 0-based cell
// index of the layout's column i, or -1.
func matchHeader(row sheetRow, l *layout) ([]int, int) {
	cols := make([]int, len(l.cols))
	for i := range cols {
		cols[i] = -1
	}
	// A title row, merged across the table, has one cell: it is never the header.
	filled := 0
	for _, c := range row.Cells {
		if v := clean(c.Raw); v != "" && !strings.HasPrefix(v, markerPrefix) {
			filled++
		}
	}
	if filled < 2 {
		return cols, 0
	}
	taken := map[int]bool{}
	n := 0
	for pass := 0; pass < 2; pass++ {
		for ci, c := range row.Cells {
			h := normHeader(c.Raw)
			if h == "" || taken[ci] || looksLikeValue(h) {
				continue
			}
			for j, col := range l.cols {
				if cols[j] >= 0 {
					continue
				}
				hit := h == normHeader(col.header)
				if pass == 1 {
					for _, w := range col.match {
						if strings.Contains(h, normHeader(w)) {
							hit = true
							break
						}
					}
				}
				if hit {
					cols[j], taken[ci] = ci, true
					n++
					break
				}
			}
		}
	}
	return cols, n
}

func looksLikeValue(h string) bool {
	_, _, err := ParseNumber(h)
	return err == nil
}

// complete reports whether every column a row needs was found. A sheet of a
// unit's own figure needs no unit column; a ratio may come as a percentage.
func complete(l *layout, cols []int) bool {
	for i, c := range l.cols {
		if !c.required || cols[i] >= 0 {
			continue
		}
		switch {
		case c.field == fUnit && l.ind != nil && l.ind.Rows == plan.RowsReporter:
		case (c.field == fNum || c.field == fDen) && l.col(fPct) >= 0 && cols[l.col(fPct)] >= 0:
		default:
			return false
		}
	}
	return true
}

// findHeader finds the sheet's header row, or reports the columns it lacks:
// a blank header cell where a template has one, else the header row itself.
func (r *reader) findHeader(sc *sheetScan) bool {
	bestRow, bestN := -1, 0
	var bestCols []int
	for i, row := range sc.rows {
		cols, n := matchHeader(row, sc.layout)
		if complete(sc.layout, cols) {
			sc.header, sc.cols = row.Num, cols
			return true
		}
		if n > bestN {
			bestRow, bestN, bestCols = i, n, cols
		}
	}
	name := sc.entry.Name
	if bestRow < 0 {
		r.cellError("missing-label", name, cellName(1, headerRow), headerRow, "", "模板的表头",
			"找不到表头行:请勿删除或改写模板的表头")
		return false
	}
	row := sc.rows[bestRow]
	for i, c := range sc.layout.cols {
		if bestCols[i] >= 0 || !c.required {
			continue
		}
		if complete(sc.layout, bestCols) {
			break
		}
		if c.field == fUnit && sc.layout.ind != nil && sc.layout.ind.Rows == plan.RowsReporter {
			continue
		}
		at := i
		if clean(row.cell(at).Raw) == "" {
			r.cellError("blank-header", name, cellName(at+1, row.Num), row.Num, "", c.header,
				fmt.Sprintf("表头为空,应为「%s」:请勿删除模板的表头", c.header))
		} else {
			r.cellError("missing-label", name, cellName(1, row.Num), row.Num, "", c.header,
				fmt.Sprintf("表头中找不到「%s」列", c.header))
		}
	}
	return false
}

// readData streams the data rows under the header and turns them into observations.
func (r *reader) readData(sc *sheetScan) error {
	rows, err := r.openRows(sc.entry)
	if err != nil {
		if errors.Is(err, errFallback) {
			return err
		}
		r.cellError("format-error", sc.entry.Name, "", 0, "", "", fmt.Sprintf("工作表无法读取(%v)", err))
		return nil
	}
	defer rows.Close()
	d := newDataReader(r, sc)
	blank := 0
	for {
		if d.n%1024 == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		row, ok, err := rows.Next()
		if errors.Is(err, errFallback) {
			return err
		}
		if err != nil {
			r.cellError("format-error", sc.entry.Name, "", 0, "", "", fmt.Sprintf("工作表第 %d 行之后无法读取(%v)", d.lastRow, err))
			return nil
		}
		if !ok {
			break
		}
		if row.Num <= sc.header {
			continue
		}
		if d.blankRow(row) {
			if blank++; blank >= maxBlankRun {
				break
			}
			continue
		}
		blank = 0
		d.row(row)
	}
	d.end()
	return nil
}

// checkPeriod settles the workbook's period: the 报送期 typed, which must
// agree wherever it is typed, else the template's; within the plan and not in the future.
func (r *reader) checkPeriod() {
	var got plan.Period
	var from periodCell
	var firstSlot *periodCell
	for i, pc := range r.periods {
		if firstSlot == nil {
			firstSlot = &r.periods[i]
		}
		if clean(pc.raw) == "" {
			continue
		}
		per, err := ParsePeriod(pc.raw, pc.numeric, r.arc.Date1904)
		if err != nil {
			msg := fmt.Sprintf("「%s」不是有效的报送期,应写作 2022-09 或 2022年9月", clean(pc.raw))
			if errors.Is(err, ErrAmbiguousPeriod) {
				msg = fmt.Sprintf("「%s」无法区分是1月还是10月(Excel 把 2022.10 存成了 2022.1),请写作 2022-10 或 2022年10月", clean(pc.raw))
			}
			r.cellError("type-error", pc.sheet, pc.cell, 0, clean(pc.raw), "2022-09", msg)
			return
		}
		if got.IsZero() {
			got, from = per, pc
			continue
		}
		if per != got {
			r.cellError("constraint-error", pc.sheet, pc.cell, 0, clean(pc.raw), got.String(),
				fmt.Sprintf("报送期「%s」与「%s」工作表 %s 的报送期 %s 不一致:一个文件只能报送一个月", clean(pc.raw), from.sheet, from.cell, got.Chinese()))
			return
		}
	}
	if mp := r.meta["period"]; mp != "" {
		per, err := ParsePeriod(mp, false, false)
		switch {
		case err != nil:
		case got.IsZero():
			got, from = per, periodCell{sheet: metaSheet, cell: "B5", raw: mp}
		case per != got:
			r.warn("period-changed", from.sheet, from.cell, 0, got.String(),
				fmt.Sprintf("模板生成时的报送期是 %s,表中填写的是 %s,按表中填写的 %s 读取", per.Chinese(), got.Chinese(), got.Chinese()))
		}
	}
	if got.IsZero() {
		if firstSlot != nil {
			r.cellError("missing-cell", firstSlot.sheet, firstSlot.cell, 0, "", "2022-09", "未填写报送期,应写作 2022-09 或 2022年9月")
		} else {
			r.fileErrorf("missing-cell", "文件中没有“报送期”:请使用模板,或在表头上方写明“报送期:2022-09”")
		}
		return
	}
	r.res.Period = got
	first, last := plan.PeriodOf(r.p.Start), plan.PeriodOf(r.p.End)
	show := clean(from.raw)
	if got.Compare(first) < 0 || got.Compare(last) > 0 {
		r.cellError("constraint-error", from.sheet, from.cell, 0, show, first.String()+" 至 "+last.String(),
			fmt.Sprintf("报送期 %s 不在工作要点的期限(%s至%s)之内", got.Chinese(), first.Chinese(), last.Chinese()))
		return
	}
	if !r.opt.Now.IsZero() {
		today := plan.DateOf(r.opt.Now.In(r.loc()))
		if got.FirstDay(plan.Monthly).After(today) {
			r.cellError("constraint-error", from.sheet, from.cell, 0, show, "不晚于 "+plan.PeriodOf(today).String(),
				fmt.Sprintf("报送期 %s 还没有到(今天是 %s),不能提前报送", got.Chinese(), today.Chinese()))
		}
	}
}

func (r *reader) loc() *time.Location {
	if r.p.Location != nil {
		return r.p.Location
	}
	return time.UTC
}

// finish runs the checks that need the period, then hands over the observations.
func (r *reader) finish() error {
	per := r.res.Period
	for i := range r.obs {
		o, po := &r.obs[i], r.src[i]
		o.Period = per
		if !o.Requested.IsZero() && o.Requested.After(per.LastDay()) {
			r.cellError("constraint-error", po.sheet, po.cell, po.row, o.Requested.String(), "不晚于 "+per.LastDay().String(),
				fmt.Sprintf("申请日期 %s 晚于报送期 %s 的最后一天,应在下个月的报表中报送", o.Requested.String(), per.Chinese()))
		}
		if o.Total != nil && r.prior != nil {
			prev, prevPer, ok, err := r.prior(r.ctx, o.Indicator, o.Unit, per)
			if err != nil {
				return fmt.Errorf("prior total of %s %s: %w", o.Indicator, o.Unit, err)
			}
			if ok && *o.Total < prev {
				r.cellError("constraint-error", po.sheet, po.cell, po.row, po.raw, "不小于 "+formatFigure(prev),
					fmt.Sprintf("「%s」低于已报送的%s累计数 %s:累计数不应减少,请核实", po.raw, prevPer.Chinese(), formatFigure(prev)))
			}
		}
	}
	r.res.Observations, r.obs, r.src = r.obs, nil, nil
	return nil
}

func formatFigure(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (r *reader) unknownUnitMsg(s, what string, allowed []string) string {
	msg := fmt.Sprintf("「%s」: 未知%s", clean(s), what)
	if sug := r.units.suggest(s, allowed); len(sug) > 0 {
		msg += ",是否为 " + strings.Join(sug, " 或 ") + "?"
	}
	return msg
}
