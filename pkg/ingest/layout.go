package ingest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/duban-gov/duban/pkg/plan"
)

// TemplateVersion is the version of the template layout written by Template
// and understood by Read. Raise it when columns move.
const TemplateVersion = 1

// Names of the fixed sheets of a template.
const (
	metaSheet         = "_meta"
	instructionsSheet = "填报说明"
	milestonesSheet   = "工作节点"
	milestonesSubject = "milestones" // the subject of the milestones sheet in _meta
	markerPrefix      = "duban:"     // the hidden cell that names a sheet's subject
	markerColumn      = "Z"
	headerRow         = 3 // the header row of a template's data sheet
	firstDataRow      = 4
)

// field is what a column carries.
type field int

const (
	fUnit        field = iota // the row's unit: 地区 or 填报单位
	fValue                    // a level or count figure
	fTotal                    // a cumulative running total
	fNum                      // a ratio's or coverage's numerator
	fDen                      // … and denominator
	fPct                      // a ratio typed as a percentage
	fRecord                   // a lead-time record's number
	fRequested                // … the day it was requested
	fConnected                // … and the day it was connected
	fMilestone                // a milestone's id
	fTask                     // (shown only) the task
	fDeliverable              // (shown only) the deliverable
	fDue                      // (shown only) the milestone's due date
	fState                    // 未开始/进行中/已完成
	fDate                     // the day a milestone was done
	fEvidence                 // 文号 or link
	fNote                     // 备注, never read
)

// column is one column of a data sheet: what it carries, its header in a
// template, the words that identify it in a clerk's own header, and whether
// every data row must fill it.
type column struct {
	field    field
	header   string
	match    []string
	required bool
	width    float64
}

// layout is the shape of one data sheet: an indicator's or the milestones'.
type layout struct {
	ind   *plan.Indicator   // nil for the milestones sheet
	ms    []*plan.Milestone // the unit's milestones, for the milestones sheet
	cols  []column
	units []string // unit ids pre-filled one per row (none for records)
	sheet string   // the sheet's name in a template
	title string
}

// subject is the id the sheet reports on, as _meta and the marker cell name it.
func (l *layout) subject() string {
	if l.ind == nil {
		return milestonesSubject
	}
	return l.ind.ID
}

func (l *layout) col(f field) int {
	for i, c := range l.cols {
		if c.field == f {
			return i
		}
	}
	return -1
}

// layouts lists the data sheets of a unit's template, indicators first, in plan order.
func layouts(p *plan.Plan, unit string) []*layout {
	inds, ms := p.Reports(unit)
	var out []*layout
	used := map[string]bool{instructionsSheet: true, milestonesSheet: true, metaSheet: true}
	for _, ind := range inds {
		l := indicatorLayout(p, ind, unit)
		l.sheet = uniqueSheetName(indicatorSheetName(ind), used)
		out = append(out, l)
	}
	if len(ms) > 0 {
		out = append(out, milestoneLayout(ms))
	}
	return out
}

// indicatorSheetName is the template's sheet name for an indicator: its task
// and name, without quotation marks, within Excel's 31 characters.
func indicatorSheetName(ind *plan.Indicator) string {
	name := strings.NewReplacer("“", "", "”", "", "\"", "", "'", "", ":", "", "/", "", "\\", "", "?", "", "*", "", "[", "(", "]", ")").Replace(ind.Name)
	s := ind.Task + "-" + name
	if utf8.RuneCountInString(s) > 31 {
		s = string([]rune(s)[:31])
	}
	return s
}

func uniqueSheetName(s string, used map[string]bool) string {
	name := s
	for i := 2; used[name]; i++ {
		suffix := fmt.Sprintf("(%d)", i)
		r := []rune(s)
		if len(r)+len(suffix) > 31 {
			r = r[:31-len(suffix)]
		}
		name = string(r) + suffix
	}
	used[name] = true
	return name
}

var (
	unitMatch   = []string{"地区", "县(市、区)", "区县", "县区", "单位", "地市"}
	noteColumn  = column{field: fNote, header: "备注", match: []string{"备注", "说明"}, width: 24}
	figureWidth = 20.0
)

func measure(ind *plan.Indicator) string {
	if ind.Measure == "" || ind.Measure == "%" || ind.Measure == "比例" {
		return ""
	}
	return "(" + ind.Measure + ")"
}

