package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// TestEvaluationFollowsSubmissions: reads of one day reuse an evaluation, and
// a submission saved in between is seen by the next read all the same.
func TestEvaluationFollowsSubmissions(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	cores := func() any {
		t.Helper()
		resp, body := e.do(request{method: "GET", path: "/api/v1/indicators/17-cloud-cores"}, e.tokens["viewer"])
		if resp.StatusCode != 200 {
			t.Fatalf("indicator: %d %s", resp.StatusCode, body)
		}
		var d struct {
			City struct {
				Actual any `json:"actual"`
			} `json:"city"`
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		return d.City.Actual
	}
	save := func(sha string, v float64) {
		t.Helper()
		sub := &plan.Submission{PlanID: e.p.ID, SHA256: sha, Unit: "zhengshuju", Source: "cli", FileName: sha + ".xlsx",
			ReceivedAt: e.now.Add(-time.Hour), Period: plan.Period{Year: 2022, Month: 9}, Outcome: plan.Accepted}
		obs := []plan.Observation{{Indicator: "17-cloud-cores", Unit: "zhengshuju", Period: plan.Period{Year: 2022, Month: 9}, Value: &v}}
		if err := e.db.SaveSubmission(ctx, sub, obs); err != nil {
			t.Fatal(err)
		}
	}
	if got := cores(); got != nil {
		t.Fatalf("cloud cores before any report = %v", got)
	}
	save("first", 15000)
	if got := cores(); got != 15000.0 {
		t.Fatalf("after the first report: %v, want 15000", got)
	}
	if got := cores(); got != 15000.0 {
		t.Fatalf("read again: %v, want 15000", got)
	}
	save("second", 16000)
	if got := cores(); got != 16000.0 {
		t.Errorf("after a correction: %v, want 16000 (a stale evaluation was reused)", got)
	}
}
