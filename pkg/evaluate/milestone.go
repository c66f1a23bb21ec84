package evaluate

import (
	"fmt"
	"strings"

	"github.com/duban-gov/duban/pkg/plan"
)

// milestoneReport is a lead unit's latest milestone report as of the as-of
// instant, and whether it reported for the latest period due.
type milestoneReport struct {
	unit     string
	latest   *plan.Observation // nil when it has reported nothing yet
	period   plan.Period       // the latest report's period
	reported bool              // a report for the latest period due came
}

// reportPeriod is the period a milestone report belongs to: its own, or the month of its date.
func reportPeriod(o *plan.Observation) plan.Period {
	if !o.Period.IsZero() {
		return o.Period
	}
	if !o.Date.IsZero() {
		return plan.PeriodOf(o.Date)
	}
	return plan.Period{}
}

// counts says whether a milestone report is known by the as-of instant: one
// with a date from that date on, one without once its period has ended.
func (c clock) counts(o *plan.Observation, per plan.Period) bool {
	if o.State == "" || per.IsZero() {
		return false
	}
	if !o.Date.IsZero() {
		return !o.Date.After(c.day)
	}
	return c.ended(per)
}

// appendMilestone appends a milestone's city evaluation, then each lead unit's, to out.
func appendMilestone(out []Evaluation, p *plan.Plan, m *plan.Milestone, c clock, byUnit map[string][]*plan.Observation) []Evaluation {
	periods := plan.Periods(m.Report, m.Start, m.Due)
	lastDue, lastDueIdx := c.lastDue(p, m.Report, periods)
	reports := make([]milestoneReport, len(m.Lead))
	for k, id := range m.Lead {
		rep := milestoneReport{unit: id, reported: lastDueIdx < 0}
		for _, o := range byUnit[id] {
			per := reportPeriod(o)
			if !c.counts(o, per) {
				continue
			}
			if per == lastDue {
				rep.reported = true
			}
			if rep.latest == nil || per.Compare(rep.period) >= 0 {
				rep.latest, rep.period = o, per
			}
		}
		if rep.latest != nil && rep.latest.State == plan.StateDone {
			rep.reported = true // a finished deliverable has nothing more to report
		}
		reports[k] = rep
	}

	mr := milestoneRun{p: p, m: m, c: c, lastDue: lastDue, hasDue: lastDueIdx >= 0}
	out = append(out, mr.city(reports))
	for _, rep := range reports {
		out = append(out, mr.unit(rep))
	}
	return out
}

type milestoneRun struct {
	p       *plan.Plan
	m       *plan.Milestone
	c       clock
	lastDue plan.Period
	hasDue  bool
}

func (mr milestoneRun) base() Evaluation {
	return Evaluation{
		Milestone: mr.m.ID,
		Task:      mr.m.Task,
		Name:      mr.m.Deliverable,
		Kind:      "milestone",
		LastDue:   mr.lastDue,
	}
}

// unit evaluates one lead unit's report.
func (mr milestoneRun) unit(rep milestoneReport) Evaluation {
	ev := mr.base()
	ev.UnitID, ev.Unit = rep.unit, mr.p.UnitName(rep.unit)
	if rep.latest != nil {
		ev.Period = rep.period
		ev.State, ev.Date, ev.Evidence = rep.latest.State, rep.latest.Date, rep.latest.Evidence
	}
	mr.status(&ev, rep.reported)
	var missing []string
	if !rep.reported {
		missing = []string{ev.Unit}
	}
	ev.Reason = mr.reason(&ev, missing, "")
	return ev
}

