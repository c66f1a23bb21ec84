// Package alert turns evaluations into alerts (预警) a supervisor chases, keeps
// their state from one evaluation to the next (fire, escalate, repeat,
// resolve), and delivers notifications about them through an outbox to
// webhooks, WeCom group robots and e-mail.
//
// Two families are kept apart because they go to different people: data late
// (report_overdue, 逾期未报) goes to whoever files the figures; performance
// (lagging, critical, missed, anomaly) to whoever must deliver them.
//
// Derive is pure: the same plan, evaluations, observations and as-of instant
// always give the same alerts. Reconcile, also pure, compares them with the
// stored ones and says which notifications are due; Sync runs it inside one
// store transaction; Sender drains the outbox.
package alert

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

// Derive works out the alerts that hold as of asOf, from the plan, its
// evaluations as of asOf and the observations they were made from:
//
//   - report_overdue for each unit whose report of a period is past its due
//     working day (plan.ReportDue) and has not come. A run of consecutive
//     missing periods after the unit's latest report is one alert, keyed by
//     its first period and counted from that period's due day, so that a
//     unit that stays silent climbs the levels instead of restarting every
//     month; gaps before a unit's first report (the plan came out mid-year,
//     and a first report covers the months before it) are not chased, and
//     nor is a unit whose figure has already met its target or whose
//     milestone is done. A unit that has never reported is late from the
//     first period due. Lead-time indicators, whose records come only when
//     there is a request, use the evaluation's no_data instead.
//   - lagging or critical from every city and unit evaluation with that
//     status, counted from the due day of the report the figure came from;
//     only one of the two exists for a subject and unit, so critical mutes lagging.
//   - missed from every evaluation past its due date, counted from that date.
//   - anomaly for every observation the evaluator set aside.
//
// A city alert (Unit "") is addressed to the task's lead units.
func Derive(p *plan.Plan, evs []evaluate.Evaluation, obs []plan.Observation, asOf time.Time) []plan.Alert {
	d := deriver{p: p, asOf: asOf, day: asOfDay(p, asOf), byKey: map[string]bool{}}
	d.evaluations(evs)
	d.reports(evs, obs)
	slices.SortStableFunc(d.out, func(a, b plan.Alert) int {
		return cmp.Or(cmp.Compare(a.Family, b.Family), cmp.Compare(a.Key, b.Key))
	})
	return d.out
}

type deriver struct {
	p     *plan.Plan
	asOf  time.Time
	day   plan.Date
	out   []plan.Alert
	byKey map[string]bool
}

// asOfDay is the day the as-of instant falls in, in the plan's time zone: the end of a day belongs to that day.
func asOfDay(p *plan.Plan, asOf time.Time) plan.Date {
	return plan.DateOf(asOf.Add(-time.Nanosecond).In(location(p)))
}

func location(p *plan.Plan) *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

func (d *deriver) add(a plan.Alert) {
	a.PlanID = d.p.ID
	a.Family = a.Kind.Family()
	a.Key = plan.AlertKey(a.Kind, a.Subject, a.Unit, a.Period)
	a.State = plan.Firing
	a.Overdue = Workdays(d.p, a.Since, d.day)
	a.Level = escalationOf(d.p, a.Subject).LevelAt(a.Overdue)
	if d.byKey[a.Key] {
		return // the city evaluation repeats its units' anomalies: keep the first
	}
	d.byKey[a.Key] = true
	d.out = append(d.out, a)
}

// Workdays counts the working days after since up to and including day on
// the plan's calendar; days the calendar does not cover are not counted.
func Workdays(p *plan.Plan, since, day plan.Date) int {
	if p.Calendar == nil || since.IsZero() || !day.After(since) {
		return 0
	}
	if day.After(p.Calendar.To) {
		day = p.Calendar.To
	}
	if since.Before(p.Calendar.From) {
		since = p.Calendar.From
	}
	n, err := p.Calendar.WorkdaysBetween(since, day)
	if err != nil {
		return 0
	}
	return n
}

// escalationOf is a subject's escalation: its own, else the plan's.
func escalationOf(p *plan.Plan, subject string) plan.Escalation {
	var e plan.Escalation
	if ind, ok := p.Indicator(subject); ok {
		e = ind.Escalation
	} else if m, ok := p.Milestone(subject); ok {
		e = m.Escalation
	}
	if e == (plan.Escalation{}) {
		e = p.Escalation
	}
	return e
}

