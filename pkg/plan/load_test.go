package plan_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duban-gov/duban/pkg/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

func mustLoad(t *testing.T, dir string) *plan.Plan {
	t.Helper()
	p, err := plan.Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	return p
}

func TestLoadGood(t *testing.T) {
	p := mustLoad(t, "testdata/good")
	if p.ID != "sample-2022" || p.Location.String() != "Asia/Shanghai" {
		t.Errorf("plan = %s in %s", p.ID, p.Location)
	}
	if p.Thresholds != (plan.Thresholds{OnTrack: 0.95, Critical: 0.80}) {
		t.Errorf("default thresholds = %+v", p.Thresholds)
	}
	if p.Report != (plan.ReportSchedule{Frequency: plan.Monthly, DueWorkdays: 5}) {
		t.Errorf("default report = %+v", p.Report)
	}
	if len(p.Tasks) != 3 || len(p.Indicators) != 3 || len(p.Milestones) != 2 {
		t.Fatalf("got %d tasks, %d indicators, %d milestones", len(p.Tasks), len(p.Indicators), len(p.Milestones))
	}
	kiosk, _ := p.Indicator("kiosk-services")
	if got := strings.Join(kiosk.ReportedBy, ","); got != "duanzhou,dinghu" {
		t.Errorf("reported_by regions expands to %s", got)
	}
	if kiosk.UnitTargets["duanzhou"] != 300000 || kiosk.UnitTargets["dinghu"] != 200000 {
		t.Errorf("unit targets by alias and id = %v", kiosk.UnitTargets)
	}
	if kiosk.Due != (plan.Date{Year: 2022, Month: 12, Day: 31}) || kiosk.Start != p.Start {
		t.Errorf("kiosk dates default to %s…%s", kiosk.Start, kiosk.Due)
	}
	voucher, _ := p.Indicator("voucher-activation")
	if voucher.Rows != plan.RowsRegions || strings.Join(voucher.RowUnits, ",") != "duanzhou,dinghu" || strings.Join(voucher.ReportedBy, ",") != "yibao" {
		t.Errorf("voucher rows %s %v reported by %v", voucher.Rows, voucher.RowUnits, voucher.ReportedBy)
	}
	if len(voucher.Checkpoints) != 2 || voucher.Checkpoints[1].Share != 0.6 {
		t.Errorf("checkpoints = %+v", voucher.Checkpoints)
	}
	sharing, _ := p.Indicator("sharing")
	if sharing.Rows != plan.RowsRecords || sharing.Limit != 3 {
		t.Errorf("lead_time rows %s limit %d", sharing.Rows, sharing.Limit)
	}
	task1, _ := p.Task("1")
	if strings.Join(task1.Lead, ",") != "zhengshuju,regions" {
		t.Errorf("task lead keeps the group as named: %v", task1.Lead)
	}
	issued, _ := p.Milestone("plan-issued")
	if issued.Due != (plan.Date{Year: 2022, Month: 6, Day: 30}) || strings.Join(issued.Lead, ",") != "zhengshuju" {
		t.Errorf("milestone takes the task's due and lead: %s %v", issued.Due, issued.Lead)
	}
	for _, ref := range []string{"duanzhou", "端州区", "端州"} {
		if u, ok := p.Unit(ref); !ok || u.ID != "duanzhou" {
			t.Errorf("unit %q not found by id, name or alias", ref)
		}
	}
	if got := p.ReportingUnits(); strings.Join(got, ",") != "zhengshuju,yibao,duanzhou,dinghu" {
		t.Errorf("reporting units = %v", got)
	}
}

// TestLoadBad plants many mistakes in one folder and expects every one back,
// each with its file, line and column.
func TestLoadBad(t *testing.T) {
	_, err := plan.Load("testdata/bad")
	var ps plan.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %v", err)
	}
	got := strings.ReplaceAll(ps.Error(), "testdata"+string(filepath.Separator), "") + "\n"
	golden := "testdata/bad/want.txt"
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("problems differ from %s (run with -update to accept)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

// TestLoadProblem checks one mistake at a time against the message it must give.
func TestLoadProblem(t *testing.T) {
	tests := []struct {
		name, file, old, new, want string
	}{
		{"unknown kind", "tasks/tasks.yaml", "kind: cumulative", "kind: total", `unknown kind "total"`},
		{"between needs a pair", "tasks/tasks.yaml", "comparator: \">\"\n        target: 500000", "comparator: between\n        target: 500000", "a between target is [low, high]"},
		{"share above one", "tasks/tasks.yaml", "share: 0.6", "share: 60", "share 60 must be between 0 and 1"},
		{"limit only for lead_time", "tasks/tasks.yaml", "reported_by: regions", "reported_by: regions\n        limit: 3", "limit applies only to lead_time"},
		{"lead_time needs limit", "tasks/tasks.yaml", "limit: 3", "", "needs limit"},
		{"number as text", "tasks/tasks.yaml", "target: 500000", "target: \"lots\"", `expected a number, found "lots"`},
		{"wrong version", "plan.yaml", "duban/v1", "duban/v9", `unsupported apiVersion "duban/v9"`},
		{"no header", "units.yaml", "apiVersion: duban/v1\n", "", "missing version header"},
		{"bad date", "plan.yaml", "start: 2022-01-01", "start: 2022-13-01", "not an ISO date"},
		{"bad time zone", "plan.yaml", "Asia/Shanghai", "Asia/Zhaoqing", `unknown time zone "Asia/Zhaoqing"`},
		{"make-up day on a weekday", "calendar.yaml", "2022-10-08", "2022-10-10", "only a weekend day can be a make-up working day"},
		{"calendar too short", "calendar.yaml", "to: 2023-01-31", "to: 2022-12-31", "falls due after the calendar ends"},
		{"unknown group member", "units.yaml", "members: [duanzhou, dinghu]", "members: [duanzhou, gaoyao]", `unknown unit "gaoyao"`},
		{"unit target for a stranger", "tasks/tasks.yaml", "dinghu: 200000", "yibao: 200000", `unit_targets names "yibao"`},
		{"task with nothing", "tasks/tasks.yaml", "    milestones:\n      - {id: plan-issued, deliverable: 出台方案}\n", "", "neither an indicator nor a milestone"},
		{"alias", "plan.yaml", "title: 示例工作要点", "title: &t 示例工作要点\ndocument: *t", "YAML aliases (*t) are not allowed"},
		{"invalid YAML", "plan.yaml", "title: 示例工作要点", "title: [示例", "not valid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, "testdata/good")
			path := filepath.Join(dir, tt.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.old) {
				t.Fatalf("%s does not contain %q", tt.file, tt.old)
			}
			os.WriteFile(path, []byte(strings.Replace(string(b), tt.old, tt.new, 1)), 0o644)
			_, err = plan.Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want a problem containing %q, got %v", tt.want, err)
			}
			var ps plan.Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					if p.Line < 1 || p.Column < 1 || !strings.HasPrefix(p.File, dir) {
						t.Errorf("problem without a place: %+v", p)
					}
				}
			}
		})
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
