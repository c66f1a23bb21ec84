// Package report turns evaluations and submissions into what the supervision
// office hands out: each unit's reports (on time, late, missing), the ranking
// of units, and the monthly briefing (督查通报) as an Excel workbook. Like the
// evaluator it reads no clock and no database: everything comes in as arguments.
package report

import (
	"sort"
	"time"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

// Report states: how a unit's report for one period stands as of an instant.
const (
	OnTime  = "on_time" // received by the end of its due day
	Late    = "late"    // received after its due day
	Missing = "missing" // not received
)

// ReportStateLabel is a report state's Chinese name.
func ReportStateLabel(s string) string {
	switch s {
	case OnTime:
		return "按时报送"
	case Late:
		return "逾期报送"
	case Missing:
		return "未报送"
	}
	return s
}

// ReportLine is one report a unit owed: the period, the day it fell due, and
// when (if at all) the first accepted submission for that period came in.
type ReportLine struct {
	Unit       string      `json:"unit"` // unit id
	Period     plan.Period `json:"period"`
	Due        plan.Date   `json:"due"`
	ReceivedAt *time.Time  `json:"received_at"`
	State      string      `json:"state"` // on_time | late | missing
	StateLabel string      `json:"state_label"`
	Submission int64       `json:"submission,omitempty"`
}

// Reports lists the reports a unit owed by asOf, oldest first: one per period
// of the indicators it files and the milestones it reports whose due day has
// ended by asOf (where several schedules share a period, the earliest due day
// counts). A report is the unit's first accepted submission for that period
// received by asOf; submissions received after asOf are not known yet.
func Reports(p *plan.Plan, unit string, subs []plan.Submission, asOf time.Time) []ReportLine {
	loc := location(p)
	due := map[plan.Period]plan.Date{}
	add := func(s plan.ReportSchedule, start, end plan.Date) {
		for _, per := range plan.Periods(s, start, end) {
			d, err := p.ReportDue(s, per)
			if err != nil || asOf.Before(d.End(loc)) {
				continue
			}
			if cur, ok := due[per]; !ok || d.Before(cur) {
				due[per] = d
			}
		}
	}
	inds, ms := p.Reports(unit)
	for _, ind := range inds {
		add(ind.Report, ind.Start, ind.Due)
	}
	for _, m := range ms {
		add(m.Report, m.Start, m.Due)
	}
	first := map[plan.Period]*plan.Submission{}
	for i := range subs {
		s := &subs[i]
		if s.Unit != unit || s.Outcome != plan.Accepted || s.ReceivedAt.After(asOf) {
			continue
		}
		if cur, ok := first[s.Period]; !ok || s.ReceivedAt.Before(cur.ReceivedAt) {
			first[s.Period] = s
		}
	}
	out := make([]ReportLine, 0, len(due))
	for per, d := range due {
		line := ReportLine{Unit: unit, Period: per, Due: d, State: Missing}
		if s, ok := first[per]; ok {
			at := s.ReceivedAt
			line.ReceivedAt, line.Submission = &at, s.ID
			line.State = OnTime
			if !at.Before(d.End(loc)) {
				line.State = Late
			}
		}
		line.StateLabel = ReportStateLabel(line.State)
		out = append(out, line)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Period.Compare(out[j].Period) < 0 })
	return out
}

// ReportCounts counts a unit's reports by state.
type ReportCounts struct {
	Due     int `json:"due"`
	OnTime  int `json:"on_time"`
	Late    int `json:"late"`
	Missing int `json:"missing"`
}

// CountReports counts report lines by state.
func CountReports(lines []ReportLine) ReportCounts {
	c := ReportCounts{Due: len(lines)}
	for _, l := range lines {
		switch l.State {
		case OnTime:
			c.OnTime++
		case Late:
			c.Late++
		case Missing:
			c.Missing++
		}
	}
	return c
}

// UnitRef names a unit.
type UnitRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Ranking is one unit's place among the units: the share of its own
// evaluations (one per indicator or milestone it is a row unit or lead of)
// that are achieved or on track, and its reports.
type Ranking struct {
	Rank        int                 `json:"rank"`
	Unit        UnitRef             `json:"unit"`
	Evaluations int                 `json:"evaluations"`
	Good        int                 `json:"good"`
	Share       float64             `json:"share"`
	Counts      map[plan.Status]int `json:"counts"`
	Reports     ReportCounts        `json:"reports"`
}

// Rank ranks every unit that has evaluations of its own: by the share of them
// achieved or on track, best first, ties by fewer missing reports; units equal
// on both share a rank (1, 1, 3). Units that tie keep plan file order.
func Rank(p *plan.Plan, evs []evaluate.Evaluation, subs []plan.Submission, asOf time.Time) []Ranking {
	byUnit := map[string]*Ranking{}
	for _, ev := range evs {
		if ev.UnitID == "" {
			continue
		}
		r := byUnit[ev.UnitID]
		if r == nil {
			r = &Ranking{Unit: UnitRef{ev.UnitID, p.UnitName(ev.UnitID)}, Counts: map[plan.Status]int{}}
			byUnit[ev.UnitID] = r
		}
		r.Evaluations++
		r.Counts[ev.Status]++
		if ev.Status == plan.Achieved || ev.Status == plan.OnTrack {
			r.Good++
		}
	}
	order := map[string]int{}
	for i, u := range p.Units {
		order[u.ID] = i
	}
	out := make([]Ranking, 0, len(byUnit))
	for id, r := range byUnit {
		r.Share = float64(r.Good) / float64(r.Evaluations)
		r.Reports = CountReports(Reports(p, id, subs, asOf))
		out = append(out, *r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Share != b.Share {
			return a.Share > b.Share
		}
		if a.Reports.Missing != b.Reports.Missing {
			return a.Reports.Missing < b.Reports.Missing
		}
		return order[a.Unit.ID] < order[b.Unit.ID]
	})
	for i := range out {
		out[i].Rank = i + 1
		if i > 0 && out[i].Share == out[i-1].Share && out[i].Reports.Missing == out[i-1].Reports.Missing {
			out[i].Rank = out[i-1].Rank
		}
	}
	return out
}

func location(p *plan.Plan) *time.Location {
	if p.Location != nil {
		return p.Location
	}
	return time.UTC
}
