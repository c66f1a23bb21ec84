package evaluate_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

func TestOrder(t *testing.T) {
	a := indicator("a", plan.Level, plan.GE, 10, "duanzhou", "dinghu")
	b := indicator("b", plan.Ratio, plan.GE, 0.5)
	m := &plan.Milestone{ID: "m", Deliverable: "方案", Lead: []string{"yibao", "canlian"}}
	p := newPlan(t, []*plan.Indicator{a, b}, []*plan.Milestone{m})
	var got []string
	for _, ev := range evaluate.Evaluate(p, nil, endOf(t, "2022-09-30")) {
		got = append(got, ev.Indicator+ev.Milestone+"/"+ev.UnitID)
	}
	want := "a/ a/duanzhou a/dinghu b/ b/zhengshuju m/ m/yibao m/canlian"
	if strings.Join(got, " ") != want {
		t.Errorf("order = %s\nwant    %s", strings.Join(got, " "), want)
	}
}

// TestReason pins whole sentences: they are what a supervisor reads aloud.
func TestReason(t *testing.T) {
	tests := []struct {
		name  string
		ind   *plan.Indicator
		obs   []plan.Observation
		unit  string
		check func(t *testing.T, ev evaluate.Evaluation)
		want  string
	}{
		{
			name: "lagging cumulative: expected, lag, completion, forecast and what each month needs",
			ind:  indicator("k", plan.Cumulative, plan.GT, 365000),
			obs:  []plan.Observation{value("k", "zhengshuju", "2022-05", 120000), value("k", "zhengshuju", "2022-08", 80000)},
			check: func(t *testing.T, ev evaluate.Evaluation) {
				checkFloat(t, "forecast", ev.Forecast, f(200000.0*365/243))
				checkFloat(t, "needed", ev.NeededPerPeriod, f(165000.0/4))
				if ev.RemainingPeriods != 4 || ev.Status != plan.Lagging {
					t.Errorf("remaining %d, status %s", ev.RemainingPeriods, ev.Status)
				}
			},
			want: "截至2022年8月指标k累计20.0万人次,按进度应达24.3万人次,进度滞后17.7%,完成目标的54.8%;按当前进度年底预计30.0万人次,剩余4个月需月均新增4.1万人次",
		},
		{
			name: "a unit's ratio: points per quarter",
			ind: func() *plan.Indicator {
				ind := indicator("r", plan.Ratio, plan.GE, 0.65, "duanzhou", "dinghu")
				ind.Report = plan.ReportSchedule{Frequency: plan.Quarterly, DueWorkdays: 5}
				return ind
			}(),
			obs: []plan.Observation{
				fraction("r", "duanzhou", "2022-06", 120000, 480000), fraction("r", "dinghu", "2022-06", 300000, 400000),
			},
			unit: "duanzhou",
			check: func(t *testing.T, ev evaluate.Evaluation) {
				checkFloat(t, "needed", ev.NeededPerPeriod, f((0.65-0.25)/2))
				if ev.Status != plan.Critical || ev.LastDue != per("2022-06") {
					t.Errorf("status %s, last due %s", ev.Status, ev.LastDue)
				}
			},
			want: "截至2022年第二季度端州区指标r为25.0%(120,000/480,000),按进度应达32.2%,进度滞后22.4%;按当前进度年底预计50.4%,剩余2个季度需季均提高20.0个百分点",
		},
		{
			name: "on track, with a unit missing",
			ind:  indicator("v", plan.Level, plan.GE, 20000, "duanzhou", "dinghu"),
			obs:  []plan.Observation{value("v", "duanzhou", "2022-08", 15000)},
			want: "截至2022年8月指标v为1.5万人次,按进度应达1.3万人次,进度正常,完成目标的75.0%;按当前进度年底预计2.3万人次,剩余4个月需月均增加1,250人次;鼎湖区未报送2022年8月数据",
		},
		{
			name: "a level that must come down",
			ind: func() *plan.Indicator {
				ind := indicator("w", plan.Level, plan.LE, 100)
				ind.Baseline, ind.Measure = 465, "份"
				return ind
			}(),
			obs:  []plan.Observation{value("w", "zhengshuju", "2022-08", 300)},
			want: "截至2022年8月指标w为300份,按进度应达222份,进度滞后32.1%;按当前进度年底预计217.2份,剩余4个月需月均减少50份",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := evaluate.Evaluate(newPlan(t, []*plan.Indicator{tt.ind}, nil), tt.obs, endOf(t, "2022-09-30"))
			ev := find(t, evs, tt.ind.ID, tt.unit)
			if ev.Reason != tt.want {
				t.Errorf("reason = %q\nwant     %q", ev.Reason, tt.want)
			}
			if tt.check != nil {
				tt.check(t, ev)
			}
		})
	}
}

