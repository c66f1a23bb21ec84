package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/alert"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/schedule"
	"github.com/duban-gov/duban/pkg/store"
	"github.com/duban-gov/duban/pkg/store/storetest"
)

// sharedDSN is a database of the test's own that several handles can open (storetest.DSN).
func sharedDSN(tb testing.TB) string { return storetest.DSN(tb) }

func openDSN(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// simClock is a simulated clock several goroutines read.
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

var errGone = errors.New("replica gone")

// dyingLeases is a replica's view of the lease table that can be cut off, as
// when its process freezes or loses the database: every call fails.
type dyingLeases struct {
	schedule.LeaseStore
	gone atomic.Bool
}

func (d *dyingLeases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	if d.gone.Load() {
		return 0, false, errGone
	}
	return d.LeaseStore.AcquireLease(ctx, name, holder, ttl)
}

func (d *dyingLeases) RecordRun(ctx context.Context, lease, holder string, token int64, job string, tick time.Time) (bool, error) {
	if d.gone.Load() {
		return false, errGone
	}
	return d.LeaseStore.RecordRun(ctx, lease, holder, token, job, tick)
}

func (d *dyingLeases) ReleaseLease(ctx context.Context, name, holder string, token int64) error {
	if d.gone.Load() {
		return errGone
	}
	return d.LeaseStore.ReleaseLease(ctx, name, holder, token)
}

// countingOutbox counts the delivery passes that reach the outbox: each run
// of the deliver job claims once, so this counts the job's runs on one
// replica without asking the record of runs.
type countingOutbox struct {
	alert.Outbox
	claims atomic.Int32
}

func (c *countingOutbox) ClaimNotifications(ctx context.Context, sender string, now time.Time, lease time.Duration, limit int) ([]plan.Notification, error) {
	c.claims.Add(1)
	return c.Outbox.ClaimNotifications(ctx, sender, now, lease, limit)
}

// replica is one service sharing the database with others.
type replica struct {
	svc    *schedule.Service
	tk     *fakeTicker
	leases *dyingLeases
	out    *countingOutbox
}

func startReplica(t *testing.T, ctx context.Context, p *plan.Plan, dsn, name string, clock *simClock, lease time.Duration) *replica {
	t.Helper()
	db := openDSN(t, dsn)
	svc := schedule.New(p, db, schedule.Config{Lease: lease,
		Schedules: schedule.Schedules{Deliver: "@every 15s", Alerts: "*/15 * * * *"}})
	if svc.Leader == nil {
		t.Fatal("the store keeps leases, but the service has no leader")
	}
	r := &replica{svc: svc, tk: &fakeTicker{jobs: map[string]func(){}},
		leases: &dyingLeases{LeaseStore: db}, out: &countingOutbox{Outbox: db}}
	svc.Leader.Store, svc.Leader.Clock, svc.Leader.Holder = r.leases, clock.Now, name
	svc.Now = clock.Now
	svc.Sender = &alert.Sender{Plan: p, Outbox: r.out, Now: clock.Now, Name: name}
	if err := svc.Start(ctx, r.tk); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Wait)
	return r
}

// TestLeaderTakeover: two replicas share one database (PostgreSQL when
// DUBAN_TEST_POSTGRES is set) and get every tick of the deliver job. The
// first to start runs the jobs, the other stands by; when the first is cut
// off from the database it stops, the other takes over within a lease and a
// renewal, catches up, and runs the ticks from then on; when the first comes
// back it does not run them again. Runs are counted where they happen (at
// the outbox) and where they are recorded (job_runs): once per tick.
func TestLeaderTakeover(t *testing.T) {
	const lease = 2 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := mustPlan(t)
	dsn := sharedDSN(t)
	t0 := time.Date(2022, 10, 17, 9, 0, 0, 0, p.Location)
	clock := &simClock{now: t0}
	a := startReplica(t, ctx, p, dsn, "a", clock, lease)
	b := startReplica(t, ctx, p, dsn, "b", clock, lease)
	t.Cleanup(cancel) // before the Waits registered above
	if _, ok := a.svc.Leader.Holds(); !ok {
		t.Fatal("the first replica does not hold the lease")
	}
	if _, ok := b.svc.Leader.Holds(); ok {
		t.Fatal("both replicas hold the lease")
	}
	if a.out.claims.Load() != 1 || b.out.claims.Load() != 0 {
		t.Fatalf("catch-up deliveries a=%d b=%d, want 1 and 0", a.out.claims.Load(), b.out.claims.Load())
	}

	// tick fires the deliver job on both replicas at once, 15 s of simulated time on.
	tick := func() {
		clock.Set(clock.Now().Add(15 * time.Second))
		var wg sync.WaitGroup
		for _, r := range []*replica{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); r.tk.jobs["deliver"]() }()
		}
		wg.Wait()
	}
	for range 5 {
		tick()
	}
	if a.out.claims.Load() != 6 || b.out.claims.Load() != 0 {
		t.Fatalf("before the cut: deliveries a=%d b=%d, want 6 and 0", a.out.claims.Load(), b.out.claims.Load())
	}

	a.leases.gone.Store(true)
	cut := time.Now()
	for {
		if _, ok := b.svc.Leader.Holds(); ok {
			break
		}
		if time.Since(cut) > lease+lease/3+2*time.Second {
			t.Fatalf("no takeover %v after the holder was cut off (lease %v)", time.Since(cut), lease)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("takeover after %v", time.Since(cut).Round(time.Millisecond))
	for b.out.claims.Load() < 1 { // the new holder's catch-up
		if time.Since(cut) > 5*time.Second {
			t.Fatal("the new holder did not catch up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Its outbox pass is the catch-up's last step: let it return, and free the jobs.
	time.Sleep(200 * time.Millisecond)
	for range 5 {
		tick()
	}
	a.leases.gone.Store(false) // back from the dead, for a tick
	tick()

	if a.out.claims.Load() != 6 || b.out.claims.Load() != 7 {
		t.Errorf("deliveries a=%d b=%d, want 6 (catch-up and 5 ticks) and 7 (catch-up and 6 ticks)", a.out.claims.Load(), b.out.claims.Load())
	}
	runs, err := openDSN(t, dsn).JobRuns(context.Background(), "schedule:"+p.ID, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	perTick := map[string]int{}
	byHolder := map[string]int{}
	for _, r := range runs {
		perTick[r.Job+" "+r.Tick.Format(time.RFC3339)]++
		byHolder[fmt.Sprintf("%s/%d", r.Holder, r.Token)]++
	}
	for k, n := range perTick {
		if n != 1 {
			t.Errorf("%s ran %d times", k, n)
		}
	}
	if byHolder["a/1"] != 6 || byHolder["b/2"] != 7 || len(runs) != 13 {
		t.Errorf("recorded runs by holder/token %v (%d in all), want a/1 6 and b/2 7", byHolder, len(runs))
	}
	if _, ok := a.svc.Leader.Holds(); ok {
		t.Error("the replica that came back believes it holds the lease")
	}
}
