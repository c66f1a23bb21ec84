package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

// Sheet names of the briefing, in order.
const (
	SheetSummary = "概要"
	SheetLagging = "滞后任务"
	SheetOverdue = "逾期未报"
	SheetRanking = "单位排名"
)

// StatusColors are the fill colours of the statuses, the same as the dashboard's.
var StatusColors = map[plan.Status]string{
	plan.Achieved:   "2E7D32",
	plan.OnTrack:    "43A047",
	plan.Lagging:    "F9A825",
	plan.Critical:   "E53935",
	plan.Missed:     "8E0000",
	plan.NoData:     "9E9E9E",
	plan.NotStarted: "E0E0E0",
}

// Briefing writes the monthly supervision briefing (督查通报) as of asOf: a
// summary, the lagging, critical and missed items by unit, the reports that
// came late or not at all, and the ranking of units. It is laid out for
// printing: landscape, fitted to the page width, the header row repeated on
// every page and frozen on screen, status cells in their colours. Every text
// cell is written as a string, never a formula, whatever it begins with.
func Briefing(w io.Writer, p *plan.Plan, evs []evaluate.Evaluation, subs []plan.Submission, asOf time.Time) error {
	b, err := newBook()
	if err != nil {
		return err
	}
	defer b.f.Close()
	day := plan.DateOf(asOf.Add(-time.Nanosecond).In(location(p)))
	ranks := Rank(p, evs, subs, asOf)
	steps := []func() error{
		func() error { return b.summary(p, evs, ranks, day) },
		func() error { return b.lagging(p, evs, day) },
		func() error { return b.overdue(p, subs, asOf, day) },
		func() error { return b.ranking(ranks, day) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("write briefing: %w", err)
		}
	}
	b.f.SetActiveSheet(0)
	if _, err := b.f.WriteTo(w); err != nil {
		return fmt.Errorf("write briefing: %w", err)
	}
	return nil
}

// book is the workbook being written and its styles.
type book struct {
	f                        *excelize.File
	title, header, cell      int
	wrap, numStyle, pctStyle int
	status                   map[plan.Status]int
}

