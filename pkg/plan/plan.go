// Package plan holds duban's domain types — a work plan, its units, calendar,
// tasks, indicators and milestones, and the observations reported against
// them — and loads them from rule files. It imports nothing else of duban's.
package plan

import (
	"sort"
	"time"
)

// Plan is one work plan (工作要点), loaded and checked. It is immutable once loaded.
type Plan struct {
	ID         string
	Title      string
	Document   string // the issuing document
	Start, End Date
	Location   *time.Location
	Thresholds Thresholds
	Report     ReportSchedule
	Escalation Escalation
	Calendar   *Calendar
	Units      []*Unit
	Tasks      []*Task
	Indicators []*Indicator
	Milestones []*Milestone
	Dir        string // the folder it was loaded from

	units      map[string]*Unit // by id, name and alias
	tasks      map[string]*Task
	indicators map[string]*Indicator
	milestones map[string]*Milestone
}

// Thresholds turn a progress ratio into a status: on track at or above OnTrack,
// critical below Critical, lagging between.
type Thresholds struct {
	OnTrack  float64 `json:"on_track"`
	Critical float64 `json:"critical"`
}

// ReportSchedule says how often a figure is reported and when each report falls due.
type ReportSchedule struct {
	Frequency Frequency `json:"frequency"`
	// DueWorkdays is the working day after the period's end on which its report falls due.
	DueWorkdays int `json:"due_workdays"`
}

// Escalation gives, in working days past a due date, when an alert moves up:
// 提醒 from the first day, 督办 from FollowUp, 通报 from Briefing.
type Escalation struct {
	FollowUp int `json:"follow_up"`
	Briefing int `json:"briefing"`
}

// UnitKind says what sort of body a unit is.
type UnitKind string

// Unit kinds.
const (
	Department UnitKind = "department"
	Region     UnitKind = "region"
	Group      UnitKind = "group"    // a named set of units, such as 各地政府(管委会)
	Locality   UnitKind = "locality" // a town or village under a region
)

// Unit is a department, a region, a lower-level locality or a named group.
type Unit struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Kind    UnitKind `json:"kind"`
	Aliases []string `json:"aliases,omitempty"`
	Parent  string   `json:"parent,omitempty"`  // unit id
	Members []string `json:"members,omitempty"` // unit ids, for a group
}

// Task is one numbered work item, such as 14.4.
type Task struct {
	ID         string   `json:"id"`
	Part       string   `json:"part"`    // 四、彰显数字政府服务新成效
	Section    string   `json:"section"` // (十四)深化"粤系列"政务服务平台应用
	Title      string   `json:"title"`
	Lead       []string `json:"lead"` // unit ids
	Co         []string `json:"co,omitempty"`
	Due        Date     `json:"due"`
	Indicators []string `json:"indicators,omitempty"`
	Milestones []string `json:"milestones,omitempty"`
}

// Kind is how an indicator's figures add up.
type Kind string

// Indicator kinds.
const (
	Level      Kind = "level"      // a value at a point in time; the latest period counts
	Cumulative Kind = "cumulative" // increments, summed over periods and units
	Ratio      Kind = "ratio"      // numerator / denominator, summed separately
	Coverage   Kind = "coverage"   // covered / total of a unit list
	LeadTime   Kind = "lead_time"  // per-record working-day durations, scored as the share within a limit
	Count      Kind = "count"      // how many of something exist
)

// Kinds lists every indicator kind.
var Kinds = []Kind{Level, Cumulative, Ratio, Coverage, LeadTime, Count}

// IsFraction reports whether the kind's figures are fractions (0.65 is 65 %).
func (k Kind) IsFraction() bool { return k == Ratio || k == Coverage || k == LeadTime }

// Comparator says how an actual meets a target.
type Comparator string

// Comparators.
const (
	GE      Comparator = ">="
	GT      Comparator = ">"
	LE      Comparator = "<="
	Between Comparator = "between"
)

// Met reports whether v meets the target.
func (t Target) Met(v float64) bool {
	switch t.Op {
	case GE:
		return v >= t.Value
	case GT:
		return v > t.Value
	case LE:
		return v <= t.Value
	case Between:
		return v >= t.Value && v <= t.High
	}
	return false
}

// Target is a comparator and its figure; Between has Value as its low end and High as its high end.
type Target struct {
	Op    Comparator `json:"comparator"`
	Value float64    `json:"value"`
	High  float64    `json:"high,omitempty"`
}

// Checkpoint says what share of the way from baseline to target is expected by a date.
type Checkpoint struct {
	Date  Date    `json:"date"`
	Share float64 `json:"share"`
}

// Rows says what one observation of an indicator is about.
type Rows string

// Row kinds.
const (
	RowsReporter Rows = "reporter" // one row per reporting unit: the unit's own figure
	RowsRegions  Rows = "regions"  // the reporter files one row per region
	RowsRecords  Rows = "records"  // one row per event (a data-sharing request)
)

