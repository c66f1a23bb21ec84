package schedule_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/alert"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/schedule"
	"github.com/duban-gov/duban/pkg/store"
)

func mustPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.Load("testdata/plan")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func mustStore(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "duban.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func day(m time.Month, d int) plan.Date { return plan.Date{Year: 2022, Month: m, Day: d} }

// hook is a webhook receiver on loopback that refuses the first `refuse`
// requests and counts, by idempotency key, what it accepted.
type hook struct {
	mu       sync.Mutex
	refuse   int
	requests int
	accepted map[string]int
	bodies   map[string]alert.Payload
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	if h.requests <= h.refuse {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	var p alert.Payload
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &p); err != nil || p.IdempotencyKey != r.Header.Get("Idempotency-Key") {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	h.accepted[p.IdempotencyKey]++
	h.bodies[p.IdempotencyKey] = p
}

// smtpServer is just enough SMTP for net/smtp: it keeps each message's X-Idempotency-Key.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	keys map[string]int
}

func newSMTP(tb testing.TB) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &smtpServer{ln: ln, keys: map[string]int{}}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { fmt.Fprintf(c, "%s\r\n", line) }
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 test")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 OK")
		case cmd == "DATA":
			say("354 go on")
			key := ""
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				if k, ok := strings.CutPrefix(l, "X-Idempotency-Key: "); ok {
					key = strings.TrimSpace(k)
				}
			}
			s.mu.Lock()
			s.keys[key]++
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

// report is a unit's filing: an increment of kiosk services, or a milestone state.
type report struct {
	at    time.Time
	unit  string
	per   plan.Period
	value float64 // kiosk increment; 0 with milestone set
	ms    plan.MilestoneState
}