// leads are the units a city alert is addressed to: the task's lead units, groups expanded.
func (d *deriver) leads(taskID string) []string {
	t, ok := d.p.Task(taskID)
	if !ok {
		return nil
	}
	return expand(d.p, t.Lead)
}

func expand(p *plan.Plan, ids []string) []string {
	var out []string
	for _, id := range ids {
		u, ok := p.Unit(id)
		if ok && u.Kind == plan.Group && len(u.Members) > 0 {
			for _, m := range u.Members {
				if !slices.Contains(out, m) {
					out = append(out, m)
				}
			}
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (d *deriver) reportDue(s plan.ReportSchedule, per plan.Period) (plan.Date, bool) {
	if d.p.Calendar == nil || per.IsZero() {
		return plan.Date{}, false
	}
	due, err := d.p.ReportDue(s, per)
	return due, err == nil
}

// evaluations derives lagging, critical, missed and anomaly alerts.
func (d *deriver) evaluations(evs []evaluate.Evaluation) {
	rows := map[string]int{} // unit evaluations per subject
	for _, ev := range evs {
		if ev.UnitID != "" {
			rows[ev.Indicator+ev.Milestone]++
		}
	}
	for _, ev := range evs {
		subject := ev.Indicator + ev.Milestone
		// With a single row unit the city figure is that unit's figure: one
		// alert (the city's, addressed to the task's leads) says it all.
		single := ev.UnitID != "" && rows[subject] == 1
		notify := []string{ev.UnitID}
		if ev.UnitID == "" {
			notify = d.leads(ev.Task)
		}
		base := plan.Alert{Subject: subject, Task: ev.Task, Unit: ev.UnitID, Name: ev.Name, Notify: notify, Reason: ev.Reason}
		ind, isInd := d.p.Indicator(ev.Indicator)
		status := ev.Status
		if status == plan.NoData && isInd {
			// The latest report is late, but the last figure still says how
			// far behind it is: a late report must not silence a lag.
			status = lastFigureStatus(d.p, ind, ev)
		}
		switch status {
		case plan.Lagging, plan.Critical:
			if !isInd || single {
				break
			}
			due, ok := d.reportDue(ind.Report, ev.Period)
			if !ok {
				break
			}
			a := base
			a.Kind = plan.AlertLagging
			if status == plan.Critical {
				a.Kind = plan.AlertCritical
			}
			a.Since = due
			a.CatchUp = catchUp(ind, ev)
			d.add(a)
		case plan.Missed:
			if single {
				break
			}
			a := base
			a.Kind = plan.AlertMissed
			if isInd {
				a.Since = ind.Due
				a.CatchUp = catchUp(ind, ev)
			} else if m, ok := d.p.Milestone(ev.Milestone); ok {
				a.Since = m.Due
				a.CatchUp = "请尽快完成“" + m.Deliverable + "”并报送完成情况及佐证材料"
			}
			d.add(a)
		}
		if !isInd {
			continue
		}
		for _, an := range ev.Anomalies {
			due, _ := d.reportDue(ind.Report, an.Period)
			notify := []string{an.Unit}
			if ind.Rows != plan.RowsReporter {
				notify = expand(d.p, ind.ReportedBy)
			}
			d.add(plan.Alert{
				Kind: plan.AlertAnomaly, Subject: ind.ID, Task: ind.Task, Unit: an.Unit, Period: an.Period,
				Code: an.Code, Name: ind.Name, Notify: notify, Since: due,
				Reason:  d.p.UnitName(an.Unit) + an.Period.Chinese() + "“" + ind.Name + "”数据异常:" + an.Reason,
				CatchUp: "请核实" + an.Period.Chinese() + "数据并重新报送",
			})
		}
	}
}

// lastFigureStatus is the status the last figure of a no_data evaluation
// would have had: lagging or critical by the indicator's thresholds, else no_data.
func lastFigureStatus(p *plan.Plan, ind *plan.Indicator, ev evaluate.Evaluation) plan.Status {
	if ev.Progress == nil || ev.Period.IsZero() {
		return plan.NoData
	}
	th := ind.Thresholds
	if th == (plan.Thresholds{}) {
		th = p.Thresholds
	}
	const epsilon = 1e-9 // as the evaluator holds progress against thresholds
	switch pr := *ev.Progress; {
	case pr < th.Critical-epsilon:
		return plan.Critical
	case pr < th.OnTrack-epsilon:
		return plan.Lagging
	}
	return plan.NoData
}

// catchUp says what it would take to meet the target on time: 剩余3个月需月均新增4.1万人次.
func catchUp(ind *plan.Indicator, ev evaluate.Evaluation) string {
	if ev.NeededPerPeriod == nil {
		return ""
	}
	v := *ev.NeededPerPeriod
	per, span := "月均", fmt.Sprintf("%d个月", ev.RemainingPeriods)
	if ind.Report.Frequency == plan.Quarterly {
		per, span = "季均", fmt.Sprintf("%d个季度", ev.RemainingPeriods)
	}
	var change string
	switch {
	case ind.Kind.IsFraction():
		verb := "提高"
		if v < 0 {
			verb, v = "降低", -v
		}
		change = per + verb + strings.TrimSuffix(evaluate.FormatPercent(v), "%") + "个百分点"
	default:
		verb := "增加"
		if ind.Kind == plan.Cumulative {
			verb = "新增"
		}
		if v < 0 {
			verb, v = "减少", -v
		}
		change = per + verb + evaluate.FormatValue(ind.Kind, ind.Measure, v)
	}
	if ev.RemainingPeriods <= 0 {
		return "已无剩余报送期,需立即" + strings.TrimPrefix(change, per)
	}
	return "剩余" + span + "需" + change
}

// reporter is one unit that owes reports of one subject, and the periods it reported.
type reporter struct {
	unit     string
	rows     []string // the observation units whose rows it files
	reported map[plan.Period]bool
	doneFrom plan.Period // milestones: the period of its first done report
}

// reports derives report_overdue alerts.
func (d *deriver) reports(evs []evaluate.Evaluation, obs []plan.Observation) {
	status := map[[2]string]evaluate.Evaluation{}
	for _, ev := range evs {
		status[[2]string{ev.Indicator + ev.Milestone, ev.UnitID}] = ev
	}
	achieved := func(subject, unit string) bool {
		ev, ok := status[[2]string{subject, unit}]
		return ok && ev.Status == plan.Achieved
	}
	bySubject := map[string][]plan.Observation{}
	for _, o := range obs {
		bySubject[o.Subject()] = append(bySubject[o.Subject()], o)
	}
	for _, ind := range d.p.Indicators {
		if ind.Kind == plan.LeadTime {
			d.leadTime(ind, evs)
			continue
		}
		if achieved(ind.ID, "") {
			continue
		}
		var reps []*reporter
		switch ind.Rows {
		case plan.RowsReporter, "":
			for _, u := range rowUnitsOf(ind) {
				if !achieved(ind.ID, u) {
					reps = append(reps, &reporter{unit: u, rows: []string{u}, reported: map[plan.Period]bool{}})
				}
			}
		default:
			for _, u := range ind.ReportedBy {
				reps = append(reps, &reporter{unit: u, rows: rowUnitsOf(ind), reported: map[plan.Period]bool{}})
			}
		}
		for _, r := range reps {
			for _, o := range bySubject[ind.ID] {
				if o.Indicator == ind.ID && slices.Contains(r.rows, o.Unit) {
					r.reported[o.Period] = true
				}
			}
			d.overdueRuns(ind.ID, ind.Task, ind.Name, ind.Report, ind.Start, ind.Due, r)
		}
	}
	for _, m := range d.p.Milestones {
		if achieved(m.ID, "") {
			continue
		}
		for _, u := range m.Lead {
			if achieved(m.ID, u) {
				continue
			}
			r := &reporter{unit: u, rows: []string{u}, reported: map[plan.Period]bool{}}
			for _, o := range bySubject[m.ID] {
				if o.Milestone != m.ID || o.Unit != u || o.State == "" {
					continue
				}
				per := o.Period
				if per.IsZero() {
					per = plan.PeriodOf(o.Date)
				}
				if per.IsZero() || !o.Date.IsZero() && o.Date.After(d.day) {
					continue
				}
				r.reported[per] = true
				if o.State == plan.StateDone && (r.doneFrom.IsZero() || per.Compare(r.doneFrom) < 0) {
					r.doneFrom = per
				}
			}
			d.overdueRuns(m.ID, m.Task, m.Deliverable, m.Report, m.Start, m.Due, r)
		}
	}
}

func rowUnitsOf(ind *plan.Indicator) []string {
	if len(ind.RowUnits) > 0 {
		return ind.RowUnits
	}
	return ind.ReportedBy
}

// overdueRuns adds one report_overdue alert for each run of consecutive
// periods whose reports are overdue and missing, after the unit's first report.
func (d *deriver) overdueRuns(subject, task, name string, s plan.ReportSchedule, start, due plan.Date, r *reporter) {
	loc := location(d.p)
	var duePeriods []plan.Period
	for _, per := range plan.Periods(s, start, due) {
		dd, ok := d.reportDue(s, per)
		if !ok || d.asOf.Before(dd.End(loc)) {
			break
		}
		duePeriods = append(duePeriods, per)
	}
	first := -1
	for i, per := range duePeriods {
		if r.reported[per] {
			first = i
			break
		}
	}
	var run []plan.Period
	flush := func() {
		if len(run) == 0 {
			return
		}
		since, _ := d.reportDue(s, run[0])
		d.add(plan.Alert{
			Kind: plan.ReportOverdue, Subject: subject, Task: task, Unit: r.unit, Period: run[0], Name: name,
			Notify: []string{r.unit}, Since: since,
			Reason: fmt.Sprintf("%s未报送“%s”%s数据,%s报送期限为%s", d.p.UnitName(r.unit), name,
				periodList(s.Frequency, run), periodName(s.Frequency, run[0]), since.Chinese()),
			CatchUp: "请尽快报送" + periodList(s.Frequency, run) + "数据",
		})
		run = nil
	}
	for i, per := range duePeriods {
		covered := r.reported[per] || i < first ||
			!r.doneFrom.IsZero() && per.Compare(r.doneFrom) >= 0
		if covered {
			flush()
			continue
		}
		run = append(run, per)
	}
	flush()
}

// leadTime derives report_overdue for lead-time indicators from the evaluation's no_data.
func (d *deriver) leadTime(ind *plan.Indicator, evs []evaluate.Evaluation) {
	for _, ev := range evs {
		if ev.Indicator != ind.ID || ev.UnitID == "" || ev.Status != plan.NoData || ev.LastDue.IsZero() {
			continue
		}
		since, _ := d.reportDue(ind.Report, ev.LastDue)
		d.add(plan.Alert{
			Kind: plan.ReportOverdue, Subject: ind.ID, Task: ind.Task, Unit: ev.UnitID, Period: ev.LastDue, Name: ind.Name,
			Notify: []string{ev.UnitID}, Since: since, Reason: ev.Reason,
			CatchUp: "请尽快报送" + periodName(ind.Report.Frequency, ev.LastDue) + "数据",
		})
	}
}

// periodName names a reporting period: 2022年9月, or 2022年第三季度.
func periodName(f plan.Frequency, per plan.Period) string {
	if f == plan.Quarterly && per.Month%3 == 0 {
		return fmt.Sprintf("%d年第%s季度", per.Year, []string{"一", "二", "三", "四"}[per.Month/3-1])
	}
	return per.Chinese()
}

// periodList names a run of periods: 2022年9月, or 2022年8月至2022年10月(共3期).
func periodList(f plan.Frequency, run []plan.Period) string {
	if len(run) == 1 {
		return periodName(f, run[0])
	}
	return fmt.Sprintf("%s至%s(共%d期)", periodName(f, run[0]), periodName(f, run[len(run)-1]), len(run))
}

// SortForBriefing orders alerts the way a supervisor reads them: firing
// before resolved, highest level first, then by family, task, unit and key.
func SortForBriefing(list []plan.Alert) {
	slices.SortStableFunc(list, func(a, b plan.Alert) int {
		return cmp.Or(
			cmp.Compare(firingRank(b), firingRank(a)),
			cmp.Compare(b.Level.Rank(), a.Level.Rank()),
			cmp.Compare(a.Family, b.Family),
			cmp.Compare(a.Task, b.Task),
			cmp.Compare(a.Unit, b.Unit),
			cmp.Compare(a.Key, b.Key),
		)
	})
}

func firingRank(a plan.Alert) int {
	if a.State == plan.Firing {
		return 1
	}
	return 0
}
