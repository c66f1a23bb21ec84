package evaluate_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

// want is what one evaluation (the city's when unit is "") must show.
type want struct {
	unit        string
	actual      *float64
	period      string // "" for none
	status      plan.Status
	num, den    *float64
	reasonParts []string
}

func checkWants(t *testing.T, evs []evaluate.Evaluation, id string, wants []want) {
	t.Helper()
	for _, w := range wants {
		ev := find(t, evs, id, w.unit)
		checkFloat(t, "unit "+w.unit+" actual", ev.Actual, w.actual)
		if got := ev.Period.String(); got != w.period {
			t.Errorf("unit %q period = %q, want %q", w.unit, got, w.period)
		}
		if w.status != "" && ev.Status != w.status {
			t.Errorf("unit %q status = %s, want %s (%s)", w.unit, ev.Status, w.status, ev.Reason)
		}
		if w.num != nil || w.den != nil {
			checkFloat(t, "unit "+w.unit+" numerator", ev.Numerator, w.num)
			checkFloat(t, "unit "+w.unit+" denominator", ev.Denominator, w.den)
		}
		for _, part := range w.reasonParts {
			if !strings.Contains(ev.Reason, part) {
				t.Errorf("unit %q reason %q lacks %q", w.unit, ev.Reason, part)
			}
		}
	}
}

