package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestIngestCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "duban.db")
	tpl := filepath.Join(dir, "yibao.xlsx")
	if code, _, errOut := runCLI(t, "template", "--plan", shippedPlan, "--unit", "市医保局", "--period", "2022-09", "-o", tpl); code != 0 {
		t.Fatalf("template: exit %d: %s", code, errOut)
	}
	good := "../../fixtures/submissions/2022-08/yibao.xlsx"
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"good file", []string{"--db", db, good}, 0, "已接收"},
		{"same file again", []string{"--db", db, "--format", "json", good}, 0, `"outcome": "accepted"`},
		{"unfilled template", []string{"--db", db, tpl}, 1, "missing-cell"},
		{"bad file names its cell", []string{"--db", db, "../../fixtures/bad/unknown-region.xlsx"}, 1, "A4"},
		{"no database", []string{good}, 2, ""},
		{"no such file", []string{"--db", db, filepath.Join(dir, "missing.xlsx")}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"ingest", "--plan", shippedPlan}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.out) {
				t.Errorf("exit %d, want %d; output %q (stderr %q)", code, tt.code, out, errOut)
			}
		})
	}
	// The JSON form is the submission itself, and the second time is the first submission.
	_, out, _ := runCLI(t, "ingest", "--plan", shippedPlan, "--db", db, "--format", "json", good)
	var sub struct {
		ID      int64  `json:"id"`
		Outcome string `json:"outcome"`
	}
	if err := json.Unmarshal([]byte(out), &sub); err != nil || sub.ID != 1 || sub.Outcome != "accepted" {
		t.Errorf("json %q: %+v %v", out, sub, err)
	}
}