func TestNoOutlookWhenMet(t *testing.T) {
	ind := indicator("k", plan.Count, plan.GE, 1)
	ev := find(t, evaluate.Evaluate(newPlan(t, []*plan.Indicator{ind}, nil), []plan.Observation{value("k", "zhengshuju", "2022-03", 2)}, endOf(t, "2022-09-30")), "k", "")
	if ev.Status != plan.Achieved || ev.Forecast != nil || ev.NeededPerPeriod != nil || ev.RemainingPeriods != 0 {
		t.Errorf("achieved indicator carries an outlook: %+v", ev)
	}
}

func TestSeries(t *testing.T) {
	tests := []struct {
		name   string
		report plan.Frequency
		obs    []plan.Observation
		want   []string // period=actual/expected, actual "-" for none
	}{
		{
			name:   "monthly: the figure through each month, carried where nothing came",
			report: plan.Monthly,
			obs: []plan.Observation{
				value("s", "duanzhou", "2022-02", 100), value("s", "dinghu", "2022-02", 50),
				value("s", "duanzhou", "2022-04", 30), value("s", "dinghu", "2022-10", 999),
			},
			want: []string{"2022-01=-/310", "2022-02=150/590", "2022-03=150/900", "2022-04=180/1200",
				"2022-05=180/1510", "2022-06=180/1810", "2022-07=180/2120", "2022-08=180/2430", "2022-09=180/2730"},
		},
		{
			name:   "quarterly: one point a quarter",
			report: plan.Quarterly,
			obs:    []plan.Observation{value("s", "duanzhou", "2022-06", 700)},
			want:   []string{"2022-03=-/900", "2022-06=700/1810", "2022-09=700/2730"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ind := indicator("s", plan.Cumulative, plan.GE, 3650, "duanzhou", "dinghu")
			ind.Report = plan.ReportSchedule{Frequency: tt.report, DueWorkdays: 5}
			p := newPlan(t, []*plan.Indicator{ind}, nil)
			var got []string
			for _, pt := range evaluate.Series(p, ind, tt.obs, endOf(t, "2022-09-30")) {
				a := "-"
				if pt.Actual != nil {
					a = fmt.Sprintf("%g", *pt.Actual)
				}
				got = append(got, fmt.Sprintf("%s=%s/%.0f", pt.Period, a, pt.Expected))
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("series = %v\nwant     %v", got, tt.want)
			}
		})
	}
}

