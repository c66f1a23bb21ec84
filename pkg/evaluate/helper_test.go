package evaluate_test

import (
	"math"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

// shanghai is the plan's time zone; tests fail rather than guess without it.
func shanghai(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatalf("load time zone: %v", err)
	}
	return loc
}

func d(s string) plan.Date {
	v, err := plan.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func per(s string) plan.Period {
	v, err := plan.ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return v
}

func f(v float64) *float64 { return &v }

// calendar2022 is the working-day calendar of 2022 and January 2023 as the
// State Council set it (国办发明电〔2021〕11号, 〔2022〕16号).
func calendar2022(to plan.Date) *plan.Calendar {
	c := &plan.Calendar{From: d("2022-01-01"), To: to, Holidays: map[plan.Date]string{}, Workdays: map[plan.Date]string{}}
	holidays := [][2]string{
		{"2022-01-01", "2022-01-03"}, {"2022-01-31", "2022-02-06"}, {"2022-04-03", "2022-04-05"},
		{"2022-04-30", "2022-05-04"}, {"2022-06-03", "2022-06-05"}, {"2022-09-10", "2022-09-12"},
		{"2022-10-01", "2022-10-07"}, {"2022-12-31", "2023-01-02"}, {"2023-01-21", "2023-01-27"},
	}
	for _, h := range holidays {
		for day := d(h[0]); !day.After(d(h[1])); day = day.AddDays(1) {
			c.Holidays[day] = "假日"
		}
	}
	for _, w := range []string{"2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24", "2022-05-07", "2022-10-08", "2022-10-09", "2023-01-28", "2023-01-29"} {
		c.Workdays[d(w)] = "调休"
	}
	return c
}

// newPlan builds a plan around the given indicators and milestones, filling
// what the loader would: dates, schedules, thresholds, row units, tasks.
func newPlan(tb testing.TB, inds []*plan.Indicator, ms []*plan.Milestone) *plan.Plan {
	tb.Helper()
	p := &plan.Plan{
		ID:         "test-2022",
		Title:      "测试工作要点",
		Start:      d("2022-01-01"),
		End:        d("2022-12-31"),
		Location:   shanghai(tb),
		Thresholds: plan.Thresholds{OnTrack: 0.95, Critical: 0.80},
		Report:     plan.ReportSchedule{Frequency: plan.Monthly, DueWorkdays: 5},
		Calendar:   calendar2022(d("2023-01-31")),
		Units: []*plan.Unit{
			{ID: "zhengshuju", Name: "市政数局", Kind: plan.Department},
			{ID: "yibao", Name: "市医保局", Kind: plan.Department},
			{ID: "zhujian", Name: "市住建局", Kind: plan.Department},
			{ID: "canlian", Name: "市残联", Kind: plan.Department},
			{ID: "duanzhou", Name: "端州区", Kind: plan.Region, Aliases: []string{"端州"}},
			{ID: "dinghu", Name: "鼎湖区", Kind: plan.Region},
			{ID: "gaoyao", Name: "高要区", Kind: plan.Region},
		},
		Indicators: inds,
		Milestones: ms,
	}
	tasks := map[string]*plan.Task{}
	task := func(id string) *plan.Task {
		if t, ok := tasks[id]; ok {
			return t
		}
		t := &plan.Task{ID: id, Title: "任务" + id, Lead: []string{"zhengshuju"}, Due: p.End}
		tasks[id] = t
		p.Tasks = append(p.Tasks, t)
		return t
	}
	for _, ind := range inds {
		if ind.Task == "" {
			ind.Task = "1"
		}
		if ind.Start.IsZero() {
			ind.Start = p.Start
		}
		if ind.Due.IsZero() {
			ind.Due = p.End
		}
		if ind.Report == (plan.ReportSchedule{}) {
			ind.Report = p.Report
		}
		if ind.Thresholds == (plan.Thresholds{}) {
			ind.Thresholds = p.Thresholds
		}
		if len(ind.RowUnits) == 0 {
			ind.RowUnits = ind.ReportedBy
		}
		t := task(ind.Task)
		t.Indicators = append(t.Indicators, ind.ID)
	}
	for _, m := range ms {
		if m.Task == "" {
			m.Task = "2"
		}
		if m.Start.IsZero() {
			m.Start = p.Start
		}
		if m.Due.IsZero() {
			m.Due = p.End
		}
		if m.Report == (plan.ReportSchedule{}) {
			m.Report = p.Report
		}
		t := task(m.Task)
		t.Milestones = append(t.Milestones, m.ID)
	}
	p.Reindex()
	return p
}

// indicator is an indicator of the given kind and target, reported by the given units for themselves.
func indicator(id string, kind plan.Kind, op plan.Comparator, target float64, units ...string) *plan.Indicator {
	if len(units) == 0 {
		units = []string{"zhengshuju"}
	}
	return &plan.Indicator{
		ID: id, Name: "指标" + id, Measure: "人次", Kind: kind,
		Target: plan.Target{Op: op, Value: target}, ReportedBy: units, Rows: plan.RowsReporter,
	}
}

// endOf is the end of a date in the plan's time zone: how a date alone is read as an as-of.
func endOf(tb testing.TB, s string) time.Time { return d(s).End(shanghai(tb)) }

func value(ind, unit, period string, v float64) plan.Observation {
	return plan.Observation{Indicator: ind, Unit: unit, Period: per(period), Value: &v}
}

func total(ind, unit, period string, v float64) plan.Observation {
	return plan.Observation{Indicator: ind, Unit: unit, Period: per(period), Total: &v}
}

func fraction(ind, unit, period string, num, den float64) plan.Observation {
	return plan.Observation{Indicator: ind, Unit: unit, Period: per(period), Numerator: &num, Denominator: &den}
}

func record(ind, unit, requested, connected string) plan.Observation {
	o := plan.Observation{Indicator: ind, Unit: unit, Requested: d(requested)}
	if connected != "" {
		o.Connected = d(connected)
	}
	return o
}

// find is the evaluation of a subject for a unit id ("" for the city).
func find(tb testing.TB, evs []evaluate.Evaluation, subject, unit string) evaluate.Evaluation {
	tb.Helper()
	for _, ev := range evs {
		if (ev.Indicator == subject || ev.Milestone == subject) && ev.UnitID == unit {
			return ev
		}
	}
	tb.Fatalf("no evaluation of %s for unit %q", subject, unit)
	return evaluate.Evaluation{}
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// checkFloat compares an optional figure; want nil means the figure must be absent.
func checkFloat(tb testing.TB, what string, got, want *float64) {
	tb.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		tb.Errorf("%s = %v, want %v", what, show(got), show(want))
	case !near(*got, *want):
		tb.Errorf("%s = %v, want %v", what, *got, *want)
	}
}

func show(v *float64) any {
	if v == nil {
		return "nil"
	}
	return *v
}

func timeParse(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }
