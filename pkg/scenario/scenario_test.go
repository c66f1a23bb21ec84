package scenario_test

import (
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/scenario"
)

func run(t *testing.T, path string) ([]scenario.Outcome, error) {
	t.Helper()
	f, err := scenario.Read(path)
	if err != nil {
		return nil, err
	}
	p, err := plan.Load(f.PlanDir())
	if err != nil {
		t.Fatal(err)
	}
	return scenario.Run(f, p)
}

func TestRun(t *testing.T) {
	t.Run("pass", func(t *testing.T) {
		outcomes, err := run(t, "testdata/pass.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if len(outcomes) != 3 {
			t.Fatalf("%d outcomes, want 3", len(outcomes))
		}
		for _, o := range outcomes {
			if !o.Passed() {
				t.Errorf("line %d failed: %v %+v", o.Expectation.Line, o.Err, o.Diffs)
			}
		}
	})
	t.Run("mismatch shows expected and got", func(t *testing.T) {
		outcomes, err := run(t, "testdata/mismatch.yaml")
		if err != nil {
			t.Fatal(err)
		}
		o := outcomes[0]
		if o.Passed() || len(o.Diffs) != 2 {
			t.Fatalf("want two differences, got %+v", o.Diffs)
		}
		if o.Diffs[0].Field != "status" || o.Diffs[0].Want != "achieved" || o.Diffs[1].Field != "actual" || o.Diffs[1].Got != "120000" {
			t.Errorf("diffs = %+v", o.Diffs)
		}
		if o.Expectation.Line != 6 {
			t.Errorf("expectation line = %d, want 6", o.Expectation.Line)
		}
	})
	t.Run("no expectation is an error", func(t *testing.T) {
		if _, err := run(t, "testdata/no-expect.yaml"); err == nil || !strings.Contains(err.Error(), "no expectation") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an unknown id is an error, never a pass", func(t *testing.T) {
		outcomes, err := run(t, "testdata/unknown-id.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if outcomes[0].Passed() || outcomes[0].Err == nil || !strings.Contains(outcomes[0].Err.Error(), "no-such-indicator") {
			t.Errorf("outcome = %+v", outcomes[0])
		}
	})
	t.Run("an unknown field is an error", func(t *testing.T) {
		if _, err := run(t, "testdata/unknown-field.yaml"); err == nil || !strings.Contains(err.Error(), "colour") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestParseAsOf(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	for _, tt := range []struct{ in, want string }{
		{"2022-09-30", "2022-10-01T00:00:00+08:00"},
		{"2022-09-30T18:00", "2022-09-30T18:00:00+08:00"},
		{"2022-09-30T10:00:00Z", "2022-09-30T18:00:00+08:00"},
	} {
		got, err := scenario.ParseAsOf(tt.in, loc)
		if err != nil || got.In(loc).Format(time.RFC3339) != tt.want {
			t.Errorf("ParseAsOf(%q) = %s, %v; want %s", tt.in, got.In(loc).Format(time.RFC3339), err, tt.want)
		}
	}
	if _, err := scenario.ParseAsOf("yesterday", loc); err == nil {
		t.Error("no error for yesterday")
	}
}

func TestClose(t *testing.T) {
	if !scenario.Close(380000, 380000*(1+1e-10)) || scenario.Close(380000, 380001) || !scenario.Close(0, 0) {
		t.Error("relative tolerance 1e-9 is not applied")
	}
}