func newBook() (*book, error) {
	f := excelize.NewFile()
	b := &book{f: f, status: map[plan.Status]int{}}
	border := []excelize.Border{
		{Type: "left", Color: "BDBDBD", Style: 1}, {Type: "right", Color: "BDBDBD", Style: 1},
		{Type: "top", Color: "BDBDBD", Style: 1}, {Type: "bottom", Color: "BDBDBD", Style: 1},
	}
	font := &excelize.Font{Family: "宋体", Size: 11}
	styles := []struct {
		dst *int
		s   *excelize.Style
	}{
		{&b.title, &excelize.Style{Font: &excelize.Font{Family: "黑体", Size: 16, Bold: true},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&b.header, &excelize.Style{Font: &excelize.Font{Family: "黑体", Size: 11, Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE3EA"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&b.cell, &excelize.Style{Font: font, Border: border, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&b.wrap, &excelize.Style{Font: font, Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}}},
		{&b.numStyle, &excelize.Style{Font: font, Border: border, NumFmt: 3, Alignment: &excelize.Alignment{Vertical: "center"}}},
		{&b.pctStyle, &excelize.Style{Font: font, Border: border, NumFmt: 10, Alignment: &excelize.Alignment{Vertical: "center"}}},
	}
	for _, st := range styles {
		id, err := f.NewStyle(st.s)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("briefing style: %w", err)
		}
		*st.dst = id
	}
	for s, color := range StatusColors {
		fontColor := "FFFFFF"
		if s == plan.Lagging || s == plan.NotStarted {
			fontColor = "000000"
		}
		id, err := f.NewStyle(&excelize.Style{Border: border,
			Font:      &excelize.Font{Family: "宋体", Size: 11, Bold: true, Color: fontColor},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("briefing style: %w", err)
		}
		b.status[s] = id
	}
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		f.Close()
		return nil, err
	}
	for _, name := range []string{SheetLagging, SheetOverdue, SheetRanking} {
		if _, err := f.NewSheet(name); err != nil {
			f.Close()
			return nil, err
		}
	}
	return b, nil
}

// column is one column of a table: its header and width in characters.
type column struct {
	header string
	width  float64
}

// table starts a sheet as a printable table: a merged title in row 1, the
// header in row 2, frozen and repeated on every printed page, landscape and
// fitted to the page width.
func (b *book) table(sheet, title string, cols []column) error {
	f := b.f
	last, err := excelize.ColumnNumberToName(len(cols))
	if err != nil {
		return err
	}
	if err := b.text(sheet, "A1", title, b.title); err != nil {
		return err
	}
	if len(cols) > 1 {
		if err := f.MergeCell(sheet, "A1", last+"1"); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(sheet, 1, 30); err != nil {
		return err
	}
	for i, c := range cols {
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := b.text(sheet, name+"2", c.header, b.header); err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, name, name, c.width); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A3", ActiveCell: "A3", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	landscape, one, zero := "landscape", 1, 0
	a4 := 9
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape,
		FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: sheet,
		RefersTo: fmt.Sprintf("'%s'!$1:$2", sheet)})
}

// text writes s as a string cell, never a formula: a value that begins with
// = + - or @ stays the text it is when the workbook is opened.
func (b *book) text(sheet, cell, s string, style int) error {
	if err := b.f.SetCellStr(sheet, cell, s); err != nil {
		return err
	}
	return b.f.SetCellStyle(sheet, cell, cell, style)
}

func (b *book) number(sheet, cell string, v float64, style int) error {
	if err := b.f.SetCellFloat(sheet, cell, v, -1, 64); err != nil {
		return err
	}
	return b.f.SetCellStyle(sheet, cell, cell, style)
}

// row writes one table row from values: strings as text, ints and float64s as
// numbers, a plan.Status as its label in its colour.
func (b *book) row(sheet string, r int, values ...any) error {
	for i, v := range values {
		col, _ := excelize.ColumnNumberToName(i + 1)
		cell := fmt.Sprintf("%s%d", col, r)
		var err error
		switch v := v.(type) {
		case plan.Status:
			err = b.text(sheet, cell, v.Label(), b.status[v])
		case int:
			err = b.number(sheet, cell, float64(v), b.numStyle)
		case float64:
			err = b.number(sheet, cell, v, b.numStyle)
		case percent:
			err = b.number(sheet, cell, float64(v), b.pctStyle)
		case wrapped:
			err = b.text(sheet, cell, string(v), b.wrap)
		case string:
			err = b.text(sheet, cell, v, b.cell)
		default:
			err = b.text(sheet, cell, fmt.Sprint(v), b.cell)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// percent is a fraction shown as a percentage; wrapped is text that wraps.
type (
	percent float64
	wrapped string
)

func (b *book) summary(p *plan.Plan, evs []evaluate.Evaluation, ranks []Ranking, day plan.Date) error {
	s := SheetSummary
	if err := b.table(s, fmt.Sprintf("%s督查通报(截至%s)", p.Title, day.Chinese()),
		[]column{{"项目", 28}, {"任务", 12}, {"指标", 12}, {"节点", 12}}); err != nil {
		return err
	}
	tasks := evaluate.TaskStatuses(p, evs)
	inds, ms := map[plan.Status]int{}, map[plan.Status]int{}
	for _, ev := range evs {
		if ev.UnitID != "" {
			continue
		}
		if ev.Milestone != "" {
			ms[ev.Status]++
		} else {
			inds[ev.Status]++
		}
	}
	taskCounts := map[plan.Status]int{}
	for _, st := range tasks {
		taskCounts[st]++
	}
	r := 3
	if err := b.row(s, r, "合计", len(p.Tasks), len(p.Indicators), len(p.Milestones)); err != nil {
		return err
	}
	for _, st := range plan.Statuses {
		r++
		if err := b.row(s, r, st, taskCounts[st], inds[st], ms[st]); err != nil {
			return err
		}
	}
	lagging := 0
	for _, rk := range ranks {
		if rk.Counts[plan.Lagging]+rk.Counts[plan.Critical]+rk.Counts[plan.Missed] > 0 {
			lagging++
		}
	}
	notes := []string{
		fmt.Sprintf("发文:%s", p.Document),
		fmt.Sprintf("统计截至:%s", day.Chinese()),
		fmt.Sprintf("存在滞后、严重滞后或逾期未完成事项的单位:%d 个", lagging),
		"说明:任务状态取其指标、节点中最需关注者;明细见「滞后任务」「逾期未报」「单位排名」工作表。",
	}
	r++
	for _, n := range notes {
		r++
		cell := fmt.Sprintf("A%d", r)
		if err := b.text(s, cell, n, b.wrap); err != nil {
			return err
		}
		if err := b.f.MergeCell(s, cell, fmt.Sprintf("D%d", r)); err != nil {
			return err
		}
	}
	return nil
}

// laggingStatuses are the statuses the briefing names as lagging.
var laggingStatuses = map[plan.Status]bool{plan.Lagging: true, plan.Critical: true, plan.Missed: true}

func (b *book) lagging(p *plan.Plan, evs []evaluate.Evaluation, day plan.Date) error {
	s := SheetLagging
	if err := b.table(s, fmt.Sprintf("滞后任务清单(截至%s)", day.Chinese()), []column{
		{"序号", 6}, {"责任单位", 18}, {"任务", 8}, {"指标/节点", 36}, {"状态", 12},
		{"实际", 14}, {"应达", 14}, {"目标", 14}, {"情况说明", 70},
	}); err != nil {
		return err
	}
	type line struct {
		unit string
		ev   evaluate.Evaluation
	}
	// A subject with a single row unit says the same thing for the city and
	// for that unit: list it once, under the unit.
	rows := map[string]int{}
	for _, ev := range evs {
		if ev.UnitID != "" {
			rows[ev.Indicator+ev.Milestone]++
		}
	}
	var lines []line
	for _, ev := range evs {
		if !laggingStatuses[ev.Status] || ev.UnitID == "" && rows[ev.Indicator+ev.Milestone] == 1 {
			continue
		}
		unit := ev.Unit
		if ev.UnitID == "" {
			unit = "全市(" + leadNames(p, ev.Task) + ")"
		}
		lines = append(lines, line{unit, ev})
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if lines[i].unit != lines[j].unit {
			return lines[i].unit < lines[j].unit
		}
		return lines[i].ev.Status.Severity() > lines[j].ev.Status.Severity()
	})
	for i, l := range lines {
		ev := l.ev
		if err := b.row(s, i+3, i+1, l.unit, ev.Task, wrapped(ev.Name), ev.Status,
			figure(ev, ev.Actual), figure(ev, ev.Expected), figure(ev, ev.Target), wrapped(ev.Reason)); err != nil {
			return err
		}
	}
	if len(lines) == 0 {
		return b.text(s, "A3", "无滞后事项。", b.cell)
	}
	return nil
}

func (b *book) overdue(p *plan.Plan, subs []plan.Submission, asOf time.Time, day plan.Date) error {
	s := SheetOverdue
	if err := b.table(s, fmt.Sprintf("逾期未报清单(截至%s)", day.Chinese()), []column{
		{"序号", 6}, {"单位", 20}, {"报送期", 12}, {"截止日期", 14}, {"情况", 12}, {"报送时间", 20},
	}); err != nil {
		return err
	}
	r, n := 3, 0
	loc := location(p)
	for _, id := range p.ReportingUnits() {
		for _, l := range Reports(p, id, subs, asOf) {
			if l.State == OnTime {
				continue
			}
			n++
			received := "—"
			if l.ReceivedAt != nil {
				received = l.ReceivedAt.In(loc).Format("2006-01-02 15:04")
			}
			st := plan.NoData
			if l.State == Late {
				st = plan.Lagging
			}
			if err := b.row(s, r, n, p.UnitName(id), l.Period.Chinese(), l.Due.String(), st, received); err != nil {
				return err
			}
			// The status colour says how bad; the label says which.
			if err := b.text(s, fmt.Sprintf("E%d", r), l.StateLabel, b.status[st]); err != nil {
				return err
			}
			r++
		}
	}
	if n == 0 {
		return b.text(s, "A3", "无逾期未报。", b.cell)
	}
	return nil
}

func (b *book) ranking(ranks []Ranking, day plan.Date) error {
	s := SheetRanking
	if err := b.table(s, fmt.Sprintf("单位排名(截至%s)", day.Chinese()), []column{
		{"名次", 6}, {"单位", 20}, {"达标率", 10}, {"已完成或正常推进", 12}, {"评价事项", 10},
		{"进度滞后", 10}, {"严重滞后", 10}, {"逾期未完成", 10}, {"未报送", 10},
		{"应报", 8}, {"按时", 8}, {"逾期报送", 10}, {"未报", 8},
	}); err != nil {
		return err
	}
	for i, rk := range ranks {
		if err := b.row(s, i+3, rk.Rank, rk.Unit.Name, percent(rk.Share), rk.Good, rk.Evaluations,
			rk.Counts[plan.Lagging], rk.Counts[plan.Critical], rk.Counts[plan.Missed], rk.Counts[plan.NoData],
			rk.Reports.Due, rk.Reports.OnTime, rk.Reports.Late, rk.Reports.Missing); err != nil {
			return err
		}
	}
	return nil
}

// figure formats an evaluation's figure the way the reason sentence does; "—" when absent.
func figure(ev evaluate.Evaluation, v *float64) string {
	if v == nil || ev.Milestone != "" {
		return "—"
	}
	return evaluate.FormatValue(plan.Kind(ev.Kind), ev.Measure, *v)
}

func leadNames(p *plan.Plan, task string) string {
	t, ok := p.Task(task)
	if !ok {
		return ""
	}
	names := make([]string, len(t.Lead))
	for i, id := range t.Lead {
		names[i] = p.UnitName(id)
	}
	return strings.Join(names, "、")
}