// indicatorLayout gives the columns and pre-filled rows of an indicator's sheet.
func indicatorLayout(p *plan.Plan, ind *plan.Indicator, unit string) *layout {
	l := &layout{ind: ind, title: fmt.Sprintf("%s %s", ind.Task, ind.Name)}
	unitCol := column{field: fUnit, header: "填报单位", match: unitMatch, required: true, width: 26}
	switch ind.Rows {
	case plan.RowsRegions:
		unitCol.header = "地区"
		l.units = rowUnits(p, ind, unit)
	case plan.RowsRecords:
	default:
		l.units = []string{unit}
	}
	m := measure(ind)
	switch ind.Kind {
	case plan.Level:
		l.cols = []column{unitCol, {field: fValue, header: "本月末数值" + m, match: []string{"数值", "本月末", "数量", "本月"}, required: true, width: figureWidth}}
	case plan.Count:
		l.cols = []column{unitCol, {field: fValue, header: "数量" + m, match: []string{"数量", "数值", "个数", "家数"}, required: true, width: figureWidth}}
	case plan.Cumulative:
		l.cols = []column{unitCol, {field: fTotal, header: "截至本月累计" + m, match: []string{"累计"}, required: true, width: figureWidth}}
	case plan.Ratio, plan.Coverage:
		num, den, pct := "分子"+m, "分母"+m, "比率(%)"
		numMatch, denMatch, pctMatch := []string{"分子", "已激活", "达标", "实现"}, []string{"分母", "参保", "总数", "全部"}, []string{"比率", "比例", "率(%)", "%"}
		if ind.Kind == plan.Coverage {
			num, den, pct = "已覆盖数"+m, "应覆盖总数"+m, "覆盖率(%)"
			numMatch, denMatch, pctMatch = []string{"已覆盖", "覆盖数", "分子"}, []string{"应覆盖", "总数", "分母"}, []string{"覆盖率", "比例", "%"}
		}
		l.cols = []column{unitCol,
			{field: fNum, header: num, match: numMatch, required: true, width: figureWidth},
			{field: fDen, header: den, match: denMatch, required: true, width: figureWidth}}
		if ind.Rows != plan.RowsRegions {
			// One unit's own share may be typed as a percentage instead.
			l.cols = append(l.cols, column{field: fPct, header: pct, match: pctMatch, width: figureWidth})
		}
	case plan.LeadTime:
		l.cols = []column{
			{field: fRecord, header: "需求编号", match: []string{"需求编号", "编号", "序号"}, required: true, width: 20},
			{field: fRequested, header: "申请日期", match: []string{"申请日期", "申请时间", "提出日期"}, required: true, width: 16},
			{field: fConnected, header: "完成对接日期", match: []string{"完成对接", "对接日期", "完成日期", "对接时间"}, width: 16},
		}
	}
	l.cols = append(l.cols, noteColumn)
	return l
}

// rowUnits lists the units a region-rows indicator wants a row for: the
// indicator's row units, narrowed to the reporter's own localities when it has any.
func rowUnits(p *plan.Plan, ind *plan.Indicator, unit string) []string {
	var own []string
	for _, id := range ind.RowUnits {
		if u, ok := p.Unit(id); ok && u.Parent == unit {
			own = append(own, id)
		}
	}
	if len(own) > 0 {
		return own
	}
	return ind.RowUnits
}

// stateChoices are the states as the dropdown offers them.
var stateChoices = []string{plan.StateNotStarted.Label(), plan.StateInProgress.Label(), plan.StateDone.Label()}

func milestoneLayout(ms []*plan.Milestone) *layout {
	return &layout{
		ms:    ms,
		sheet: milestonesSheet,
		title: "工作节点完成情况",
		cols: []column{
			{field: fMilestone, header: "节点编号", match: []string{"节点编号", "编号"}, required: true, width: 26},
			{field: fTask, header: "所属任务", match: []string{"所属任务", "任务"}, width: 10},
			{field: fDeliverable, header: "工作节点", match: []string{"工作节点", "节点内容", "工作内容"}, width: 48},
			{field: fDue, header: "计划完成时间", match: []string{"计划完成", "完成时限"}, width: 14},
			{field: fState, header: "状态", match: []string{"状态", "进展"}, required: true, width: 12},
			{field: fDate, header: "完成日期", match: []string{"实际完成", "完成日期"}, width: 14},
			{field: fEvidence, header: "佐证材料(文号或链接)", match: []string{"佐证", "文号", "链接"}, width: 36},
			noteColumn,
		},
	}
}

// parseState reads a milestone state as clerks write it.
func parseState(s string) (plan.MilestoneState, bool) {
	s = strings.ReplaceAll(clean(s), " ", "")
	if st, ok := plan.ParseMilestoneState(s); ok {
		return st, true
	}
	switch s {
	case "未启动", "尚未开始":
		return plan.StateNotStarted, true
	case "推进中", "正在推进", "在建", "实施中":
		return plan.StateInProgress, true
	case "完成", "已办结", "已完成。":
		return plan.StateDone, true
	}
	return "", false
}
