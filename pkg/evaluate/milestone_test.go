package evaluate_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

func report(ms, unit, period string, state plan.MilestoneState, date, evidence string) plan.Observation {
	o := plan.Observation{Milestone: ms, Unit: unit, State: state, Evidence: evidence}
	if period != "" {
		o.Period = per(period)
	}
	if date != "" {
		o.Date = d(date)
	}
	return o
}

func TestMilestones(t *testing.T) {
	tests := []struct {
		name       string
		lead       []string
		start, due string
		asOf       string
		obs        []plan.Observation
		unit       string // whose evaluation is checked; "" for the city
		want       plan.Status
		wantState  plan.MilestoneState
		wantReason string
		wantMiss   []string
	}{
		{
			name: "done with date and evidence",
			obs:  []plan.Observation{report("m", "zhujian", "2022-08", plan.StateDone, "2022-08-15", "肇住建〔2022〕12号")},
			want: plan.Achieved, wantState: plan.StateDone,
			wantReason: "已完成(2022年8月15日),依据:肇住建〔2022〕12号",
		},
		{
			name: "in progress, with the days left",
			obs:  []plan.Observation{report("m", "zhujian", "2022-08", plan.StateInProgress, "", "")},
			want: plan.OnTrack, wantState: plan.StateInProgress,
			wantReason: "进行中,距截止日期2022年12月31日还有92天",
		},
		{
			name: "a done report dated after the as-of day is not known yet",
			obs: []plan.Observation{
				report("m", "zhujian", "2022-08", plan.StateInProgress, "", ""),
				report("m", "zhujian", "2022-09", plan.StateDone, "2022-10-09", "肇住建〔2022〕30号"),
			},
			want: plan.OnTrack, wantState: plan.StateInProgress,
		},
		{
			name: "a report without a period belongs to the month of its date",
			obs:  []plan.Observation{report("m", "zhujian", "", plan.StateInProgress, "2022-08-20", "")},
			want: plan.OnTrack, wantState: plan.StateInProgress,
			wantReason: "进行中(2022年8月20日),距截止日期2022年12月31日还有92天",
		},
		{
			name: "the latest due report is missing",
			obs:  []plan.Observation{report("m", "zhujian", "2022-07", plan.StateInProgress, "", "")},
			want: plan.NoData, wantState: plan.StateInProgress,
			wantReason: "市住建局未报送2022年8月进展,最近报告(2022年7月)为进行中,距截止日期2022年12月31日还有92天",
			wantMiss:   []string{"市住建局"},
		},
		{
			name: "the last report given for a period wins",
			obs: []plan.Observation{
				report("m", "zhujian", "2022-08", plan.StateDone, "", ""),
				report("m", "zhujian", "2022-08", plan.StateInProgress, "", ""),
			},
			want: plan.OnTrack, wantState: plan.StateInProgress,
		},
		{
			name: "missed once the due date has passed",
			due:  "2022-06-30", asOf: "2022-07-02",
			obs:  []plan.Observation{report("m", "zhujian", "2022-05", plan.StateInProgress, "", "")},
			want: plan.Missed, wantState: plan.StateInProgress,
			wantReason: "截止日期2022年6月30日已过,逾期2天未完成,最近报告为进行中",
		},
		{
			name: "done after the due date is still achieved",
			due:  "2022-06-30", asOf: "2022-09-30",
			obs:  []plan.Observation{report("m", "zhujian", "2022-08", plan.StateDone, "2022-08-01", "")},
			want: plan.Achieved, wantState: plan.StateDone,
		},
		{
			name:  "not started before its start",
			start: "2022-10-01", asOf: "2022-09-29",
			want: plan.NotStarted, wantReason: "尚未开始,开始日期为2022年10月1日",
		},
		{
			name: "on track when no report is due yet",
			asOf: "2022-02-10",
			want: plan.OnTrack, wantReason: "首期进展尚未到报送期限,距截止日期2022年12月31日还有324天",
		},
		{
			name: "two leads: done only when both are done",
			lead: []string{"yibao", "canlian"},
			obs: []plan.Observation{
				report("m", "yibao", "2022-08", plan.StateDone, "2022-08-10", "甲"),
				report("m", "canlian", "2022-08", plan.StateInProgress, "", ""),
			},
			want: plan.OnTrack, wantState: plan.StateInProgress,
			wantReason: "进行中(市医保局已完成,市残联进行中),距截止日期2022年12月31日还有92天",
		},
		{
			name: "two leads, both done: the later date",
			lead: []string{"yibao", "canlian"},
			obs: []plan.Observation{
				report("m", "yibao", "2022-07", plan.StateDone, "2022-07-10", "甲"),
				report("m", "canlian", "2022-08", plan.StateDone, "2022-08-10", "乙"),
			},
			want: plan.Achieved, wantState: plan.StateDone,
			wantReason: "已完成(2022年8月10日),依据:甲;乙",
		},
		{
			name: "two leads, one missing: the city names it",
			lead: []string{"yibao", "canlian"},
			obs:  []plan.Observation{report("m", "yibao", "2022-08", plan.StateInProgress, "", "")},
			want: plan.OnTrack, wantState: plan.StateInProgress,
			wantReason: "进行中(市医保局进行中,市残联尚无进展报告),距截止日期2022年12月31日还有92天;市残联未报送2022年8月进展",
			wantMiss:   []string{"市残联"},
		},
		{
			name:       "two leads, both missing",
			lead:       []string{"yibao", "canlian"},
			want:       plan.NoData,
			wantReason: "各牵头单位均未报送2022年8月进展,距截止日期2022年12月31日还有92天",
			wantMiss:   []string{"市医保局", "市残联"},
		},
		{
			name: "a lead's own evaluation",
			lead: []string{"yibao", "canlian"},
			obs:  []plan.Observation{report("m", "yibao", "2022-08", plan.StateInProgress, "", "")},
			unit: "canlian",
			want: plan.NoData, wantReason: "市残联未报送2022年8月进展,距截止日期2022年12月31日还有92天",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &plan.Milestone{ID: "m", Deliverable: "制订出台实施方案", Lead: tt.lead}
			if m.Lead == nil {
				m.Lead = []string{"zhujian"}
			}
			if tt.start != "" {
				m.Start = d(tt.start)
			}
			if tt.due != "" {
				m.Due = d(tt.due)
			}
			p := newPlan(t, nil, []*plan.Milestone{m})
			asOf := tt.asOf
			if asOf == "" {
				asOf = "2022-09-30"
			}
			evs := evaluate.Evaluate(p, tt.obs, endOf(t, asOf))
			if len(evs) != len(m.Lead)+1 {
				t.Fatalf("%d evaluations, want %d", len(evs), len(m.Lead)+1)
			}
			ev := find(t, evs, "m", tt.unit)
			if ev.Status != tt.want || ev.StatusLabel != tt.want.Label() {
				t.Errorf("status = %s %s, want %s (%s)", ev.Status, ev.StatusLabel, tt.want, ev.Reason)
			}
			if ev.State != tt.wantState {
				t.Errorf("state = %q, want %q", ev.State, tt.wantState)
			}
			if tt.wantReason != "" && ev.Reason != tt.wantReason {
				t.Errorf("reason = %q\nwant     %q", ev.Reason, tt.wantReason)
			}
			if tt.unit == "" && !slices.Equal(ev.Missing, tt.wantMiss) {
				t.Errorf("missing = %v, want %v", ev.Missing, tt.wantMiss)
			}
			if ev.Kind != "milestone" || ev.Name != "制订出台实施方案" || ev.Task != m.Task || ev.Actual != nil || ev.Target != nil {
				t.Errorf("milestone evaluation carries %+v", ev)
			}
			if ev.Reason == "" || strings.Contains(ev.Reason, "%!") {
				t.Errorf("bad reason %q", ev.Reason)
			}
		})
	}
}
