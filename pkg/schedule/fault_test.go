package schedule_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/alert"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/schedule"
	"github.com/duban-gov/duban/pkg/store"
)

// countingHook is a webhook receiver on loopback that counts, by idempotency
// key, what it accepted, and refuses while down says so.
type countingHook struct {
	down     func() bool
	delay    time.Duration
	mu       sync.Mutex
	refused  int
	accepted map[string]int
}

func newCountingHook(t *testing.T, down func() bool) (*countingHook, *httptest.Server) {
	h := &countingHook{down: down, accepted: map[string]int{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func (h *countingHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	time.Sleep(h.delay)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down() {
		h.refused++
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	h.accepted[r.Header.Get("Idempotency-Key")]++
}

func hookReceivers(t *testing.T, p *plan.Plan, url string) *alert.Receivers {
	t.Helper()
	recv, err := alert.ParseReceivers(fmt.Appendf(nil, `
apiVersion: duban/v1
kind: Receivers
receivers:
  - {name: hook, type: webhook, url: %q}
routes:
  - match: {}
    receivers: [hook]
`, url), p)
	if err != nil {
		t.Fatal(err)
	}
	return recv
}

// TestWebhookDownForAnHour: alerts fire while the only receiver refuses
// every request for an hour of simulated time; the deliver job keeps its
// 15-second ticks with the sender's default retry settings. When the
// receiver is back every notification arrives exactly once, and none has
// been given up on.
func TestWebhookDownForAnHour(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := mustPlan(t)
	db := openDSN(t, sharedDSN(t))
	t0 := time.Date(2022, 10, 17, 9, 0, 0, 0, p.Location)
	clock := &simClock{now: t0}
	up := t0.Add(time.Hour)
	h, srv := newCountingHook(t, func() bool { return clock.Now().Before(up) })
	recv := hookReceivers(t, p, srv.URL)

	svc := schedule.New(p, db, schedule.Config{Schedules: schedule.DefaultSchedules})
	svc.Now, svc.Leader.Clock = clock.Now, clock.Now
	svc.Router = alert.NewRouter(recv)
	svc.Sender = alert.NewSender(p, db, recv, alert.Notifiers(recv, nil), clock.Now)
	tk := &fakeTicker{jobs: map[string]func(){}}
	if err := svc.Start(ctx, tk); err != nil { // the catch-up raises the alerts and tries them once
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); svc.Wait() })
	queued, err := db.Notifications(ctx, store.OutboxFilter{})
	if err != nil || len(queued) == 0 {
		t.Fatalf("the catch-up queued %d notifications (%v), want some", len(queued), err)
	}

	// The deliver job's ticks, every 15 s on the clock; ticks with nothing
	// due are skipped over, as they would find nothing to do.
	const every = 15 * time.Second
	ticks := 0
	for clock.Now().Before(t0.Add(6 * time.Hour)) {
		next, ok, err := db.NextAttempt(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		at := clock.Now().Add(every)
		if next.After(at) {
			at = next
		}
		if r := at.Sub(t0) % every; r != 0 {
			at = at.Add(every - r)
		}
		clock.Set(at)
		tk.jobs["deliver"]()
		ticks++
	}
	all, err := db.Notifications(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refused < len(queued)*8 {
		t.Errorf("the receiver refused %d requests for %d notifications: the hour of outage was not tried through", h.refused, len(queued))
	}
	for _, n := range all {
		if n.State != plan.Sent || h.accepted[n.Key] != 1 {
			t.Errorf("notification %s (%s): %s after %d attempts (%s), accepted %d times; want sent, once",
				n.Key, n.AlertKey, n.State, n.Attempts, n.LastError, h.accepted[n.Key])
		}
		if n.State == plan.Sent && n.SentAt.Before(up) {
			t.Errorf("notification %s sent at %v, while the receiver was down", n.Key, n.SentAt)
		}
	}
	if len(all) != len(queued) || len(h.accepted) != len(queued) {
		t.Errorf("outbox %d, accepted %d keys, queued %d: want all alike (no delivery_failed alerts)", len(all), len(h.accepted), len(queued))
	}
	failed, err := db.Alerts(ctx, store.AlertFilter{PlanID: p.ID, Kind: plan.DeliveryFailed})
	if err != nil || len(failed) != 0 {
		t.Errorf("delivery_failed alerts: %d (%v), want none", len(failed), err)
	}
	runs, err := db.JobRuns(ctx, svc.Leader.Name, t0.Add(time.Second))
	if err != nil || len(runs) != ticks {
		t.Errorf("recorded %d runs after the catch-up (%v), want one per tick: %d", len(runs), err, ticks)
	}
	t.Logf("%d notifications, %d refused attempts, %d ticks, last sent %v after the receiver came back",
		len(all), h.refused, ticks, lastSent(all).Sub(up))
}

func lastSent(ns []plan.Notification) time.Time {
	var last time.Time
	for _, n := range ns {
		if n.SentAt.After(last) {
			last = n.SentAt
		}
	}
	return last
}

// TestTwoSendersDeliverEachOnce: two replicas' senders, each with its own
// connections, drain one outbox together (PostgreSQL when
// DUBAN_TEST_POSTGRES is set) into one receiver that is slow and refuses
// every fifth request; every notification arrives exactly once.
func TestTwoSendersDeliverEachOnce(t *testing.T) {
	ctx := context.Background()
	p := mustPlan(t)
	dsn := sharedDSN(t)
	dbs := []*store.DB{openDSN(t, dsn), openDSN(t, dsn)}
	t0 := time.Date(2022, 10, 17, 9, 0, 0, 0, p.Location)
	clock := &simClock{now: t0}
	requests := 0
	h, srv := newCountingHook(t, func() bool { requests++; return requests%5 == 0 })
	h.delay = time.Millisecond
	recv := hookReceivers(t, p, srv.URL)

	const total = 300
	var ns []plan.Notification
	for i := range total {
		ns = append(ns, plan.Notification{Key: fmt.Sprintf("n-%03d", i), AlertKey: "lagging|x|y|", Receiver: "hook",
			Why: plan.WhyNew, Payload: []byte(`{}`), NextAttemptAt: t0, CreatedAt: t0})
	}
	if n, err := dbs[0].Enqueue(ctx, p.ID, ns...); err != nil || n != total {
		t.Fatalf("enqueue = %d, %v", n, err)
	}
	senders := make([]*alert.Sender, len(dbs))
	for i, db := range dbs {
		senders[i] = alert.NewSender(p, db, recv, alert.Notifiers(recv, nil), clock.Now)
		senders[i].Name = fmt.Sprintf("replica-%d", i)
	}
	sent := make([]int, len(senders))
	for round := 0; round < 50; round++ {
		var wg sync.WaitGroup
		errs := make([]error, len(senders))
		for i, s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := s.Deliver(ctx)
				sent[i] += res.Sent
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, ok, _ := dbs[0].NextAttempt(ctx); !ok {
			break
		}
		clock.Set(clock.Now().Add(time.Minute))
	}
	all, err := dbs[0].Notifications(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range all {
		if n.State != plan.Sent || h.accepted[n.Key] != 1 {
			t.Errorf("%s: %s, accepted %d times; want sent, once", n.Key, n.State, h.accepted[n.Key])
		}
	}
	if len(h.accepted) != total || sent[0]+sent[1] != total || h.refused == 0 {
		t.Errorf("accepted %d keys, senders report %v sent, %d refused; want %d keys, %d sent, some refused",
			len(h.accepted), sent, h.refused, total, total)
	}
	if sent[0] == 0 || sent[1] == 0 {
		t.Errorf("senders sent %v: one did all the work", sent)
	}
}
