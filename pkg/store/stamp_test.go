package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

func TestSubmissionStamp(t *testing.T) {
	db := mustOpen(t)
	ctx := context.Background()
	base := time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC)
	save := func(sha string, at time.Time, outcome plan.Outcome) int64 {
		t.Helper()
		sub := &plan.Submission{PlanID: planID, SHA256: sha, Unit: "duanzhou", Source: "cli", FileName: sha,
			ReceivedAt: at, Outcome: outcome}
		if err := db.SaveSubmission(ctx, sub, nil); err != nil {
			t.Fatal(err)
		}
		return sub.ID
	}
	stamp := func(cutoff time.Time) [2]int64 {
		t.Helper()
		n, max, err := db.SubmissionStamp(ctx, planID, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		return [2]int64{n, max}
	}
	if got := stamp(base); got != [2]int64{0, 0} {
		t.Errorf("empty store: %v", got)
	}
	a := save("a", base.Add(2*time.Hour), plan.Accepted)
	b := save("b", base.Add(1*time.Hour), plan.Rejected) // received earlier, saved later
	if got := stamp(base.Add(90 * time.Minute)); got != [2]int64{1, b} {
		t.Errorf("cutoff between the two: %v, want [1 %d]", got, b)
	}
	if got := stamp(base.Add(3 * time.Hour)); got != [2]int64{2, max(a, b)} {
		t.Errorf("cutoff after both: %v", got)
	}
	if n, _, _ := db.SubmissionStamp(ctx, "another-plan", base.Add(3*time.Hour)); n != 0 {
		t.Errorf("another plan's stamp counts %d submissions", n)
	}
}