func TestKinds(t *testing.T) {
	regions := []string{"duanzhou", "dinghu"}
	tests := []struct {
		name  string
		ind   *plan.Indicator
		asOf  string
		obs   []plan.Observation
		wants []want
	}{
		{
			name: "level: latest period up to P, city sums the units' latest",
			ind:  indicator("lv", plan.Level, plan.GE, 1000, regions...),
			obs: []plan.Observation{
				value("lv", "duanzhou", "2022-07", 300), value("lv", "duanzhou", "2022-08", 350),
				value("lv", "dinghu", "2022-08", 200), value("lv", "dinghu", "2022-09", 260),
				value("lv", "duanzhou", "2022-10", 9999), // not ended by as-of: not read
			},
			wants: []want{
				{unit: "", actual: f(610), period: "2022-09"},
				{unit: "duanzhou", actual: f(350), period: "2022-08"},
				{unit: "dinghu", actual: f(260), period: "2022-09"},
			},
		},
		{
			name: "cumulative: increments and running totals, a skipped month made up by the next total",
			ind:  indicator("cu", plan.Cumulative, plan.GT, 365000, regions...),
			obs: []plan.Observation{
				value("cu", "duanzhou", "2022-01", 100), value("cu", "duanzhou", "2022-02", 150),
				total("cu", "duanzhou", "2022-03", 400),
				total("cu", "dinghu", "2022-01", 50), total("cu", "dinghu", "2022-03", 120),
				value("cu", "dinghu", "2021-12", 7777), // before the start: not read
			},
			wants: []want{
				{unit: "", actual: f(520), period: "2022-03", reasonParts: []string{"截至2022年3月指标cu累计520人次"}},
				{unit: "duanzhou", actual: f(400), period: "2022-03"},
				{unit: "dinghu", actual: f(120), period: "2022-03", reasonParts: []string{"截至2022年3月鼎湖区指标cu累计120人次"}},
			},
		},
		{
			name: "ratio: Σ numerators over Σ denominators, never an average of ratios",
			ind:  indicator("ra", plan.Ratio, plan.GE, 0.65, regions...),
			obs: []plan.Observation{
				fraction("ra", "duanzhou", "2022-08", 30, 100), fraction("ra", "duanzhou", "2022-09", 40, 100),
				fraction("ra", "dinghu", "2022-08", 10, 50),
			},
			wants: []want{
				{unit: "", actual: f(50.0 / 150), period: "2022-09", num: f(50), den: f(150), reasonParts: []string{"为33.3%(50/150)"}},
				{unit: "duanzhou", actual: f(0.4), period: "2022-09"},
				{unit: "dinghu", actual: f(0.2), period: "2022-08"},
			},
		},
		{
			name: "ratio: a single row may give a bare value",
			ind:  indicator("rv", plan.Ratio, plan.GE, 0.6),
			obs:  []plan.Observation{value("rv", "zhengshuju", "2022-08", 0.623)},
			wants: []want{
				{unit: "", actual: f(0.623), period: "2022-08", reasonParts: []string{"为62.3%"}},
				{unit: "zhengshuju", actual: f(0.623), period: "2022-08"},
			},
		},
		{
			name: "coverage: covered over all, summed",
			ind:  indicator("co", plan.Coverage, plan.GE, 1, regions...),
			obs: []plan.Observation{
				fraction("co", "duanzhou", "2022-08", 8, 10), fraction("co", "dinghu", "2022-08", 5, 5),
			},
			wants: []want{
				{unit: "", actual: f(13.0 / 15), period: "2022-08", num: f(13), den: f(15), status: plan.OnTrack},
				{unit: "duanzhou", actual: f(0.8), period: "2022-08"},
				{unit: "dinghu", actual: f(1), period: "2022-08", status: plan.Achieved},
			},
		},
		{
			name: "lead_time: within, late, pending and records with their own period",
			ind: func() *plan.Indicator {
				ind := indicator("lt", plan.LeadTime, plan.GE, 1)
				ind.Rows, ind.Limit, ind.Baseline = plan.RowsRecords, 3, 1
				return ind
			}(),
			obs: []plan.Observation{
				record("lt", "zhengshuju", "2022-09-01", "2022-09-06"), // Thu → Tue: 3 working days, within
				record("lt", "zhengshuju", "2022-09-01", "2022-09-07"), // 4 working days: late
				record("lt", "zhengshuju", "2022-09-27", ""),           // 3 working days so far: left out
				record("lt", "zhengshuju", "2022-09-26", ""),           // 4 working days so far: late
				record("lt", "zhengshuju", "2022-08-10", "2022-08-11"), // within, in August
				record("lt", "zhengshuju", "2022-09-29", "2022-10-10"), // connected after the as-of day: pending, left out
				func() plan.Observation { // its own period wins over the month requested
					o := record("lt", "zhengshuju", "2022-09-28", "2022-09-29")
					o.Period = per("2022-08")
					return o
				}(),
				record("lt", "zhengshuju", "2022-10-08", "2022-10-08"), // requested in a month not ended
			},
			wants: []want{
				{unit: "", actual: f(0.6), period: "2022-09", num: f(3), den: f(5), status: plan.Critical,
					reasonParts: []string{"为60.0%(已计5条记录中3条在3个工作日内完成)"}},
				{unit: "zhengshuju", actual: f(0.6), period: "2022-09", num: f(3), den: f(5)},
			},
		},
		{
			name: "lead_time: working days come from the calendar (National Day and its make-up days)",
			ind: func() *plan.Indicator {
				ind := indicator("lh", plan.LeadTime, plan.GE, 1)
				ind.Rows, ind.Limit, ind.Baseline = plan.RowsRecords, 3, 1
				return ind
			}(),
			asOf: "2022-10-31",
			obs: []plan.Observation{
				record("lh", "zhengshuju", "2022-09-29", "2022-10-09"), // Fri 30, Sat 8, Sun 9: 3 working days
				record("lh", "zhengshuju", "2022-09-29", "2022-10-10"), // 4
			},
			wants: []want{
				{unit: "", actual: f(0.5), period: "2022-09", num: f(1), den: f(2)},
			},
		},
		{
			name:  "count: the latest value",
			ind:   indicator("ct", plan.Count, plan.GE, 1),
			obs:   []plan.Observation{value("ct", "zhengshuju", "2022-05", 0), value("ct", "zhengshuju", "2022-08", 1)},
			wants: []want{{unit: "", actual: f(1), period: "2022-08", status: plan.Achieved}},
		},
		{
			name:  "an observation about a unit that is not a row unit is not read",
			ind:   indicator("nr", plan.Level, plan.GE, 100, "duanzhou"),
			obs:   []plan.Observation{value("nr", "duanzhou", "2022-08", 10), value("nr", "dinghu", "2022-08", 50)},
			wants: []want{{unit: "", actual: f(10), period: "2022-08"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlan(t, []*plan.Indicator{tt.ind}, nil)
			asOf := tt.asOf
			if asOf == "" {
				asOf = "2022-09-30"
			}
			evs := evaluate.Evaluate(p, tt.obs, endOf(t, asOf))
			checkWants(t, evs, tt.ind.ID, tt.wants)
		})
	}
}

func TestComparators(t *testing.T) {
	tests := []struct {
		op          plan.Comparator
		target      [2]float64
		actual      float64
		wantAchieve bool
	}{
		{plan.GE, [2]float64{100}, 100, true},
		{plan.GE, [2]float64{100}, 99.9, false},
		{plan.GT, [2]float64{100}, 100, false},
		{plan.GT, [2]float64{100}, 100.5, true},
		{plan.LE, [2]float64{100}, 100, true},
		{plan.LE, [2]float64{100}, 100.1, false},
		{plan.Between, [2]float64{2, 3}, 2, true},
		{plan.Between, [2]float64{2, 3}, 3, true},
		{plan.Between, [2]float64{2, 3}, 1, false},
		{plan.Between, [2]float64{2, 3}, 4, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.op)+" "+strings.TrimSpace(evaluate.FormatNumber(tt.actual)), func(t *testing.T) {
			ind := indicator("c", plan.Count, tt.op, tt.target[0])
			ind.Target.High = tt.target[1]
			if tt.op == plan.LE {
				ind.Kind, ind.Baseline = plan.Level, 200
			}
			p := newPlan(t, []*plan.Indicator{ind}, nil)
			ev := find(t, evaluate.Evaluate(p, []plan.Observation{value("c", "zhengshuju", "2022-08", tt.actual)}, endOf(t, "2022-09-30")), "c", "")
			if got := ev.Status == plan.Achieved; got != tt.wantAchieve {
				t.Errorf("status = %s, want achieved %v (%s)", ev.Status, tt.wantAchieve, ev.Reason)
			}
			checkFloat(t, "target", ev.Target, f(tt.target[0]))
			if tt.op == plan.Between {
				checkFloat(t, "target_high", ev.TargetHigh, f(tt.target[1]))
			} else if ev.TargetHigh != nil {
				t.Errorf("target_high = %v for %s", *ev.TargetHigh, tt.op)
			}
			if ev.Comparator != string(tt.op) {
				t.Errorf("comparator = %q", ev.Comparator)
			}
		})
	}
}

