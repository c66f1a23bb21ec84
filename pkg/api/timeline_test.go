package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// TestTimelinePlacesMilestones: a milestone done stands on the month it was
// done in, one still open on its due month.
func TestTimelinePlacesMilestones(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	sub := &plan.Submission{PlanID: e.p.ID, SHA256: "timeline", Unit: "zhujian", Source: "cli", FileName: "zhujian.xlsx",
		ReceivedAt: e.now.Add(-24 * time.Hour), Period: plan.Period{Year: 2022, Month: 9}, Outcome: plan.Accepted}
	done := plan.Date{Year: 2022, Month: 8, Day: 15}
	obs := []plan.Observation{{Milestone: "16.1-implementation-plan", Unit: "zhujian", Period: plan.Period{Year: 2022, Month: 8},
		State: plan.StateDone, Date: done, Evidence: "肇住建〔2022〕12号"}}
	if err := e.db.SaveSubmission(ctx, sub, obs); err != nil {
		t.Fatal(err)
	}
	resp, body := e.do(request{method: "GET", path: "/api/v1/timeline"}, e.tokens["viewer"])
	if resp.StatusCode != 200 {
		t.Fatalf("timeline: %d %s", resp.StatusCode, body)
	}
	var tl struct {
		Rows []struct {
			Task  string `json:"task"`
			Marks []struct {
				ID     string `json:"id"`
				Type   string `json:"type"`
				Month  string `json:"month"`
				Status string `json:"status"`
			} `json:"marks"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(body, &tl); err != nil {
		t.Fatal(err)
	}
	months := map[string]string{}
	for _, r := range tl.Rows {
		for _, m := range r.Marks {
			if m.Type == "milestone" {
				months[m.ID] = m.Month + " " + m.Status
			}
		}
	}
	if got := months["16.1-implementation-plan"]; got != "2022-08 achieved" {
		t.Errorf("done milestone at %q, want 2022-08 achieved", got)
	}
	if got := months["16.2-e-invoice-pilot"]; got == "" || got[:7] != "2022-12" {
		t.Errorf("open milestone at %q, want its due month 2022-12", got)
	}
}
