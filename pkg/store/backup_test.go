package store_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// TestBackup copies a database while a writer keeps saving submissions: the
// copy opens, is a consistent snapshot (every submission in it has all its
// observations), and refuses to overwrite an existing file.
func TestBackup(t *testing.T) {
	if os.Getenv("DUBAN_TEST_POSTGRES") != "" {
		db := mustOpen(t)
		if err := db.Backup(context.Background(), filepath.Join(t.TempDir(), "x.db")); plan.ErrorCode(err) != plan.EINVALID {
			t.Fatalf("backup of PostgreSQL: %v, want an invalid error pointing to pg_dump", err)
		}
		return
	}
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "duban.db")
	db, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	save := func(i int) {
		v := float64(i)
		sub := &plan.Submission{PlanID: planID, SHA256: string(rune('a'+i%26)) + time.Now().String(), Unit: "duanzhou",
			Source: "cli", FileName: "f.xlsx", Outcome: plan.Accepted, ReceivedAt: time.Now()}
		obs := []plan.Observation{
			{Indicator: "k", Unit: "duanzhou", Period: plan.Period{Year: 2022, Month: 1}, Value: &v},
			{Indicator: "k", Unit: "dinghu", Period: plan.Period{Year: 2022, Month: 1}, Value: &v},
		}
		if err := db.SaveSubmission(ctx, sub, obs); err != nil {
			t.Error(err)
		}
	}
	for i := range 5 {
		save(i)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 5; i < 40; i++ {
			save(i)
		}
	}()
	dst := filepath.Join(t.TempDir(), "backup", "copy.db")
	if err := db.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	cp, err := store.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	subs, total, err := cp.Submissions(ctx, store.SubmissionFilter{PlanID: planID})
	if err != nil {
		t.Fatal(err)
	}
	n, err := cp.CountObservations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total < 5 || int64(2*total) != n || len(subs) != total {
		t.Errorf("backup holds %d submissions and %d observations, want at least 5 and twice as many observations", total, n)
	}
	if err := db.Backup(ctx, dst); plan.ErrorCode(err) != plan.ECONFLICT {
		t.Errorf("second backup onto the same file: %v, want a conflict", err)
	}
}