// TestSimulatedYear walks the test plan through the second half of 2022 one
// day at a time, with an injected clock: reports on time, late and never; a
// figure that lags, turns critical and catches up; a deliverable that misses
// its due date across the National Day holiday and its make-up working days.
// It checks when each alert fires, escalates and resolves, and that every
// notification reaches a webhook that refuses its first attempts, and an
// SMTP server, exactly once.
func TestSimulatedYear(t *testing.T) {
	ctx := context.Background()
	p := mustPlan(t)
	loc := p.Location
	db := mustStore(t)
	h := &hook{refuse: 3, accepted: map[string]int{}, bodies: map[string]alert.Payload{}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	mail := newSMTP(t)

	recv, err := alert.ParseReceivers([]byte(fmt.Sprintf(`
apiVersion: duban/v1
kind: Receivers
receivers:
  - {name: units-hook, type: webhook, url: %q}
  - {name: office-mail, type: email, smtp: %q, from: duban@example.gov.cn, to: [ducha@example.gov.cn]}
routes:
  - match: {}
    receivers: [units-hook]
  - match: {level: [通报]}
    receivers: [office-mail]
fallback: office-mail
`, srv.URL, mail.ln.Addr().String())), p)
	if err != nil {
		t.Fatal(err)
	}
	var now time.Time
	clock := func() time.Time { return now }
	svc := schedule.New(p, db, schedule.Config{})
	svc.Now = clock
	svc.Router = alert.NewRouter(recv)
	svc.Sender = alert.NewSender(p, db, recv, alert.Notifiers(recv, nil), clock)

	at := func(d plan.Date, hour int) time.Time { return time.Date(d.Year, d.Month, d.Day, hour, 0, 0, 0, loc) }
	per := func(m time.Month) plan.Period { return plan.Period{Year: 2022, Month: m} }
	var reports []report
	// 北区 files on the due day of each report, on track; its first report (June) covers January to June.
	north := map[time.Month]plan.Date{6: day(7, 7), 7: day(8, 5), 8: day(9, 7), 9: day(10, 12), 10: day(11, 7), 11: day(12, 7)}
	for m, d := range north {
		v := 60.0
		if m == 6 {
			v = 360
		}
		reports = append(reports, report{at: at(d, 10), unit: "north", per: per(m), value: v})
	}
	// 南区 lags, turns critical in August, files September late (20 Oct) and catches up.
	for _, r := range []struct {
		m time.Month
		d plan.Date
		v float64
	}{{6, day(7, 7), 270}, {7, day(8, 5), 20}, {8, day(9, 7), 10}, {9, day(10, 20), 200}, {10, day(11, 7), 50}, {11, day(12, 7), 50}} {
		reports = append(reports, report{at: at(r.d, 10), unit: "south", per: per(r.m), value: r.v})
	}
	// 西区 never files. 市政数局 reports the deliverable in progress every month, and never done.
	for m, d := range map[time.Month]plan.Date{6: day(7, 7), 7: day(8, 5), 8: day(9, 7), 9: day(10, 12)} {
		reports = append(reports, report{at: at(d, 9), unit: "bureau", per: per(m), ms: plan.StateInProgress})
	}

	type seen struct {
		level plan.AlertLevel
		state plan.AlertState
	}
	history := map[plan.Date]map[string]seen{}
	sha := 0
	for d := day(7, 1); !d.After(day(12, 31)); d = d.AddDays(1) {
		for _, r := range reports {
			if plan.DateOf(r.at) != d {
				continue
			}
			sha++
			o := plan.Observation{Unit: r.unit, Period: r.per}
			if r.ms != "" {
				o.Milestone, o.State, o.Date = "2-implementation-plan", r.ms, d
			} else {
				v := r.value
				o.Indicator, o.Value = "kiosk-services", &v
			}
			sub := &plan.Submission{PlanID: p.ID, SHA256: fmt.Sprintf("sha-%d", sha), Unit: r.unit, Source: "upload",
				ReceivedAt: r.at, Period: r.per, Outcome: plan.Accepted}
			if err := db.SaveSubmission(ctx, sub, []plan.Observation{o}); err != nil {
				t.Fatal(err)
			}
		}
		if d == day(11, 1) {
			if err := db.AcknowledgeAlert(ctx, p.ID, "report_overdue|kiosk-services|west|2022-01", "督查室", "已约谈西区", at(d, 9)); err != nil {
				t.Fatal(err)
			}
		}
		now = at(d, 18)
		res, err := svc.Alerts(ctx, now)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if d == day(10, 17) {
			// The same tick again changes nothing and queues nothing.
			again, err := svc.Alerts(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if again.Changed != 0 || again.Queued != 0 {
				t.Errorf("re-run on %s changed %d alerts and queued %d notifications, want none", d, again.Changed, again.Queued)
			}
			if res.Queued == 0 {
				t.Errorf("on %s the escalations queued nothing", d)
			}
		}
		// Deliver, letting the clock run on a minute at a time so that backoffs expire.
		for i := 0; i < 30; i++ {
			if _, err := svc.Deliver(ctx); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := db.NextAttempt(ctx); !ok {
				break
			}
			now = now.Add(time.Minute)
		}
		all, err := db.Alerts(ctx, store.AlertFilter{PlanID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		history[d] = map[string]seen{}
		for _, a := range all {
			history[d][a.Key] = seen{a.Level, a.State}
		}
	}

	type want struct {
		on    plan.Date
		key   string
		level plan.AlertLevel // "" with state resolved or absent
		state plan.AlertState // "" = absent
	}
	const (
		southLate = "report_overdue|kiosk-services|south|2022-09"
		// One lead unit: the city alert (to the task's lead) is the only one.
		missed   = "missed|2-implementation-plan||"
		lagging  = "lagging|kiosk-services|south|"
		critical = "critical|kiosk-services|south|"
		westLate = "report_overdue|kiosk-services|west|2022-01"
	)
	for _, w := range []want{
		// 西区 has never filed: late from January, at 通报 from the first tick.
		{day(7, 1), westLate, plan.Briefing, plan.Firing},
		{day(12, 31), westLate, plan.Briefing, plan.Firing},
		// 南区's June figure (filed 7 Jul) lags; the count starts at its due day, 7 Jul.
		{day(7, 6), lagging, "", ""},
		{day(7, 7), lagging, plan.Reminder, plan.Firing},
		{day(7, 12), lagging, plan.FollowUp, plan.Firing},
		{day(7, 21), lagging, plan.Briefing, plan.Firing},
		// August's figure (7 Sep) is critical: it mutes the lagging alert and
		// counts from 7 Sep across the Mid-Autumn holiday (10–12 Sep): 8, 9, 13 Sep.
		{day(9, 7), lagging, plan.Briefing, plan.Resolved},
		{day(9, 7), critical, plan.Reminder, plan.Firing},
		{day(9, 9), critical, plan.Reminder, plan.Firing},
		{day(9, 12), critical, plan.Reminder, plan.Firing},
		{day(9, 13), critical, plan.FollowUp, plan.Firing},
		// September's report falls due on 12 Oct: five working days after 30 Sep
		// counting the make-up Saturday and Sunday 8 and 9 Oct.
		{day(10, 12), southLate, "", ""},
		{day(10, 13), southLate, plan.Reminder, plan.Firing},
		{day(10, 16), southLate, plan.Reminder, plan.Firing},
		{day(10, 17), southLate, plan.FollowUp, plan.Firing},
		// The critical alert stays while the report is late, and resolves
		// when the late report (20 Oct) shows the region caught up.
		{day(10, 19), critical, plan.Briefing, plan.Firing},
		{day(10, 20), southLate, plan.FollowUp, plan.Resolved},
		{day(10, 20), critical, plan.Briefing, plan.Resolved},
		{day(10, 19), "missed|2-implementation-plan|bureau|", "", ""},
		// The deliverable was due 30 Sep: missed from 1 Oct, counted across
		// National Day (1–7 Oct) and its make-up days 8 and 9 Oct.
		{day(9, 30), missed, "", ""},
		{day(10, 1), missed, plan.Reminder, plan.Firing},
		{day(10, 7), missed, plan.Reminder, plan.Firing},
		{day(10, 9), missed, plan.Reminder, plan.Firing},
		{day(10, 10), missed, plan.FollowUp, plan.Firing},
		{day(10, 18), missed, plan.FollowUp, plan.Firing},
		{day(10, 19), missed, plan.Briefing, plan.Firing},
	} {
		got, ok := history[w.on][w.key]
		switch {
		case w.state == "" && ok:
			t.Errorf("%s: %s exists (%s %s), want none yet", w.on, w.key, got.level, got.state)
		case w.state != "" && !ok:
			t.Errorf("%s: %s absent, want %s %s", w.on, w.key, w.level, w.state)
		case w.state != "" && (got.state != w.state || got.level != w.level):
			t.Errorf("%s: %s is %s %s, want %s %s", w.on, w.key, got.level, got.state, w.level, w.state)
		}
	}

	// Every notification reached its receiver exactly once, and none is left.
	outbox, err := db.Notifications(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	whys := map[string]map[plan.Why]int{}
	for _, n := range outbox {
		if n.State != plan.Sent {
			t.Errorf("notification %s to %s is %s (%s)", n.Key, n.Receiver, n.State, n.LastError)
		}
		var got int
		switch n.Receiver {
		case "units-hook":
			got = h.accepted[n.Key]
		case "office-mail":
			mail.mu.Lock()
			got = mail.keys[n.Key]
			mail.mu.Unlock()
		}
		if got != 1 {
			t.Errorf("notification %s (%s, %s) reached %s %d times, want once", n.Key, n.AlertKey, n.Why, n.Receiver, got)
		}
		if whys[n.AlertKey] == nil {
			whys[n.AlertKey] = map[plan.Why]int{}
		}
		if n.Receiver == "units-hook" {
			whys[n.AlertKey][n.Why]++
		}
	}
	if len(h.accepted) != len(outbox)-len(mail.keys) {
		t.Errorf("webhook accepted %d keys, mail %d, outbox has %d", len(h.accepted), len(mail.keys), len(outbox))
	}
	if h.requests != len(h.accepted)+3 {
		t.Errorf("webhook saw %d requests for %d notifications: want exactly the 3 refused on top", h.requests, len(h.accepted))
	}
	for key, w := range map[string]map[plan.Why]int{
		southLate: {plan.WhyNew: 1, plan.WhyEscalated: 1, plan.WhyResolved: 1},
		// New 7 Sep; 督办 13 Sep; repeated 20 Sep; 通报 22 Sep; repeated 29 Sep,
		// 11 Oct (30 Sep and the make-up 8, 9 Oct count) and 18 Oct; resolved 20 Oct.
		critical: {plan.WhyNew: 1, plan.WhyEscalated: 2, plan.WhyRepeated: 4, plan.WhyResolved: 1},
		// New 1 Oct; 督办 10 Oct; repeated 17 Oct; 通报 19 Oct; then every 5 working days to 28 Dec.
		missed: {plan.WhyNew: 1, plan.WhyEscalated: 2, plan.WhyRepeated: 11},
	} {
		for why, n := range w {
			if whys[key][why] != n {
				t.Errorf("%s: %d %s notifications, want %d (all: %v)", key, whys[key][why], why, n, whys[key])
			}
		}
	}
	// The muted lagging alert was never announced as resolved.
	if whys[lagging][plan.WhyResolved] != 0 {
		t.Errorf("the lagging alert muted by the critical one was notified as resolved")
	}
	// 西区's alert repeated every 5 working days until acknowledged on 1 Nov, then stopped.
	var before, after int
	for _, n := range outbox {
		if n.AlertKey == westLate && n.Why == plan.WhyRepeated && n.Receiver == "units-hook" {
			if n.CreatedAt.Before(at(day(11, 1), 0)) {
				before++
			} else {
				after++
			}
		}
	}
	if before < 15 || after != 0 {
		t.Errorf("西区 repeats: %d before the acknowledgement, %d after; want about 17 and 0", before, after)
	}
	// A notification's payload says why it was sent and what to do.
	for _, n := range outbox {
		if n.AlertKey == southLate && n.Why == plan.WhyNew {
			pl := h.bodies[n.Key]
			if pl.Why != plan.WhyNew || pl.Alert.UnitName != "南区" || !strings.Contains(pl.Alert.CatchUp, "2022年9月") {
				t.Errorf("payload of the new report_overdue alert = %+v", pl)
			}
		}
	}
}