func TestTaskStatuses(t *testing.T) {
	p := newPlan(t, []*plan.Indicator{
		{ID: "a", Task: "1", Kind: plan.Level}, {ID: "b", Task: "1", Kind: plan.Level},
		{ID: "c", Task: "3", Kind: plan.Level}, {ID: "d", Task: "3", Kind: plan.Level},
	}, []*plan.Milestone{{ID: "m", Task: "2"}})
	evs := []evaluate.Evaluation{
		{Indicator: "a", Task: "1", Status: plan.OnTrack},
		{Indicator: "a", Task: "1", UnitID: "duanzhou", Status: plan.Missed}, // a unit's figure does not count
		{Indicator: "b", Task: "1", Status: plan.NoData},
		{Milestone: "m", Task: "2", Status: plan.Achieved},
		{Indicator: "c", Task: "3", Status: plan.Achieved},
		{Indicator: "d", Task: "3", Status: plan.NotStarted},
		{Indicator: "x", Task: "9", Status: plan.Critical}, // a task the plan lacks
	}
	got := evaluate.TaskStatuses(p, evs)
	want := map[string]plan.Status{"1": plan.NoData, "2": plan.Achieved, "3": plan.NotStarted}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("task statuses = %v, want %v", got, want)
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		kind    plan.Kind
		measure string
		v       float64
		want    string
	}{
		{plan.Cumulative, "人次", 382000, "38.2万人次"},
		{plan.Cumulative, "人次", 381960, "38.2万人次"},
		{plan.Cumulative, "人次", 500000, "50.0万人次"},
		{plan.Level, "核", 18700, "1.87万核"},
		{plan.Level, "人", 10000, "1.0万人"},
		{plan.Level, "人", 9999.96, "1.0万人"},
		{plan.Level, "个", 9999, "9,999个"},
		{plan.Level, "个", 2000, "2,000个"},
		{plan.Level, "个", 1234.56, "1,234.6个"},
		{plan.Count, "家", 1, "1家"},
		{plan.Count, "家", 0, "0家"},
		{plan.Level, "笔", -1500, "-1,500笔"},
		{plan.Level, "笔", -25000, "-2.5万笔"},
		{plan.Ratio, "", 0.623, "62.3%"},
		{plan.Coverage, "%", 1, "100.0%"},
		{plan.LeadTime, "", 0.6, "60.0%"},
		{plan.Ratio, "", -0.0001, "0.0%"},
		{plan.Level, "人", -0.01, "0人"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := evaluate.FormatValue(tt.kind, tt.measure, tt.v); got != tt.want {
				t.Errorf("FormatValue(%s, %q, %g) = %q, want %q", tt.kind, tt.measure, tt.v, got, tt.want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	ind := indicator("k", plan.Cumulative, plan.GT, 1000)
	m := &plan.Milestone{ID: "m", Deliverable: "方案", Lead: []string{"zhujian"}}
	p := newPlan(t, []*plan.Indicator{ind}, []*plan.Milestone{m})
	evs := evaluate.Evaluate(p, []plan.Observation{
		value("k", "zhengshuju", "2022-08", 600),
		report("m", "zhujian", "2022-08", plan.StateDone, "2022-08-15", "文号"),
	}, endOf(t, "2022-09-30"))
	b, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	city, ms := got[0], got[2]
	for key, want := range map[string]any{
		"indicator": "k", "period": "2022-08", "last_due": "2022-08", "status": "lagging", "status_label": "进度滞后",
		"actual": 600.0, "target": 1000.0, "comparator": ">", "baseline": 0.0, "kind": "cumulative", "remaining_periods": 4.0,
	} {
		if city[key] != want {
			t.Errorf("indicator %s = %v, want %v", key, city[key], want)
		}
	}
	for _, absent := range []string{"unit", "unit_id", "milestone", "date", "state", "target_high", "missing", "anomalies"} {
		if _, ok := city[absent]; ok {
			t.Errorf("indicator JSON has %s", absent)
		}
	}
	for key, want := range map[string]any{
		"milestone": "m", "kind": "milestone", "state": "done", "date": "2022-08-15", "evidence": "文号",
		"status": "achieved", "actual": nil, "expected": nil, "target": nil, "progress": nil,
	} {
		if v, ok := ms[key]; !ok || v != want {
			t.Errorf("milestone %s = %v (present %v), want %v", key, v, ok, want)
		}
	}
}

// BenchmarkEvaluate runs a synthetic plan of 200 regions, each reporting nine
// indicators of every kind for nine months, with records and milestones.
func BenchmarkEvaluate(b *testing.B) {
	const units = 200
	var ids []string
	var us []*plan.Unit
	for i := range units {
		id := fmt.Sprintf("u%03d", i)
		ids = append(ids, id)
		us = append(us, &plan.Unit{ID: id, Name: "单位" + id, Kind: plan.Region})
	}
	var inds []*plan.Indicator
	for i, k := range []plan.Kind{plan.Level, plan.Cumulative, plan.Ratio, plan.Coverage, plan.Count, plan.Level, plan.Cumulative, plan.Ratio, plan.LeadTime} {
		ind := indicator(fmt.Sprintf("i%d", i), k, plan.GE, 1, ids...)
		if k == plan.LeadTime {
			ind.Rows, ind.Limit = plan.RowsRecords, 3
		}
		inds = append(inds, ind)
	}
	ms := []*plan.Milestone{{ID: "m", Deliverable: "方案", Lead: ids}}
	p := newPlan(b, inds, ms)
	p.Units = append(p.Units, us...)
	p.Reindex()
	var obs []plan.Observation
	for _, ind := range inds {
		for mo := 1; mo <= 9; mo++ {
			period := fmt.Sprintf("2022-%02d", mo)
			for _, id := range ids {
				switch ind.Kind {
				case plan.Ratio, plan.Coverage:
					obs = append(obs, fraction(ind.ID, id, period, 3, 4))
				case plan.LeadTime:
					obs = append(obs, record(ind.ID, id, fmt.Sprintf("2022-%02d-10", mo), fmt.Sprintf("2022-%02d-14", mo)))
				default:
					obs = append(obs, value(ind.ID, id, period, float64(mo)))
				}
			}
		}
	}
	for _, id := range ids {
		obs = append(obs, report("m", id, "2022-08", plan.StateInProgress, "", ""))
	}
	asOf := endOf(b, "2022-09-30")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if evs := evaluate.Evaluate(p, obs, asOf); len(evs) != len(inds)*(units+1)+units+1 {
			b.Fatalf("%d evaluations", len(evs))
		}
	}
	b.ReportMetric(float64(len(obs)), "observations")
}
