package evaluate

import (
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// Evaluation is the state of one indicator or milestone, for the city as a
// whole or for one unit, as of an instant: the figures and the status they
// give, and one Chinese sentence that says why.
type Evaluation struct {
	Indicator        string              `json:"indicator,omitempty"`
	Milestone        string              `json:"milestone,omitempty"`
	Task             string              `json:"task"`
	Name             string              `json:"name"`              // indicator name or milestone deliverable
	Unit             string              `json:"unit,omitempty"`    // the unit's Chinese name; absent for the city figure
	UnitID           string              `json:"unit_id,omitempty"` // the unit's id; absent for the city figure
	Kind             string              `json:"kind"`              // the indicator kind, or "milestone"
	Measure          string              `json:"measure,omitempty"` // unit of measure
	Period           plan.Period         `json:"period,omitzero"`   // P: the period the actual is through
	LastDue          plan.Period         `json:"last_due,omitzero"` // latest period whose report is due by as-of
	Status           plan.Status         `json:"status"`            // the colour on the battle map
	StatusLabel      string              `json:"status_label"`      // Chinese
	Actual           *float64            `json:"actual"`            // the figure through Period
	Expected         *float64            `json:"expected"`          // the figure expected at the end of Period
	Target           *float64            `json:"target"`            // the low end for between
	TargetHigh       *float64            `json:"target_high,omitempty"`
	Comparator       string              `json:"comparator,omitempty"`
	Baseline         *float64            `json:"baseline,omitempty"`
	Progress         *float64            `json:"progress"`                    // (actual − baseline) / (expected − baseline)
	Numerator        *float64            `json:"numerator,omitempty"`         // fractions: Σ numerators (lead time: records within the limit)
	Denominator      *float64            `json:"denominator,omitempty"`       // fractions: Σ denominators (lead time: records scored)
	Forecast         *float64            `json:"forecast,omitempty"`          // the figure at the due date if the pace so far goes on
	NeededPerPeriod  *float64            `json:"needed_per_period,omitempty"` // what each remaining period must add
	RemainingPeriods int                 `json:"remaining_periods,omitempty"` // reporting periods after Period up to the due date
	State            plan.MilestoneState `json:"state,omitempty"`             // milestones
	Date             plan.Date           `json:"date,omitzero"`               // milestones: the reported date
	Evidence         string              `json:"evidence,omitempty"`          // milestones: 文号 or link
	Missing          []string            `json:"missing,omitempty"`           // city figure: names of units whose latest due report is missing
	Anomalies        []Anomaly           `json:"anomalies,omitempty"`
	Reason           string              `json:"reason"` // one Chinese sentence with the figures in it
}

// Anomaly codes: the figure an observation carries cannot be right, so it is not used.
const (
	CumulativeDecrease = "cumulative_decrease" // a cumulative figure went down
	RatioAboveOne      = "ratio_above_one"     // a numerator above its denominator
	NegativeValue      = "negative_value"      // a figure below zero
)

// Anomaly is an observation that was set aside because its figure cannot be right.
type Anomaly struct {
	Unit   string      `json:"unit"` // unit id
	Period plan.Period `json:"period"`
	Code   string      `json:"code"`   // cumulative_decrease | ratio_above_one | negative_value
	Reason string      `json:"reason"` // Chinese
}

// Evaluate evaluates every indicator and milestone of p, in plan order
// (indicators in p.Indicators order, then milestones in p.Milestones order);
// for each, the city figure first (Unit == ""), then one per row unit
// (indicator: ind.RowUnits in that order; milestone: m.Lead). It reads no
// clock and does no I/O: the same arguments always give the same result.
func Evaluate(p *plan.Plan, obs []plan.Observation, asOf time.Time) []Evaluation {
	ix := indexObservations(obs)
	c := newClock(p, asOf)
	n := 0
	for _, ind := range p.Indicators {
		n += len(rowUnits(ind)) + 1
	}
	for _, m := range p.Milestones {
		n += len(m.Lead) + 1
	}
	out := make([]Evaluation, 0, n)
	for _, ind := range p.Indicators {
		out = newIndicatorRun(p, ind, c, ix.indicators[ind.ID]).appendEvaluations(out)
	}
	for _, m := range p.Milestones {
		out = appendMilestone(out, p, m, c, ix.milestones[m.ID])
	}
	return out
}

// TaskStatuses rolls each task's evaluations (city figures only) up to one
// status: the most severe (plan.Status.Severity), so `achieved` only if all
// are achieved. A task with no evaluation among evs is absent from the map.
func TaskStatuses(p *plan.Plan, evs []Evaluation) map[string]plan.Status {
	out := map[string]plan.Status{}
	for _, ev := range evs {
		if ev.UnitID != "" || ev.Task == "" {
			continue
		}
		if cur, ok := out[ev.Task]; !ok || ev.Status.Severity() > cur.Severity() {
			out[ev.Task] = ev.Status
		}
	}
	for id := range out {
		if _, ok := p.Task(id); !ok {
			delete(out, id)
		}
	}
	return out
}

// clock is the as-of instant and what follows from it in the plan's time zone.
type clock struct {
	loc  *time.Location
	asOf time.Time
	day  plan.Date // the day the as-of instant falls in: a date's end belongs to that date
}

func newClock(p *plan.Plan, asOf time.Time) clock {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	return clock{loc: loc, asOf: asOf, day: plan.DateOf(asOf.Add(-time.Nanosecond).In(loc))}
}

// reached reports whether the as-of instant is at or after t.
func (c clock) reached(t time.Time) bool { return !c.asOf.Before(t) }

// ended reports whether period per has ended by the as-of instant.
func (c clock) ended(per plan.Period) bool { return c.reached(per.LastDay().End(c.loc)) }

// lastDue is the latest of periods whose report is due by the as-of instant,
// and its index; -1 when none is. A report whose due date the calendar cannot
// work out is taken as not yet due: the loader rejects such plans.
func (c clock) lastDue(p *plan.Plan, s plan.ReportSchedule, periods []plan.Period) (plan.Period, int) {
	if p.Calendar == nil {
		return plan.Period{}, -1
	}
	for i := len(periods) - 1; i >= 0; i-- {
		if !c.ended(periods[i]) {
			continue
		}
		due, err := p.ReportDue(s, periods[i])
		if err != nil {
			continue
		}
		if c.reached(due.End(c.loc)) {
			return periods[i], i
		}
	}
	return plan.Period{}, -1
}

// observationIndex holds pointers into the observations, by subject and unit,
// in the order given, so that each evaluation reads only its own.
type observationIndex struct {
	indicators map[string]map[string][]*plan.Observation
	milestones map[string]map[string][]*plan.Observation
}

func indexObservations(obs []plan.Observation) observationIndex {
	ix := observationIndex{
		indicators: map[string]map[string][]*plan.Observation{},
		milestones: map[string]map[string][]*plan.Observation{},
	}
	for i := range obs {
		o := &obs[i]
		m, id := ix.indicators, o.Indicator
		if o.Milestone != "" {
			m, id = ix.milestones, o.Milestone
		}
		if id == "" {
			continue
		}
		byUnit := m[id]
		if byUnit == nil {
			byUnit = map[string][]*plan.Observation{}
			m[id] = byUnit
		}
		byUnit[o.Unit] = append(byUnit[o.Unit], o)
	}
	return ix
}

func ptr(v float64) *float64 { return &v }

func statusOf(ev *Evaluation, s plan.Status) {
	ev.Status = s
	ev.StatusLabel = s.Label()
}
