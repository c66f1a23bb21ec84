package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// BenchmarkObservationsOneKey reads what is in force after two submissions of
// n lead-time records each under one (indicator, unit, period) key, the
// second superseding the first: the cost must grow with n, not n².
func BenchmarkObservationsOneKey(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			db, err := store.Open(filepath.Join(b.TempDir(), "duban.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			at := time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC)
			for s := range 2 {
				obs := make([]plan.Observation, n)
				for i := range obs {
					obs[i] = plan.Observation{Indicator: "19-sharing-within-3-days", Unit: "zhengshuju",
						Period: plan.Period{Year: 2022, Month: 9}, Requested: plan.Date{Year: 2022, Month: 9, Day: 1 + i%28},
						Connected: plan.Date{Year: 2022, Month: 9, Day: 2 + i%28}}
				}
				sub := &plan.Submission{PlanID: planID, SHA256: fmt.Sprint("bench", s), Unit: "zhengshuju", Source: "cli",
					FileName: "records.xlsx", ReceivedAt: at.Add(time.Duration(s) * time.Hour), Outcome: plan.Accepted}
				if err := db.SaveSubmission(ctx, sub, obs); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for range b.N {
				got, err := db.Observations(ctx, planID, time.Time{})
				if err != nil || len(got) != n {
					b.Fatalf("%d observations in force, %v; want %d", len(got), err, n)
				}
			}
		})
	}
}
