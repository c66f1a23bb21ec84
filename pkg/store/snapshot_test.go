package store_test

import (
	"context"
	"testing"

	"github.com/duban-gov/duban/pkg/plan"
)

func TestSnapshotOnePerDay(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	day := plan.Date{Year: 2022, Month: 10, Day: 15}
	snap := func(hour int, body string) plan.Snapshot {
		return plan.Snapshot{PlanID: planID, AsOf: at(15, hour), Day: day, Evaluations: []byte(body), CreatedAt: at(15, hour)}
	}
	tests := []struct {
		name  string
		s     plan.Snapshot
		wrote bool
		want  string
	}{
		{"first", snap(9, `[1]`), true, `[1]`},
		{"same again", snap(9, `[1]`), false, `[1]`},
		{"earlier", snap(8, `[0]`), false, `[1]`},
		{"later", snap(10, `[2]`), true, `[2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrote, err := db.SaveSnapshot(ctx, tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if wrote != tt.wrote {
				t.Errorf("wrote = %v, want %v", wrote, tt.wrote)
			}
			got, err := db.LatestSnapshot(ctx, planID)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Evaluations) != tt.want {
				t.Errorf("snapshot = %s, want %s", got.Evaluations, tt.want)
			}
		})
	}
	all, err := db.Snapshots(ctx, planID)
	if err != nil || len(all) != 1 {
		t.Errorf("Snapshots = %d, %v; want one", len(all), err)
	}
	if _, err := db.LatestSnapshot(ctx, "other"); plan.ErrorCode(err) != plan.ENOTFOUND {
		t.Errorf("LatestSnapshot of an unknown plan: %v", err)
	}
}