// Indicator is one measurable target.
type Indicator struct {
	ID          string             `json:"id"`
	Task        string             `json:"task"`
	Name        string             `json:"name"`
	Measure     string             `json:"measure"` // unit of measure: 人次, 笔, 核 …
	Kind        Kind               `json:"kind"`
	Target      Target             `json:"target"`
	Baseline    float64            `json:"baseline"`
	Start       Date               `json:"start"`
	Due         Date               `json:"due"`
	Checkpoints []Checkpoint       `json:"checkpoints,omitempty"`
	Thresholds  Thresholds         `json:"thresholds"`
	Report      ReportSchedule     `json:"report"`
	Escalation  Escalation         `json:"escalation"`
	ReportedBy  []string           `json:"reported_by"` // unit ids that file it
	Rows        Rows               `json:"rows"`
	RowUnits    []string           `json:"row_units"`              // unit ids an observation may be about
	UnitTargets map[string]float64 `json:"unit_targets,omitempty"` // by unit id, where a unit's share differs from the plan's
	Limit       int                `json:"limit,omitempty"`        // lead_time: working days allowed
}

// MilestoneState is how far a milestone has got.
type MilestoneState string

// Milestone states, as clerks report them.
const (
	StateNotStarted MilestoneState = "not_started"
	StateInProgress MilestoneState = "in_progress"
	StateDone       MilestoneState = "done"
)

// Label is the state's Chinese name.
func (s MilestoneState) Label() string {
	switch s {
	case StateNotStarted:
		return "未开始"
	case StateInProgress:
		return "进行中"
	case StateDone:
		return "已完成"
	}
	return string(s)
}

// ParseMilestoneState reads a state by its code or Chinese name.
func ParseMilestoneState(s string) (MilestoneState, bool) {
	for _, st := range []MilestoneState{StateNotStarted, StateInProgress, StateDone} {
		if s == string(st) || s == st.Label() {
			return st, true
		}
	}
	return "", false
}

// Milestone is a dated deliverable without a number.
type Milestone struct {
	ID          string         `json:"id"`
	Task        string         `json:"task"`
	Deliverable string         `json:"deliverable"`
	Start       Date           `json:"start"`
	Due         Date           `json:"due"`
	Lead        []string       `json:"lead"` // unit ids that report it
	Report      ReportSchedule `json:"report"`
	Escalation  Escalation     `json:"escalation"`
}

// Reindex builds the plan's look-up tables from its slices. The loader calls it;
// code that builds a Plan by hand (tests) must call it too.
func (p *Plan) Reindex() {
	p.units = map[string]*Unit{}
	for _, u := range p.Units {
		for _, ref := range append([]string{u.ID, u.Name}, u.Aliases...) {
			if _, dup := p.units[ref]; !dup {
				p.units[ref] = u
			}
		}
	}
	p.tasks = map[string]*Task{}
	for _, t := range p.Tasks {
		p.tasks[t.ID] = t
	}
	p.indicators = map[string]*Indicator{}
	for _, i := range p.Indicators {
		p.indicators[i.ID] = i
	}
	p.milestones = map[string]*Milestone{}
	for _, m := range p.Milestones {
		p.milestones[m.ID] = m
	}
}

// Unit finds a unit by id, Chinese name or alias.
func (p *Plan) Unit(ref string) (*Unit, bool) { u, ok := p.units[ref]; return u, ok }

// Task finds a task by id.
func (p *Plan) Task(id string) (*Task, bool) { t, ok := p.tasks[id]; return t, ok }

// Indicator finds an indicator by id.
func (p *Plan) Indicator(id string) (*Indicator, bool) { i, ok := p.indicators[id]; return i, ok }

// Milestone finds a milestone by id.
func (p *Plan) Milestone(id string) (*Milestone, bool) { m, ok := p.milestones[id]; return m, ok }

// UnitName is the display name of a unit id, or the id itself if unknown.
func (p *Plan) UnitName(id string) string {
	if u, ok := p.units[id]; ok {
		return u.Name
	}
	return id
}

// UnitsOf lists the units of one kind, in file order.
func (p *Plan) UnitsOf(kind UnitKind) []*Unit {
	var out []*Unit
	for _, u := range p.Units {
		if u.Kind == kind {
			out = append(out, u)
		}
	}
	return out
}

// Reports lists, for a unit id, the indicators it files and the milestones it reports.
func (p *Plan) Reports(unit string) ([]*Indicator, []*Milestone) {
	var inds []*Indicator
	var ms []*Milestone
	for _, ind := range p.Indicators {
		if contains(ind.ReportedBy, unit) {
			inds = append(inds, ind)
		}
	}
	for _, m := range p.Milestones {
		if contains(m.Lead, unit) {
			ms = append(ms, m)
		}
	}
	return inds, ms
}

// ReportingUnits lists the ids of every unit that files anything, in file order.
func (p *Plan) ReportingUnits() []string {
	seen := map[string]bool{}
	for _, ind := range p.Indicators {
		for _, u := range ind.ReportedBy {
			seen[u] = true
		}
	}
	for _, m := range p.Milestones {
		for _, u := range m.Lead {
			seen[u] = true
		}
	}
	var out []string
	for _, u := range p.Units {
		if seen[u.ID] {
			out = append(out, u.ID)
		}
	}
	return out
}

// Periods lists the reporting periods of a schedule that end within [start, due], in order.
func Periods(s ReportSchedule, start, due Date) []Period {
	var out []Period
	for p := PeriodOf(start); !p.LastDay().After(PeriodOf(due).LastDay()); p = p.AddMonths(1) {
		if s.Frequency == Quarterly && p.Month%3 != 0 {
			continue
		}
		out = append(out, p)
	}
	return out
}

// ReportDue is the last day on which the report for period p may arrive on time.
func (p *Plan) ReportDue(s ReportSchedule, per Period) (Date, error) {
	return p.Calendar.AddWorkdays(per.LastDay(), s.DueWorkdays)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