func TestExpectedAndProgress(t *testing.T) {
	// The year 2022 has 365 days: the end of August is 243 of them, the end of June 181, of September 273.
	checkpoints := []plan.Checkpoint{{Date: d("2022-06-30"), Share: 0.3}, {Date: d("2022-09-30"), Share: 0.6}}
	tests := []struct {
		name         string
		start        string
		cps          []plan.Checkpoint
		baseline     float64
		target       float64
		period       string
		actual       float64
		wantExpected float64
		wantProgress float64
	}{
		{"linear", "", nil, 0, 365000, "2022-08", 200000, 243000, 200000.0 / 243000},
		{"linear with baseline", "", nil, 100, 465, "2022-08", 343, 343, 1},
		{"checkpoint reached exactly", "", checkpoints, 0, 1000, "2022-06", 300, 300, 1},
		{"second checkpoint", "", checkpoints, 0, 1000, "2022-09", 540, 600, 0.9},
		{"between checkpoints", "", checkpoints, 0, 1000, "2022-08", 500, 1000 * (0.3 + 0.3*62.0/92), 500 / (1000 * (0.3 + 0.3*62.0/92))},
		{"after the last checkpoint", "", checkpoints, 0, 1000, "2022-11", 700, 1000 * (0.6 + 0.4*61.0/92), 700 / (1000 * (0.6 + 0.4*61.0/92))},
		{"start mid-year: July to December", "2022-07-01", nil, 100, 300, "2022-09", 180, 200, 0.8},
		{"start mid-month: the share counts from the start date", "2022-07-16", nil, 0, 1690, "2022-07", 100, 1690.0 * 16 / 169, 100 / (1690.0 * 16 / 169)},
		{"nothing expected beyond the baseline yet, reached", "", []plan.Checkpoint{{Date: d("2022-06-30"), Share: 0}}, 100, 200, "2022-03", 100, 100, 1},
		{"nothing expected beyond the baseline yet, below", "", []plan.Checkpoint{{Date: d("2022-06-30"), Share: 0}}, 100, 200, "2022-03", 50, 100, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ind := indicator("x", plan.Level, plan.GE, tt.target)
			ind.Checkpoints, ind.Baseline = tt.cps, tt.baseline
			if tt.start != "" {
				ind.Start = d(tt.start)
			}
			p := newPlan(t, []*plan.Indicator{ind}, nil)
			ev := find(t, evaluate.Evaluate(p, []plan.Observation{value("x", "zhengshuju", tt.period, tt.actual)}, endOf(t, "2022-12-30")), "x", "")
			if ev.Period != per(tt.period) {
				t.Fatalf("period = %s, want %s", ev.Period, tt.period)
			}
			checkFloat(t, "expected", ev.Expected, f(tt.wantExpected))
			checkFloat(t, "progress", ev.Progress, f(tt.wantProgress))
		})
	}
}

