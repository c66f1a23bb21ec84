package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/store"
)

// TestLeaseChangesHandsAndFences walks one lease through its life: taken,
// refused to another, renewed, lapsed and taken over, released; and checks at
// each step who holds it, its fencing token, and whether a run can be
// recorded under the token each replica believes it has.
func TestLeaseChangesHandsAndFences(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	const name = "schedule:test"
	tick := time.Date(2022, 10, 15, 9, 15, 0, 0, shanghai)
	const long, short = time.Minute, 50 * time.Millisecond
	tokens := map[string]int64{}
	steps := []struct {
		do        string // acquire, release, wait, record
		who       string
		ttl       time.Duration
		job       string
		wantHeld  bool  // acquire: held; record: recorded
		wantToken int64 // acquire: the token after it
	}{
		{do: "acquire", who: "a", ttl: long, wantHeld: true, wantToken: 1},
		{do: "acquire", who: "b", ttl: long, wantHeld: false, wantToken: 1},
		{do: "record", who: "a", job: "deliver", wantHeld: true},
		{do: "record", who: "a", job: "deliver", wantHeld: false},           // the same tick again
		{do: "record", who: "a", job: "alerts", wantHeld: true},             // another job, same tick
		{do: "acquire", who: "a", ttl: short, wantHeld: true, wantToken: 1}, // a renewal keeps the token
		{do: "wait"},
		{do: "record", who: "a", job: "inbox", wantHeld: false}, // lapsed: a may not start work
		{do: "acquire", who: "b", ttl: long, wantHeld: true, wantToken: 2},
		{do: "acquire", who: "a", ttl: long, wantHeld: false, wantToken: 2},
		{do: "record", who: "a", job: "evaluate", wantHeld: false}, // a's token 1 is stale
		{do: "record", who: "b", job: "evaluate", wantHeld: true},
		{do: "record", who: "b", job: "deliver", wantHeld: false}, // a ran it for this tick
		{do: "release", who: "a"},                                 // not a's: nothing happens
		{do: "acquire", who: "a", ttl: long, wantHeld: false, wantToken: 2},
		{do: "release", who: "b"},
		{do: "record", who: "b", job: "inbox", wantHeld: false},
		{do: "acquire", who: "a", ttl: long, wantHeld: true, wantToken: 3},
	}
	for i, s := range steps {
		label := fmt.Sprintf("step %d: %s %s %s", i, s.who, s.do, s.job)
		switch s.do {
		case "acquire":
			token, held, err := db.AcquireLease(ctx, name, s.who, s.ttl)
			if err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			if held != s.wantHeld || token != s.wantToken {
				t.Errorf("%s: held %v token %d, want %v %d", label, held, token, s.wantHeld, s.wantToken)
			}
			if held {
				tokens[s.who] = token
			}
		case "release":
			if err := db.ReleaseLease(ctx, name, s.who, tokens[s.who]); err != nil {
				t.Fatalf("%s: %v", label, err)
			}
		case "wait":
			time.Sleep(2 * short)
		case "record":
			ok, err := db.RecordRun(ctx, name, s.who, tokens[s.who], s.job, tick)
			if err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			if ok != s.wantHeld {
				t.Errorf("%s: recorded %v, want %v", label, ok, s.wantHeld)
			}
		}
	}
	l, ok, err := db.Lease(ctx, name)
	if err != nil || !ok || l.Holder != "a" || l.Token != 3 || !l.ExpiresAt.After(l.RenewedAt) {
		t.Errorf("lease at the end = %+v, %v, %v; want a's, token 3", l, ok, err)
	}
	runs, err := db.JobRuns(ctx, name, tick)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range runs {
		if !r.Tick.Equal(tick) {
			t.Errorf("run %+v has tick %v, want %v", r, r.Tick, tick)
		}
		got[r.Job] = fmt.Sprintf("%s/%d", r.Holder, r.Token)
	}
	want := map[string]string{"deliver": "a/1", "alerts": "a/1", "evaluate": "b/2"}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(runs) != 3 {
		t.Errorf("runs = %v (%d rows), want %v", got, len(runs), want)
	}
	if n, err := db.PruneJobRuns(ctx, name, tick.Add(time.Second)); err != nil || n != 3 {
		t.Errorf("prune = %d, %v; want 3", n, err)
	}
	if _, ok, err := db.Lease(ctx, "never-taken"); ok || err != nil {
		t.Errorf("a lease never taken: ok %v, err %v", ok, err)
	}
}

// TestLeaseRaces: replicas with their own connections race for a free
// lease, and for the same job and tick; exactly one wins each race.
func TestLeaseRaces(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	const replicas = 6
	dbs := make([]*store.DB, replicas)
	for i := range dbs {
		dbs[i] = mustOpenDSN(t, dsn)
	}
	const name = "schedule:race"
	var wg sync.WaitGroup
	held := make([]bool, replicas)
	errs := make([]error, replicas)
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, held[i], errs[i] = db.AcquireLease(ctx, name, fmt.Sprintf("replica-%d", i), time.Minute)
		}()
	}
	wg.Wait()
	winner, winners := -1, 0
	for i := range held {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		if held[i] {
			winner, winners = i, winners+1
		}
	}
	if winners != 1 {
		t.Fatalf("%d replicas hold the lease, want exactly 1: %v", winners, held)
	}
	tick := time.Date(2022, 10, 15, 9, 0, 0, 0, shanghai)
	holder := fmt.Sprintf("replica-%d", winner)
	recorded := make([]bool, replicas)
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recorded[i], errs[i] = db.RecordRun(ctx, name, holder, 1, "alerts", tick)
		}()
	}
	wg.Wait()
	n := 0
	for i := range recorded {
		if errs[i] != nil {
			t.Fatalf("record %d: %v", i, errs[i])
		}
		if recorded[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the same job and tick recorded %d times, want once", n)
	}
}
