package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const shippedPlan = "../../rules/zhaoqing-2022"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRulesCheck(t *testing.T) {
	code, out, _ := runCLI(t, "rules", "check", shippedPlan)
	if code != 0 || !strings.Contains(out, "61 tasks, 13 indicators") || !strings.Contains(out, "11 regions") {
		t.Errorf("exit %d, output %q", code, out)
	}
	code, out, _ = runCLI(t, "rules", "check", "../../pkg/plan/testdata/bad")
	out = strings.ReplaceAll(out, "../../pkg/plan/testdata/", "")
	if code != 1 {
		t.Errorf("bad plan: exit %d, want 1", code)
	}
	// Every planted mistake comes back with its file and line.
	want, err := os.ReadFile("../../pkg/plan/testdata/bad/want.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		if !strings.Contains(out, line) {
			t.Errorf("missing problem %q in\n%s", line, out)
		}
	}
}

func TestRulesTest(t *testing.T) {
	files, _ := filepath.Glob(shippedPlan + "/tests/*.yaml")
	if len(files) < 13 {
		t.Fatalf("%d scenario files for the shipped plan, want one per indicator", len(files))
	}
	code, out, _ := runCLI(t, append([]string{"rules", "test"}, files...)...)
	if code != 0 || !strings.Contains(out, " passed, 0 failed") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "rules", "test", "../../pkg/scenario/testdata/mismatch.yaml")
	if code != 1 || !strings.Contains(out, "FAIL") || !strings.Contains(out, "achieved") || !strings.Contains(out, "reason:") {
		t.Errorf("mismatch: exit %d:\n%s", code, out)
	}
	for _, f := range []string{"no-expect.yaml", "unknown-id.yaml", "unknown-field.yaml"} {
		if code, out, _ := runCLI(t, "rules", "test", "../../pkg/scenario/testdata/"+f); code != 1 || !strings.Contains(out, "ERROR") {
			t.Errorf("%s: exit %d, want 1 with an error:\n%s", f, code, out)
		}
	}
}

func TestEvalJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "eval", "--plan", shippedPlan, "--as-of", "2022-09-30", "--format", "json",
		"--observations", shippedPlan+"/tests/14.4-kiosk-services.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var evs []map[string]any
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatal(err)
	}
	var city, unit map[string]any
	for _, ev := range evs {
		if ev["indicator"] == "14.4-kiosk-services" {
			if _, ok := ev["unit"]; !ok {
				city = ev
			} else if unit == nil {
				unit = ev
			}
		}
	}
	if city == nil || unit == nil {
		t.Fatal("no city or unit evaluation of 14.4-kiosk-services")
	}
	for _, field := range []string{"indicator", "task", "status", "actual", "expected", "target", "progress", "reason"} {
		if _, ok := city[field]; !ok {
			t.Errorf("city evaluation lacks %q", field)
		}
	}
	if city["task"] != "14.4" || city["reason"] == "" {
		t.Errorf("city = %v", city)
	}
	milestones := 0
	for _, ev := range evs {
		if _, ok := ev["milestone"]; ok {
			milestones++
		}
	}
	if milestones == 0 {
		t.Error("no milestone evaluations")
	}
}

func TestEvalTable(t *testing.T) {
	code, out, _ := runCLI(t, "eval", "--plan", shippedPlan, "--as-of", "2022-10-15")
	if code != 0 || !strings.Contains(out, "截至2022年10月15日") || !strings.Contains(out, "未报送") || !strings.Contains(out, "合计") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
	if code, _, _ := runCLI(t, "eval", "--plan", shippedPlan, "--as-of", "someday"); code != 2 {
		t.Errorf("bad --as-of: exit %d, want 2", code)
	}
}

func TestHelp(t *testing.T) {
	for cmd := range commands() {
		code, _, errOut := runCLI(t, cmd, "--help")
		if code != 0 || !strings.Contains(errOut, "usage: duban") {
			t.Errorf("%s --help: exit %d, %q", cmd, code, errOut)
		}
	}
}

func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "duban.db")
	code, _, errOut := runCLI(t, "ingest", "--plan", shippedPlan, "--db", db, "../../fixtures/submissions/2022-01/zhengshuju.xlsx")
	if code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, errOut)
	}
	copyPath := filepath.Join(dir, "copy.db")
	if code, out, errOut := runCLI(t, "backup", "--db", db, "-o", copyPath); code != 0 || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: exit %d: %s %s", code, out, errOut)
	}
	// As of now: the file was received now, so an earlier as-of would not know it yet.
	code, out, _ := runCLI(t, "eval", "--plan", shippedPlan, "--db", copyPath, "--format", "json")
	if code != 0 || !strings.Contains(out, `"period": "2022-01"`) {
		t.Errorf("the copy does not hold January's figures: exit %d", code)
	}
	if code, _, _ := runCLI(t, "backup", "--db", db, "-o", copyPath); code != 2 {
		t.Errorf("backup onto an existing file: exit %d, want 2", code)
	}
}
