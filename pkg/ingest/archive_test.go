package ingest

import (
	"strings"
	"testing"
)

func TestFileLimits(t *testing.T) {
	p := shippedPlan(t)
	good := "../../fixtures/submissions/2022-09/yibao.xlsx"
	tests := []struct {
		name     string
		max      int64
		code     string
		contains string
	}{
		{"within the limit", 0, "", ""},
		{"over the limit", 4 << 10, "format-error", "超过上限"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := read(t, p, good, Options{MaxBytes: tt.max}, nil)
			if tt.code == "" {
				if !res.OK() {
					t.Fatalf("rejected: %v", res.Errors)
				}
				return
			}
			if res.OK() || res.Errors[0].Code != tt.code || !strings.Contains(res.Errors[0].Message, tt.contains) {
				t.Errorf("errors %v, want %s saying %s", res.Errors, tt.code, tt.contains)
			}
		})
	}
}
