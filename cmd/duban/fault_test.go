package main

import (
	"context"

	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// TestKillDuringIngest kills `duban serve` with SIGKILL while it ingests a
// 100,000-row file from the inbox — once while it reads the workbook, once
// while its transaction is writing the observations — and restarts it. The
// kill point is seen, not hoped for: the raw copy ingest keeps before reading
// marks the first, the database's write-ahead log growing past what the
// service had written before marks the second. After the kill the submission
// is wholly there or wholly absent and the file is still in the inbox; after
// the restart's catch-up scan it is ingested exactly once.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a 100,000-row workbook twice over")
	}
	const rows = 100_000
	big := filepath.Join(t.TempDir(), "records.xlsx")
	recordsWorkbook(t, big, rows, "kill")
	sha := fileSHA(t, big)
	content, err := os.ReadFile(big)
	if err != nil {
		t.Fatal(err)
	}

	// phase tells, from the files the service writes, whether ingest has
	// reached the point to kill it at; base is the log's size when ingest started.
	tests := []struct {
		name  string
		reach func(walGrowth int64) bool
	}{
		{"while reading the workbook", func(walGrowth int64) bool { return walGrowth == 0 }},
		{"while writing the observations", func(walGrowth int64) bool { return walGrowth >= 2<<20 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			db := filepath.Join(data, "duban.db")
			unitDir := filepath.Join(data, "inbox", "zhengshuju")
			inboxFile := filepath.Join(unitDir, "records.xlsx")
			accepted := filepath.Join(unitDir, "accepted", "records.xlsx")
			rawCopy := filepath.Join(data, "raw", sha[:2], sha+".xlsx")
			if err := os.MkdirAll(unitDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(inboxFile, content, 0o644); err != nil {
				t.Fatal(err)
			}
			// Settled: dropped in a minute ago, so the catch-up scan takes it at once.
			old := time.Now().Add(-time.Minute)
			if err := os.Chtimes(inboxFile, old, old); err != nil {
				t.Fatal(err)
			}

			svc := startService(t, data, db, "2022-10-15")
			base := int64(-1)
			deadline := time.Now().Add(90 * time.Second)
			for {
				if _, err := os.Stat(rawCopy); err == nil {
					size := fileSize(db + "-wal")
					if base < 0 {
						base = size
					}
					if tt.reach(size - base) {
						break
					}
				}
				if _, err := os.Stat(inboxFile); err != nil {
					t.Fatalf("ingest finished before the kill point was reached (inbox file: %v)", err)
				}
				if !svc.running() || time.Now().After(deadline) {
					t.Fatalf("kill point not reached (running %v):\n%s", svc.running(), svc.logText())
				}
				time.Sleep(2 * time.Millisecond)
			}
			svc.kill()
			t.Logf("killed with the write-ahead log %d bytes past its size when ingest began", fileSize(db+"-wal")-base)

			// Wholly present or wholly absent, and the file still there to retry.
			subs, obs := storeState(t, db)
			switch {
			case len(subs) == 0 && obs == 0:
				if _, err := os.Stat(inboxFile); err != nil {
					t.Errorf("nothing was saved, and the file is gone from the inbox: %v", err)
				}
			case len(subs) == 1 && subs[0].SHA256 == sha && subs[0].Observations == rows && obs == rows:
				t.Log("the submission was committed before the kill")
				if !exists(inboxFile) && !exists(accepted) {
					t.Error("the committed file is neither in the inbox nor in accepted/")
				}
			default:
				t.Fatalf("after the kill: %d submissions %+v, %d observations; want none, or one with all %d",
					len(subs), subs, obs, rows)
			}

			// The restart's catch-up scan takes the file again, once.
			svc = startService(t, data, db, "2022-10-15")
			deadline = time.Now().Add(90 * time.Second)
			for exists(inboxFile) || !exists(accepted) {
				if !svc.running() || time.Now().After(deadline) {
					t.Fatalf("the file was not ingested after the restart:\n%s", svc.logText())
				}
				time.Sleep(50 * time.Millisecond)
			}
			// What is in accepted/ was committed first: kill again rather than
			// wait for the catch-up's evaluation of 100,000 records to finish.
			svc.kill()
			subs, obs = storeState(t, db)
			if len(subs) != 1 || subs[0].SHA256 != sha || subs[0].Outcome != plan.Accepted ||
				subs[0].Observations != rows || obs != rows {
				t.Errorf("after the restart: %d submissions %+v, %d observations; want one accepted with all %d",
					len(subs), subs, obs, rows)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(unitDir, "accepted", "records-*.xlsx")); len(leftovers) > 0 {
				t.Errorf("the file was taken more than once: %v", leftovers)
			}
		})
	}
}

// storeState opens the database the way the service does (recovering its
// write-ahead log) and returns its submissions and how many observations it holds.
func storeState(t *testing.T, dsn string) ([]plan.Submission, int64) {
	t.Helper()
	db, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	subs, _, err := db.Submissions(ctx, store.SubmissionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.CountObservations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return subs, n
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
