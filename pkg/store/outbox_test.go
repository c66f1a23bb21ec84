package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

func TestClaimIsExclusiveAndHonoursDueTime(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	t0 := at(15, 9)
	var ns []plan.Notification
	for i := range 20 {
		ns = append(ns, note(string(rune('a'+i)), "k", t0.Add(time.Duration(i)*time.Minute)))
	}
	if n, err := db.Enqueue(ctx, planID, ns...); err != nil || n != 20 {
		t.Fatalf("Enqueue = %d, %v", n, err)
	}
	if n, err := db.Enqueue(ctx, planID, ns[0]); err != nil || n != 0 {
		t.Fatalf("Enqueue of a known key = %d, %v; want 0", n, err)
	}
	// At t0+9m ten are due; four senders race for them.
	now := t0.Add(9 * time.Minute)
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for s := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := db.ClaimNotifications(ctx, "sender"+string(rune('0'+s)), now, time.Minute, 3)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, n := range c {
				got[n.Key]++
			}
		}()
	}
	wg.Wait()
	if len(got) != 10 {
		t.Errorf("claimed %d distinct notifications, want 10 (3+3+3+1): %v", len(got), got)
	}
	for k, c := range got {
		if c != 1 {
			t.Errorf("notification %s claimed %d times", k, c)
		}
	}
	// Nothing more is due, and held claims are not taken again before the lease ends.
	if c, err := db.ClaimNotifications(ctx, "late", now, time.Minute, 0); err != nil || len(c) != 0 {
		t.Errorf("second claim = %d, %v; want none", len(c), err)
	}
	// After the lease, an abandoned claim (a sender that died mid-send) is claimed again.
	c, err := db.ClaimNotifications(ctx, "heir", now.Add(2*time.Minute), time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != 12 {
		t.Errorf("after the lease claimed %d, want the 10 abandoned and 2 newly due", len(c))
	}
}

func TestMarkSentFailedDead(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	t0 := at(15, 9)
	if _, err := db.Enqueue(ctx, planID, note("a", "k", t0), note("b", "k", t0), note("c", "k", t0)); err != nil {
		t.Fatal(err)
	}
	c, err := db.ClaimNotifications(ctx, "s", t0, time.Minute, 0)
	if err != nil || len(c) != 3 {
		t.Fatalf("claim = %d, %v", len(c), err)
	}
	if err := db.MarkSent(ctx, c[0], t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, c[0], t0.Add(time.Second)); plan.ErrorCode(err) != plan.ECONFLICT {
		t.Errorf("marking a settled notification again: %v, want conflict", err)
	}
	if err := db.MarkFailed(ctx, c[1], "503", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	raised := firing("delivery_failed|c|hook|", plan.Briefing, t0)
	raised.Kind, raised.Family = plan.DeliveryFailed, plan.FamilyDelivery
	if err := db.MarkDead(ctx, planID, c[2], "refused", &raised, []plan.Notification{note("fallback-c", raised.Key, t0)}); err != nil {
		t.Fatal(err)
	}
	all, err := db.Notifications(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]plan.NotificationState{"a": plan.Sent, "b": plan.Pending, "c": plan.Dead, "fallback-c": plan.Pending}
	for _, n := range all {
		if n.State != want[n.Key] {
			t.Errorf("%s: state %s, want %s", n.Key, n.State, want[n.Key])
		}
		if n.Key == "b" && (n.Attempts != 1 || n.LastError != "503" || !n.NextAttemptAt.Equal(t0.Add(time.Hour)) || n.ClaimedBy != "") {
			t.Errorf("failed notification = %+v", n)
		}
		if n.Key == "a" && (!n.SentAt.Equal(t0.Add(time.Second)) || n.Attempts != 1) {
			t.Errorf("sent notification = %+v", n)
		}
	}
	if len(all) != 4 {
		t.Errorf("outbox has %d rows, want 4", len(all))
	}
	if _, err := db.Alert(ctx, planID, raised.Key); err != nil {
		t.Errorf("delivery_failed alert not stored: %v", err)
	}
	next, ok, err := db.NextAttempt(ctx)
	if err != nil || !ok || !next.Equal(t0) {
		t.Errorf("NextAttempt = %v %v %v, want the fallback's %v", next, ok, err, t0)
	}
}

// TestClaimSkipsLockedRows: on PostgreSQL a claim passes over rows another
// replica's claim has locked, rather than waiting for them or returning
// nothing, and gets them once they are free.
func TestClaimSkipsLockedRows(t *testing.T) {
	dsn := testDSN(t)
	if !strings.HasPrefix(dsn, "postgres") {
		t.Skip("FOR UPDATE SKIP LOCKED is the PostgreSQL claim; the PostgreSQL pass of make test runs this")
	}
	ctx := context.Background()
	db := mustOpenDSN(t, dsn)
	t0 := at(15, 9)
	var ns []plan.Notification
	for i := range 10 {
		ns = append(ns, note(fmt.Sprintf("n%d", i), "k", t0))
	}
	if _, err := db.Enqueue(ctx, planID, ns...); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	locked := map[string]bool{}
	rows, err := tx.Query(ctx, "SELECT idempotency_key FROM outbox ORDER BY id LIMIT 4 FOR UPDATE")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		locked[k] = true
	}
	if rows.Err() != nil || len(locked) != 4 {
		t.Fatalf("locked %v (%v)", locked, rows.Err())
	}
	wait, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	got, err := db.ClaimNotifications(wait, "other", t0, time.Minute, 0)
	if err != nil {
		t.Fatalf("claim beside locked rows: %v", err)
	}
	if len(got) != 6 {
		t.Errorf("claimed %d, want the 6 unlocked", len(got))
	}
	for i, n := range got {
		if locked[n.Key] || n.ClaimedBy == "" || i > 0 && got[i-1].ID > n.ID {
			t.Errorf("claimed %+v: locked elsewhere, unclaimed or out of order", n)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	rest, err := db.ClaimNotifications(ctx, "other", t0, time.Minute, 0)
	if err != nil || len(rest) != 4 {
		t.Errorf("after the lock is gone claimed %d, %v; want the other 4", len(rest), err)
	}
}