func TestStatus(t *testing.T) {
	// A level indicator of 365000 from 0 over 2022: at the end of August 243000 is expected.
	tests := []struct {
		name   string
		start  string
		asOf   string
		obs    []float64 // by month from January; 0 means not reported (a negative is reported as 0)
		want   plan.Status
		reason []string
	}{
		{name: "exactly the on-track threshold is on track", obs: months(8, 230850), want: plan.OnTrack},
		{name: "just below the on-track threshold lags", obs: months(8, 230849), want: plan.Lagging,
			reason: []string{"为23.1万人次,按进度应达24.3万人次,进度滞后5.0%"}},
		{name: "exactly the critical threshold lags", obs: months(8, 194400), want: plan.Lagging},
		{name: "just below the critical threshold is critical", obs: months(8, 194399), want: plan.Critical},
		{name: "ahead of the trajectory is on track", obs: months(8, 300000), want: plan.OnTrack, reason: []string{"进度正常"}},
		{name: "achieved before the due date", obs: months(8, 365000), want: plan.Achieved,
			reason: []string{"已达到目标(不低于36.5万人次)"}},
		{name: "achieved wins over missed", asOf: "2023-01-15", obs: months(12, 365000), want: plan.Achieved},
		{name: "missed once the due date has passed", asOf: "2023-01-15", obs: months(12, 364999), want: plan.Missed,
			reason: []string{"2022年12月31日已到期,未达到目标"}},
		{name: "missed on the first instant after the due day", asOf: "2022-12-31", obs: months(11, 300000), want: plan.Missed},
		{name: "missed wins over no data", asOf: "2023-01-15", want: plan.Missed, reason: []string{"尚无可用数据"}},
		{name: "no data wins over progress", obs: months(7, 300000), want: plan.NoData,
			reason: []string{"市政数局未报送2022年8月数据;最近数据截至2022年7月", "为30.0万人次"}},
		{name: "no data with nothing ever reported", want: plan.NoData, reason: []string{"尚无可用数据"}},
		{name: "not started before the start date", start: "2022-07-01", asOf: "2022-06-15", want: plan.NotStarted,
			reason: []string{"尚未开始,开始日期为2022年7月1日"}},
		{name: "on track when nothing is due yet", asOf: "2022-02-10", want: plan.OnTrack, reason: []string{"首期数据尚未到报送期限"}},
		{name: "a report is due at the end of its due day", asOf: "2022-02-11", want: plan.NoData},
		{name: "a report in before it is due is judged on progress", asOf: "2022-02-05", obs: months(1, 1), want: plan.Critical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ind := indicator("x", plan.Level, plan.GE, 365000)
			if tt.start != "" {
				ind.Start = d(tt.start)
			}
			p := newPlan(t, []*plan.Indicator{ind}, nil)
			var obs []plan.Observation
			for i, v := range tt.obs {
				if v != 0 {
					obs = append(obs, value("x", "zhengshuju", plan.Period{Year: 2022, Month: 1}.AddMonths(i).String(), v))
				}
			}
			asOf := tt.asOf
			if asOf == "" {
				asOf = "2022-09-30"
			}
			for _, unit := range []string{"", "zhengshuju"} {
				ev := find(t, evaluate.Evaluate(p, obs, endOf(t, asOf)), "x", unit)
				if ev.Status != tt.want {
					t.Errorf("unit %q status = %s, want %s (%s)", unit, ev.Status, tt.want, ev.Reason)
				}
				if ev.StatusLabel != tt.want.Label() {
					t.Errorf("status label = %s", ev.StatusLabel)
				}
				for _, part := range tt.reason {
					if !strings.Contains(ev.Reason, part) {
						t.Errorf("unit %q reason %q lacks %q", unit, ev.Reason, part)
					}
				}
			}
		})
	}
}

