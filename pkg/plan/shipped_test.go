package plan_test

import (
	"testing"

	"github.com/duban-gov/duban/pkg/plan"
)

// TestShippedPlan guards the Zhaoqing 2022 rule files: all 61 tasks, every
// indicator and deliverable TARGETS.md names, with its kind and comparator.
func TestShippedPlan(t *testing.T) {
	p := mustLoad(t, "../../rules/zhaoqing-2022")
	if len(p.Tasks) != 61 {
		t.Errorf("%d tasks, want 61", len(p.Tasks))
	}
	if n := len(p.UnitsOf(plan.Region)); n != 11 {
		t.Errorf("%d regions, want 11", n)
	}
	indicators := []struct {
		id   string
		kind plan.Kind
		op   plan.Comparator
		val  float64
	}{
		{"2-form-workload-cut", plan.Ratio, plan.GE, 0.6},
		{"14.2-industry-actions", plan.Count, plan.Between, 2},
		{"14.2-entity-coverage", plan.Coverage, plan.GE, 1},
		{"14.2-monthly-active-users", plan.Level, plan.GT, 40000},
		{"14.4-kiosk-coverage", plan.Coverage, plan.GE, 1},
		{"14.4-kiosk-services", plan.Cumulative, plan.GT, 500000},
		{"14.4-kiosk-transactions", plan.Cumulative, plan.GT, 700000},
		{"15.5-voucher-activation", plan.Ratio, plan.GE, 0.65},
		{"15.5-hospital-mobile-pay", plan.Count, plan.GE, 1},
		{"17-cloud-cores", plan.Level, plan.GE, 18700},
		{"19-sharing-within-3-days", plan.LeadTime, plan.GE, 1},
		{"19-instant-sharing", plan.Ratio, plan.GE, 0.6},
		{"19-paperless-items", plan.Level, plan.GT, 2000},
	}
	if len(p.Indicators) != len(indicators) {
		t.Errorf("%d indicators, want %d", len(p.Indicators), len(indicators))
	}
	for _, want := range indicators {
		ind, ok := p.Indicator(want.id)
		if !ok {
			t.Errorf("no indicator %s", want.id)
			continue
		}
		if ind.Kind != want.kind || ind.Target.Op != want.op || ind.Target.Value != want.val {
			t.Errorf("%s: %s %s %g, want %s %s %g", want.id, ind.Kind, ind.Target.Op, ind.Target.Value, want.kind, want.op, want.val)
		}
	}
	if ind, _ := p.Indicator("14.2-industry-actions"); ind != nil && ind.Target.High != 3 {
		t.Errorf("industry actions between 2 and %g, want 3", ind.Target.High)
	}
	if ind, _ := p.Indicator("15.5-voucher-activation"); ind != nil && (ind.Rows != plan.RowsRegions || len(ind.RowUnits) != 11) {
		t.Errorf("voucher activation rows %s over %d units, want one per region", ind.Rows, len(ind.RowUnits))
	}
	for _, id := range []string{"5-census-assessment-plan", "13.1-one-thing-services", "15.4-disability-cert-online",
		"15.5-e-prescription", "16.1-implementation-plan", "16.2-e-invoice-pilot", "22-management-measures",
		"24-project-platform", "25-standards-catalogue"} {
		if _, ok := p.Milestone(id); !ok {
			t.Errorf("no milestone %s", id)
		}
	}
	for _, task := range p.Tasks {
		if len(task.Indicators) == 0 && len(task.Milestones) == 0 {
			t.Errorf("task %s is tracked by nothing", task.ID)
		}
		if len(task.Lead) == 0 {
			t.Errorf("task %s has no lead", task.ID)
		}
	}
	// The December 2022 report falls due in January 2023, after New Year's Day.
	due, err := p.ReportDue(p.Report, plan.Period{Year: 2022, Month: 12})
	if err != nil || due.String() != "2023-01-09" {
		t.Errorf("December's report due %s, %v; want 2023-01-09", due, err)
	}
}
