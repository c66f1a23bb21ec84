package schedule_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/schedule"
	"github.com/duban-gov/duban/pkg/store"
)

func write(tb testing.TB, path, body string, mtime time.Time) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		tb.Fatal(err)
	}
}

func TestInbox(t *testing.T) {
	ctx := context.Background()
	p := mustPlan(t)
	db := mustStore(t)
	data := t.TempDir()
	wall := time.Date(2022, 10, 15, 10, 0, 0, 0, p.Location)
	old := wall.Add(-time.Hour)
	inbox := filepath.Join(data, "inbox")
	write(t, filepath.Join(inbox, "南区", "broken.xlsx"), "this is not a workbook", old)
	write(t, filepath.Join(inbox, "south", "copying.xlsx"), "half", wall.Add(-time.Second))
	write(t, filepath.Join(inbox, "nowhere", "x.xlsx"), "whatever", old)
	write(t, filepath.Join(inbox, "south", "notes.txt"), "not for us", old)

	svc := schedule.New(p, db, schedule.Config{DataDir: data})
	svc.SetFileClock(func() time.Time { return wall })
	res, err := svc.ScanInbox(ctx, wall)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(res.Rejected)
	if len(res.Accepted) != 0 || len(res.Rejected) != 2 || len(res.Waiting) != 1 {
		t.Fatalf("first scan = %+v; want broken.xlsx and x.xlsx rejected, copying.xlsx waiting", res)
	}
	rejected := filepath.Join(inbox, "南区", "rejected")
	for _, name := range []string{"broken.xlsx", "broken.xlsx.errors.json", "broken.xlsx.errors.txt"} {
		if _, err := os.Stat(filepath.Join(rejected, name)); err != nil {
			t.Errorf("%s not in rejected/: %v", name, err)
		}
	}
	var report struct {
		Outcome plan.Outcome     `json:"outcome"`
		Errors  []plan.CellError `json:"errors"`
	}
	b, err := os.ReadFile(filepath.Join(rejected, "broken.xlsx.errors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &report); err != nil || report.Outcome != plan.Rejected || len(report.Errors) == 0 {
		t.Errorf("report = %s (%v)", b, err)
	}
	if _, err := os.Stat(filepath.Join(inbox, "nowhere", "rejected", "x.xlsx.errors.txt")); err != nil {
		t.Errorf("a file in an unknown unit's folder was not rejected with a report: %v", err)
	}
	if _, err := os.Stat(filepath.Join(inbox, "south", "notes.txt")); err != nil {
		t.Errorf("a file that is not a workbook was touched: %v", err)
	}
	if n, err := db.CountObservations(ctx); err != nil || n != 0 {
		t.Errorf("observations after a rejected file = %d, %v; want 0", n, err)
	}
	subs, _, err := db.Submissions(ctx, store.SubmissionFilter{PlanID: p.ID})
	if err != nil || len(subs) != 1 || subs[0].Outcome != plan.Rejected || subs[0].Source != "inbox" {
		t.Errorf("submissions = %+v, %v; want the one rejected inbox file", subs, err)
	}

	// The next scan finds the file unchanged: it is no longer growing, so it is read.
	wall = wall.Add(time.Second)
	res, err = svc.ScanInbox(ctx, wall)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Waiting) != 0 || len(res.Rejected) != 1 {
		t.Errorf("second scan = %+v; want copying.xlsx read", res)
	}
	// A file of the same name again does not overwrite the first.
	write(t, filepath.Join(inbox, "南区", "broken.xlsx"), "still not a workbook", old)
	if _, err := svc.ScanInbox(ctx, wall); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"broken.xlsx", "broken-2.xlsx", "broken-2.xlsx.errors.txt"} {
		if _, err := os.Stat(filepath.Join(rejected, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// fakeTicker records the jobs it is given and runs them on demand.
type fakeTicker struct {
	jobs    map[string]func()
	started bool
}

func (f *fakeTicker) Schedule(name, spec string, job func()) error {
	f.jobs[name] = job
	return nil
}
func (f *fakeTicker) Start()                { f.started = true }
func (f *fakeTicker) Stop() context.Context { return context.Background() }

// TestStartCatchesUpOnce: after a long downtime the service runs its jobs
// once as of now, not once per missed tick, then hands them to the ticker.
func TestStartCatchesUpOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := mustPlan(t)
	db := mustStore(t)
	now := time.Date(2022, 10, 17, 9, 0, 0, 0, p.Location)
	svc := schedule.New(p, db, schedule.Config{Schedules: schedule.DefaultSchedules})
	svc.Now = func() time.Time { return now }
	tk := &fakeTicker{jobs: map[string]func(){}}
	if err := svc.Start(ctx, tk); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); svc.Wait() })
	snaps, err := db.Snapshots(ctx, p.ID)
	if err != nil || len(snaps) != 1 || !snaps[0].AsOf.Equal(now) {
		t.Fatalf("snapshots after start = %+v, %v; want one, as of now", snaps, err)
	}
	firing, err := db.Alerts(ctx, store.AlertFilter{PlanID: p.ID, State: plan.Firing})
	if err != nil || len(firing) == 0 {
		t.Fatalf("no alerts after the catch-up run: %v", err)
	}
	if !tk.started || len(tk.jobs) != 3 {
		t.Errorf("ticker started=%v with jobs %v; want evaluate, alerts and deliver (no inbox without a data folder)", tk.started, tk.jobs)
	}
	// A tick works from state: running the alerts job again changes nothing.
	before := len(firing)
	tk.jobs["alerts"]()
	after, _ := db.Alerts(ctx, store.AlertFilter{PlanID: p.ID, State: plan.Firing})
	if len(after) != before {
		t.Errorf("a second tick changed the firing alerts from %d to %d", before, len(after))
	}
}

// TestCronChain: a job that panics is recovered, and the next run still
// happens (the skip guard is released); a run still going makes the next skip.
func TestCronChain(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	job := schedule.Wrap(nil, func() {
		n := runs.Add(1)
		switch n {
		case 1:
			panic("boom")
		case 2:
			<-release
		}
	})
	job() // panics inside, recovered
	done := make(chan struct{})
	go func() { job(); close(done) }() // second run blocks
	for runs.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	job() // skipped while the second is still going
	close(release)
	<-done
	job() // runs again
	if got := runs.Load(); got != 3 {
		t.Errorf("runs = %d, want 3 (panic, blocked, skipped, run)", got)
	}
}