// months is a series of n monthly values, the last one v and the rest not reported.
func months(n int, v float64) []float64 {
	out := make([]float64, n)
	out[n-1] = v
	return out
}

// TestLeadTimeStandard: a share that must hold all year is on track while it
// holds, and achieved only once the year is over.
func TestLeadTimeStandard(t *testing.T) {
	ind := indicator("lt", plan.LeadTime, plan.GE, 1, "zhengshuju")
	ind.Rows, ind.Limit, ind.Baseline = plan.RowsRecords, 3, 1
	p := newPlan(t, []*plan.Indicator{ind}, nil)
	obs := []plan.Observation{record("lt", "zhengshuju", "2022-03-01", "2022-03-02")}
	for _, tt := range []struct {
		asOf string
		want plan.Status
	}{
		{"2022-09-30", plan.OnTrack},
		{"2023-01-15", plan.Achieved},
	} {
		if ev := find(t, evaluate.Evaluate(p, obs, endOf(t, tt.asOf)), "lt", ""); ev.Status != tt.want {
			t.Errorf("as of %s: %s, want %s (%s)", tt.asOf, ev.Status, tt.want, ev.Reason)
		}
	}
}

func TestNoData(t *testing.T) {
	regions := []string{"duanzhou", "dinghu", "gaoyao"}
	t.Run("the city lists the units whose latest due report is missing", func(t *testing.T) {
		p := newPlan(t, []*plan.Indicator{indicator("k", plan.Cumulative, plan.GT, 3000, regions...)}, nil)
		obs := []plan.Observation{
			value("k", "duanzhou", "2022-07", 500), value("k", "duanzhou", "2022-08", 500),
			value("k", "dinghu", "2022-07", 600),
		}
		evs := evaluate.Evaluate(p, obs, endOf(t, "2022-09-30"))
		city := find(t, evs, "k", "")
		if city.Status == plan.NoData {
			t.Errorf("city is no_data though 端州区 reported: %s", city.Reason)
		}
		if !slices.Equal(city.Missing, []string{"鼎湖区", "高要区"}) {
			t.Errorf("missing = %v", city.Missing)
		}
		if !strings.HasSuffix(city.Reason, ";鼎湖区、高要区未报送2022年8月数据") {
			t.Errorf("reason %q does not name the missing units", city.Reason)
		}
		if city.LastDue != per("2022-08") {
			t.Errorf("last due = %s", city.LastDue)
		}
		checkWants(t, evs, "k", []want{
			{unit: "", actual: f(1600), period: "2022-08"},
			{unit: "duanzhou", actual: f(1000), period: "2022-08", status: plan.OnTrack},
			{unit: "dinghu", actual: f(600), period: "2022-07", status: plan.NoData, reasonParts: []string{"鼎湖区未报送2022年8月数据", "最近数据"}},
			{unit: "gaoyao", status: plan.NoData, reasonParts: []string{"高要区未报送2022年8月数据,尚无可用数据"}},
		})
		for _, ev := range evs[1:] {
			if ev.Missing != nil {
				t.Errorf("unit %s carries missing %v", ev.UnitID, ev.Missing)
			}
		}
	})
	t.Run("the city is no data only when no unit reported", func(t *testing.T) {
		p := newPlan(t, []*plan.Indicator{indicator("k", plan.Cumulative, plan.GT, 3000, regions...)}, nil)
		evs := evaluate.Evaluate(p, []plan.Observation{value("k", "duanzhou", "2022-07", 500)}, endOf(t, "2022-09-30"))
		city := find(t, evs, "k", "")
		if city.Status != plan.NoData || !strings.HasPrefix(city.Reason, "各单位均未报送2022年8月数据;最近数据截至2022年7月") {
			t.Errorf("city %s: %s", city.Status, city.Reason)
		}
		checkFloat(t, "actual", city.Actual, f(500))
	})
	t.Run("lead time: no data only with no record at all", func(t *testing.T) {
		ind := indicator("lt", plan.LeadTime, plan.GE, 1, "zhengshuju", "yibao")
		ind.Rows, ind.Limit = plan.RowsRecords, 3
		p := newPlan(t, []*plan.Indicator{ind}, nil)
		evs := evaluate.Evaluate(p, []plan.Observation{record("lt", "zhengshuju", "2022-03-01", "2022-03-02")}, endOf(t, "2022-09-30"))
		checkWants(t, evs, "lt", []want{
			{unit: "", actual: f(1), period: "2022-03", num: f(1), den: f(1), status: plan.OnTrack},
			{unit: "zhengshuju", actual: f(1), period: "2022-03", status: plan.OnTrack},
			{unit: "yibao", status: plan.NoData},
		})
		if city := find(t, evs, "lt", ""); !slices.Equal(city.Missing, []string{"市医保局"}) {
			t.Errorf("missing = %v", city.Missing)
		}
	})
	t.Run("a report the calendar cannot date is not yet due", func(t *testing.T) {
		p := newPlan(t, []*plan.Indicator{indicator("k", plan.Level, plan.GE, 100)}, nil)
		p.Calendar = calendar2022(d("2022-09-05")) // the August report would fall due on 7 September
		ev := find(t, evaluate.Evaluate(p, []plan.Observation{value("k", "zhengshuju", "2022-07", 80)}, endOf(t, "2022-09-30")), "k", "")
		if ev.LastDue != per("2022-07") || ev.Status == plan.NoData {
			t.Errorf("last due %s, status %s: %s", ev.LastDue, ev.Status, ev.Reason)
		}
	})
}