// city rolls the lead units' reports up. With one lead it is that lead's
// report. With several it is done when every lead is done (on the latest of
// their dates), in progress when any has moved, not started when those that
// reported have not; the reason then says where each lead stands. It is
// no data only when no lead reported for the latest period due.
func (mr milestoneRun) city(reports []milestoneReport) Evaluation {
	ev := mr.base()
	var (
		missing           []string
		anyReported       bool
		done, moved, seen int
		evidence, detail  []string
	)
	for _, rep := range reports {
		name := mr.p.UnitName(rep.unit)
		if rep.reported {
			anyReported = true
		} else {
			missing = append(missing, name)
		}
		if rep.latest == nil {
			detail = append(detail, name+"尚无进展报告")
			continue
		}
		seen++
		detail = append(detail, name+rep.latest.State.Label())
		if rep.period.Compare(ev.Period) > 0 {
			ev.Period = rep.period
		}
		switch rep.latest.State {
		case plan.StateDone:
			done++
			moved++
			if rep.latest.Date.After(ev.Date) {
				ev.Date = rep.latest.Date
			}
		case plan.StateInProgress:
			moved++
		}
		if e := rep.latest.Evidence; e != "" && !containsString(evidence, e) {
			evidence = append(evidence, e)
		}
	}
	switch {
	case len(reports) == 1 && seen == 1:
		ev.State, ev.Date = reports[0].latest.State, reports[0].latest.Date
	case seen == 0:
	case done == len(reports):
		ev.State = plan.StateDone
	case moved > 0:
		ev.State = plan.StateInProgress
	default:
		ev.State = plan.StateNotStarted
	}
	if len(reports) > 1 && ev.State != plan.StateDone {
		ev.Date = plan.Date{}
	} else {
		detail = nil
	}
	ev.Evidence = strings.Join(evidence, ";")
	ev.Missing = missing
	mr.status(&ev, anyReported || !mr.hasDue)
	if ev.State == "" {
		detail = nil
	}
	ev.Reason = mr.reason(&ev, missing, strings.Join(detail, ","))
	return ev
}

func (mr milestoneRun) status(ev *Evaluation, reported bool) {
	switch {
	case ev.State == plan.StateDone:
		statusOf(ev, plan.Achieved)
	case mr.c.reached(mr.m.Due.End(mr.c.loc)):
		statusOf(ev, plan.Missed)
	case mr.hasDue && !reported:
		statusOf(ev, plan.NoData)
	case !mr.c.reached(mr.m.Start.Start(mr.c.loc)):
		statusOf(ev, plan.NotStarted)
	default:
		statusOf(ev, plan.OnTrack)
	}
}

// reason names the state, its date and evidence (or, for several leads not
// all done, where each stands), and how many days are left or overdue:
// 进行中(2022年9月5日),距截止日期2022年12月31日还有92天.
func (mr milestoneRun) reason(ev *Evaluation, missing []string, detail string) string {
	m := mr.m
	due := periodName(m.Report.Frequency, mr.lastDue)
	var parts []string
	if ev.Status == plan.NoData {
		if ev.UnitID == "" && len(missing) > 1 {
			parts = append(parts, "各牵头单位均未报送"+due+"进展")
		} else {
			parts = append(parts, joinNames(missing)+"未报送"+due+"进展")
		}
	}
	state := ""
	if detail != "" {
		state = ev.State.Label() + "(" + detail + ")"
	} else if ev.State != "" {
		state = ev.State.Label()
		if !ev.Date.IsZero() {
			state += "(" + ev.Date.Chinese() + ")"
		}
		if ev.Evidence != "" {
			state += ",依据:" + ev.Evidence
		}
	}
	switch ev.Status {
	case plan.Achieved:
		parts = append(parts, state)
	case plan.NotStarted:
		parts = append(parts, "尚未开始,开始日期为"+m.Start.Chinese())
	case plan.Missed:
		s := fmt.Sprintf("截止日期%s已过,逾期%d天未完成", m.Due.Chinese(), m.Due.DaysUntil(mr.c.day))
		if state != "" {
			s += ",最近报告为" + state
		} else {
			s += ",尚无进展报告"
		}
		parts = append(parts, s)
	default:
		if state != "" && ev.Status == plan.NoData {
			parts = append(parts, "最近报告("+periodName(m.Report.Frequency, ev.Period)+")为"+state)
		} else if state != "" {
			parts = append(parts, state)
		} else if ev.Status != plan.NoData {
			parts = append(parts, "首期进展尚未到报送期限")
		}
		left := mr.c.day.DaysUntil(m.Due)
		if left == 0 {
			parts = append(parts, "今日截止("+m.Due.Chinese()+")")
		} else {
			parts = append(parts, fmt.Sprintf("距截止日期%s还有%d天", m.Due.Chinese(), left))
		}
	}
	out := strings.Join(parts, ",")
	if ev.UnitID == "" && len(missing) > 0 && ev.Status != plan.NoData {
		out += ";" + joinNames(missing) + "未报送" + due + "进展"
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