func TestAsOfIsAnInstant(t *testing.T) {
	// The September report falls due on 12 October 2022 (National Day, then two make-up Sundays).
	tests := []struct {
		asOf        string
		wantLastDue string
	}{
		{"2022-10-12T23:59:59+08:00", "2022-08"},
		{"2022-10-13T00:00:00+08:00", "2022-09"},
		{"2022-10-12T15:59:59Z", "2022-08"},
		{"2022-10-12T16:00:00Z", "2022-09"},
	}
	for _, tt := range tests {
		t.Run(tt.asOf, func(t *testing.T) {
			p := newPlan(t, []*plan.Indicator{indicator("k", plan.Level, plan.GE, 100)}, nil)
			asOf, err := timeParse(tt.asOf)
			if err != nil {
				t.Fatal(err)
			}
			ev := find(t, evaluate.Evaluate(p, []plan.Observation{value("k", "zhengshuju", "2022-08", 80)}, asOf), "k", "")
			if ev.LastDue.String() != tt.wantLastDue {
				t.Errorf("last due = %s, want %s", ev.LastDue, tt.wantLastDue)
			}
		})
	}
}

func TestUnitTargets(t *testing.T) {
	regions := []string{"duanzhou", "dinghu", "gaoyao"}
	tests := []struct {
		name     string
		kind     plan.Kind
		op       plan.Comparator
		target   [2]float64
		baseline float64
		shares   map[string]float64
		want     map[string][3]float64 // unit → target, target high, baseline
	}{
		{"equal parts", plan.Cumulative, plan.GT, [2]float64{900}, 30, nil,
			map[string][3]float64{"": {900, 0, 30}, "duanzhou": {300, 0, 10}, "gaoyao": {300, 0, 10}}},
		{"unit targets where given", plan.Level, plan.GE, [2]float64{900}, 0, map[string]float64{"duanzhou": 600},
			map[string][3]float64{"duanzhou": {600, 0, 0}, "dinghu": {300, 0, 0}}},
		{"between scaled by the share", plan.Count, plan.Between, [2]float64{3, 6}, 0, map[string]float64{"dinghu": 2},
			map[string][3]float64{"": {3, 6, 0}, "duanzhou": {1, 2, 0}, "dinghu": {2, 4, 0}}},
		{"fractions keep the city target", plan.Ratio, plan.GE, [2]float64{0.65}, 0.2, nil,
			map[string][3]float64{"duanzhou": {0.65, 0, 0.2}, "gaoyao": {0.65, 0, 0.2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ind := indicator("u", tt.kind, tt.op, tt.target[0], regions...)
			ind.Target.High, ind.Baseline, ind.UnitTargets = tt.target[1], tt.baseline, tt.shares
			evs := evaluate.Evaluate(newPlan(t, []*plan.Indicator{ind}, nil), nil, endOf(t, "2022-09-30"))
			for unit, w := range tt.want {
				ev := find(t, evs, "u", unit)
				checkFloat(t, unit+" target", ev.Target, f(w[0]))
				if tt.op == plan.Between {
					checkFloat(t, unit+" target high", ev.TargetHigh, f(w[1]))
				}
				checkFloat(t, unit+" baseline", ev.Baseline, f(w[2]))
			}
		})
	}
	t.Run("a unit is judged against its own share", func(t *testing.T) {
		ind := indicator("u", plan.Level, plan.GE, 900, "duanzhou", "dinghu")
		ind.UnitTargets = map[string]float64{"duanzhou": 600}
		evs := evaluate.Evaluate(newPlan(t, []*plan.Indicator{ind}, nil), []plan.Observation{
			value("u", "duanzhou", "2022-08", 500), value("u", "dinghu", "2022-08", 450),
		}, endOf(t, "2022-09-30"))
		checkWants(t, evs, "u", []want{
			{unit: "", actual: f(950), period: "2022-08", status: plan.Achieved},
			{unit: "duanzhou", actual: f(500), period: "2022-08", status: plan.OnTrack},
			{unit: "dinghu", actual: f(450), period: "2022-08", status: plan.Achieved},
		})
	})
}

func TestAnomalies(t *testing.T) {
	tests := []struct {
		name       string
		ind        *plan.Indicator
		obs        []plan.Observation
		wantCode   string
		wantReason string
		want       want // the unit's evaluation: the anomalous figure is not used
	}{
		{
			name:       "a negative increment",
			ind:        indicator("a", plan.Cumulative, plan.GT, 1000, "duanzhou"),
			obs:        []plan.Observation{value("a", "duanzhou", "2022-07", 100), value("a", "duanzhou", "2022-08", -20)},
			wantCode:   evaluate.CumulativeDecrease,
			wantReason: "端州区2022年8月报送的本期新增-20人次为负数,累计数不应减少,未采用",
			want:       want{unit: "duanzhou", actual: f(100), period: "2022-07", status: plan.NoData},
		},
		{
			name: "a running total that went down",
			ind:  indicator("a", plan.Cumulative, plan.GT, 1000, "duanzhou"),
			obs: []plan.Observation{
				total("a", "duanzhou", "2022-06", 300), total("a", "duanzhou", "2022-07", 250), total("a", "duanzhou", "2022-08", 400),
			},
			wantCode:   evaluate.CumulativeDecrease,
			wantReason: "端州区2022年7月报送的累计数250人次低于此前累计的300人次,未采用",
			want:       want{unit: "duanzhou", actual: f(400), period: "2022-08"},
		},
		{
			name:       "a numerator above its denominator",
			ind:        indicator("a", plan.Ratio, plan.GE, 0.65, "duanzhou"),
			obs:        []plan.Observation{fraction("a", "duanzhou", "2022-07", 50, 100), fraction("a", "duanzhou", "2022-08", 120, 100)},
			wantCode:   evaluate.RatioAboveOne,
			wantReason: "端州区2022年8月报送的分子120大于分母100,比率超过100%,未采用",
			want:       want{unit: "duanzhou", actual: f(0.5), period: "2022-07", status: plan.NoData},
		},
		{
			name:       "a bare ratio above one",
			ind:        indicator("a", plan.Coverage, plan.GE, 1, "duanzhou"),
			obs:        []plan.Observation{value("a", "duanzhou", "2022-08", 1.2)},
			wantCode:   evaluate.RatioAboveOne,
			wantReason: "端州区2022年8月报送的比率120.0%超过100%,未采用",
			want:       want{unit: "duanzhou", status: plan.NoData},
		},
		{
			name:       "a negative count",
			ind:        indicator("a", plan.Count, plan.GE, 1, "duanzhou"),
			obs:        []plan.Observation{value("a", "duanzhou", "2022-08", -1)},
			wantCode:   evaluate.NegativeValue,
			wantReason: "端州区2022年8月报送的数值-1人次为负数,未采用",
			want:       want{unit: "duanzhou", status: plan.NoData},
		},
		{
			name:       "a negative denominator",
			ind:        indicator("a", plan.Ratio, plan.GE, 0.5, "duanzhou"),
			obs:        []plan.Observation{fraction("a", "duanzhou", "2022-08", -1, -2)},
			wantCode:   evaluate.NegativeValue,
			wantReason: "端州区2022年8月报送的分子-1或分母-2为负数,未采用",
			want:       want{unit: "duanzhou", status: plan.NoData},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := evaluate.Evaluate(newPlan(t, []*plan.Indicator{tt.ind}, nil), tt.obs, endOf(t, "2022-09-30"))
			for _, unit := range []string{"", tt.want.unit} {
				ev := find(t, evs, "a", unit)
				if len(ev.Anomalies) != 1 {
					t.Fatalf("unit %q anomalies = %+v, want one", unit, ev.Anomalies)
				}
				a := ev.Anomalies[0]
				if a.Code != tt.wantCode || a.Reason != tt.wantReason || a.Unit != tt.want.unit {
					t.Errorf("anomaly = %+v, want %s %q", a, tt.wantCode, tt.wantReason)
				}
				if !strings.Contains(ev.Reason, "另有1条数据异常,未予采用") {
					t.Errorf("reason %q does not mention the anomaly", ev.Reason)
				}
			}
			checkWants(t, evs, "a", []want{tt.want})
		})
	}
}

func TestDuplicates(t *testing.T) {
	tests := []struct {
		name string
		ind  *plan.Indicator
		obs  []plan.Observation
		want want
	}{
		{
			name: "level: the last value for a period wins",
			ind:  indicator("d", plan.Level, plan.GE, 1000),
			obs:  []plan.Observation{value("d", "zhengshuju", "2022-08", 10), value("d", "zhengshuju", "2022-08", 20)},
			want: want{actual: f(20), period: "2022-08"},
		},
		{
			name: "cumulative: a resubmitted increment replaces the first",
			ind:  indicator("d", plan.Cumulative, plan.GE, 1000),
			obs: []plan.Observation{
				value("d", "zhengshuju", "2022-07", 5), value("d", "zhengshuju", "2022-08", 10), value("d", "zhengshuju", "2022-08", 30),
			},
			want: want{actual: f(35), period: "2022-08"},
		},
		{
			name: "cumulative: a value beats a running total for the same period",
			ind:  indicator("d", plan.Cumulative, plan.GE, 1000),
			obs:  []plan.Observation{value("d", "zhengshuju", "2022-08", 10), total("d", "zhengshuju", "2022-08", 99)},
			want: want{actual: f(10), period: "2022-08"},
		},
		{
			name: "ratio: the last pair wins",
			ind:  indicator("d", plan.Ratio, plan.GE, 0.9),
			obs:  []plan.Observation{fraction("d", "zhengshuju", "2022-08", 1, 2), fraction("d", "zhengshuju", "2022-08", 3, 4)},
			want: want{actual: f(0.75), period: "2022-08", num: f(3), den: f(4)},
		},
		{
			name: "lead time: every record counts",
			ind: func() *plan.Indicator {
				ind := indicator("d", plan.LeadTime, plan.GE, 1)
				ind.Rows, ind.Limit = plan.RowsRecords, 3
				return ind
			}(),
			obs:  []plan.Observation{record("d", "zhengshuju", "2022-08-01", "2022-08-02"), record("d", "zhengshuju", "2022-08-01", "2022-08-02")},
			want: want{actual: f(1), period: "2022-08", num: f(2), den: f(2)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := evaluate.Evaluate(newPlan(t, []*plan.Indicator{tt.ind}, nil), tt.obs, endOf(t, "2022-09-30"))
			checkWants(t, evs, "d", []want{tt.want})
		})
	}
}
