package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/alert"
	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

func mustPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.Load("../schedule/testdata/plan")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func day(m time.Month, d int) plan.Date { return plan.Date{Year: 2022, Month: m, Day: d} }

func ptr(v float64) *float64 { return &v }

func TestWorkdaysAcrossNationalDay(t *testing.T) {
	p := mustPlan(t)
	tests := []struct {
		since, to plan.Date
		want      int
		level     plan.AlertLevel
	}{
		{day(9, 30), day(9, 30), 0, plan.Reminder},
		{day(9, 30), day(10, 7), 0, plan.Reminder},   // the holiday counts for nothing
		{day(9, 30), day(10, 8), 1, plan.Reminder},   // make-up Saturday
		{day(9, 30), day(10, 9), 2, plan.Reminder},   // make-up Sunday
		{day(9, 30), day(10, 10), 3, plan.FollowUp},  // 督办 from the 3rd working day
		{day(9, 30), day(10, 18), 9, plan.FollowUp},  // 8,9,10,11,12,13,14,17,18
		{day(9, 30), day(10, 19), 10, plan.Briefing}, // 通报 from the 10th
		{day(10, 12), day(10, 16), 2, plan.Reminder}, // a weekend counts for nothing
	}
	for _, tt := range tests {
		got := alert.Workdays(p, tt.since, tt.to)
		if got != tt.want {
			t.Errorf("Workdays(%s, %s) = %d, want %d", tt.since, tt.to, got, tt.want)
		}
		if l := p.Escalation.LevelAt(got); l != tt.level {
			t.Errorf("level after %d working days = %s, want %s", got, l, tt.level)
		}
	}
}

func TestDerive(t *testing.T) {
	p := mustPlan(t)
	asOf := day(10, 17).End(p.Location)
	v := func(x float64) *float64 { return &x }
	obs := []plan.Observation{
		// north filed June to September; south June and July only; west nothing.
		{Indicator: "kiosk-services", Unit: "north", Period: plan.Period{Year: 2022, Month: 6}, Value: v(1)},
		{Indicator: "kiosk-services", Unit: "north", Period: plan.Period{Year: 2022, Month: 7}, Value: v(1)},
		{Indicator: "kiosk-services", Unit: "north", Period: plan.Period{Year: 2022, Month: 8}, Value: v(1)},
		{Indicator: "kiosk-services", Unit: "north", Period: plan.Period{Year: 2022, Month: 9}, Value: v(1)},
		{Indicator: "kiosk-services", Unit: "south", Period: plan.Period{Year: 2022, Month: 6}, Value: v(1)},
		{Indicator: "kiosk-services", Unit: "south", Period: plan.Period{Year: 2022, Month: 7}, Value: v(1)},
		// the deliverable is done: nothing more to report.
		{Milestone: "2-implementation-plan", Unit: "bureau", Period: plan.Period{Year: 2022, Month: 7}, State: plan.StateDone, Date: day(7, 20)},
	}
	evs := []evaluate.Evaluation{
		{Indicator: "kiosk-services", Task: "1", Name: "自助机服务人次", Status: plan.Critical, Period: plan.Period{Year: 2022, Month: 9},
			Progress: ptr(0.7), NeededPerPeriod: ptr(41000), RemainingPeriods: 3, Reason: "城市严重滞后"},
		{Indicator: "kiosk-services", Task: "1", UnitID: "north", Status: plan.OnTrack, Period: plan.Period{Year: 2022, Month: 9}},
		// south's September report is late: its last figure (July) still lags.
		{Indicator: "kiosk-services", Task: "1", UnitID: "south", Status: plan.NoData, Period: plan.Period{Year: 2022, Month: 7},
			Progress: ptr(0.9), Reason: "南区未报送2022年9月数据", Anomalies: []evaluate.Anomaly{{Unit: "south", Period: plan.Period{Year: 2022, Month: 7}, Code: evaluate.CumulativeDecrease, Reason: "累计数减少"}}},
		{Indicator: "kiosk-services", Task: "1", UnitID: "west", Status: plan.NoData},
		{Milestone: "2-implementation-plan", Task: "2", Status: plan.Achieved},
		{Milestone: "2-implementation-plan", Task: "2", UnitID: "bureau", Status: plan.Achieved},
	}
	evs[0].Anomalies = evs[2].Anomalies // the city repeats its units' anomalies
	got := map[string]plan.Alert{}
	for _, a := range alert.Derive(p, evs, obs, asOf) {
		if _, dup := got[a.Key]; dup {
			t.Errorf("key %s derived twice", a.Key)
		}
		got[a.Key] = a
	}
	want := map[string]struct {
		level   plan.AlertLevel
		since   plan.Date
		notify  string
		catchUp string
	}{
		// The city figure goes to the task's lead; its count starts at September's due day (12 Oct).
		"critical|kiosk-services||": {plan.FollowUp, day(10, 12), "bureau", "剩余3个月需月均新增4.1万人次"},
		// south's lag counts from July's report due day, 5 Aug.
		"lagging|kiosk-services|south|":               {plan.Briefing, day(8, 5), "south", ""},
		"anomaly|kiosk-services|south|2022-07":        {plan.Briefing, day(8, 5), "south", "请核实2022年7月数据并重新报送"},
		"report_overdue|kiosk-services|south|2022-08": {plan.Briefing, day(9, 7), "south", "请尽快报送2022年8月至2022年9月(共2期)数据"},
		// west never filed: late since January's report.
		"report_overdue|kiosk-services|west|2022-01": {plan.Briefing, day(2, 11), "west", "请尽快报送2022年1月至2022年9月(共9期)数据"},
	}
	for key, w := range want {
		a, ok := got[key]
		if !ok {
			t.Errorf("missing alert %s", key)
			continue
		}
		if a.Level != w.level || a.Since != w.since || len(a.Notify) != 1 || a.Notify[0] != w.notify || a.CatchUp != w.catchUp {
			t.Errorf("%s = level %s since %s notify %v catch-up %q; want %s %s [%s] %q",
				key, a.Level, a.Since, a.Notify, a.CatchUp, w.level, w.since, w.notify, w.catchUp)
		}
		if a.State != plan.Firing || a.Reason == "" {
			t.Errorf("%s: state %s, reason %q", key, a.State, a.Reason)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected alert %s", key)
		}
	}
}

func firing(key string, kind plan.AlertKind, level plan.AlertLevel, since plan.Date) plan.Alert {
	return plan.Alert{Key: key, PlanID: "test-2022", Kind: kind, Family: kind.Family(), Subject: "kiosk-services",
		Unit: "south", Level: level, Since: since, State: plan.Firing, Reason: "r"}
}

func TestReconcile(t *testing.T) {
	p := mustPlan(t)
	at := func(d plan.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 18, 0, 0, 0, p.Location) }
	const key = "lagging|kiosk-services|south|"
	base := firing(key, plan.AlertLagging, plan.Reminder, day(10, 12))
	notified := func(a plan.Alert, l plan.AlertLevel, on plan.Date) plan.Alert {
		a.Occurred, a.NotifiedLevel, a.NotifiedOn = 1, l, on
		return a
	}
	tests := []struct {
		name    string
		stored  []plan.Alert
		derived []plan.Alert
		on      plan.Date
		want    []plan.Why
	}{
		{"new", nil, []plan.Alert{base}, day(10, 13), []plan.Why{plan.WhyNew}},
		{"unchanged", []plan.Alert{func() plan.Alert {
			a := notified(base, plan.Reminder, day(10, 13))
			a.Overdue = 2 // 13 and 14 Oct
			return a
		}()}, []plan.Alert{base}, day(10, 14), nil},
		{"escalated", []plan.Alert{notified(base, plan.Reminder, day(10, 13))}, []plan.Alert{base}, day(10, 17), []plan.Why{plan.WhyEscalated}},
		{"repeated after 5 working days", []plan.Alert{notified(base, plan.FollowUp, day(10, 17))}, []plan.Alert{base}, day(10, 24), []plan.Why{plan.WhyRepeated}},
		{"not yet repeated", []plan.Alert{notified(base, plan.FollowUp, day(10, 17))}, []plan.Alert{base}, day(10, 21), nil},
		{"acknowledged: no repeat", []plan.Alert{func() plan.Alert {
			a := notified(base, plan.FollowUp, day(10, 17))
			a.AcknowledgedBy = "督查室"
			return a
		}()}, []plan.Alert{base}, day(10, 24), nil},
		{"acknowledged: escalation still notifies", []plan.Alert{func() plan.Alert {
			a := notified(base, plan.FollowUp, day(10, 17))
			a.AcknowledgedBy = "督查室"
			return a
		}()}, []plan.Alert{base}, day(10, 26), []plan.Why{plan.WhyEscalated}},
		{"silenced: nothing", []plan.Alert{func() plan.Alert {
			a := notified(base, plan.Reminder, day(10, 13))
			a.SilencedUntil = day(10, 31)
			return a
		}()}, []plan.Alert{base}, day(10, 28), nil},
		{"silence over: one catch-up", []plan.Alert{func() plan.Alert {
			a := notified(base, plan.Reminder, day(10, 13))
			a.SilencedUntil = day(10, 31)
			return a
		}()}, []plan.Alert{base}, day(11, 1), []plan.Why{plan.WhyEscalated}},
		{"resolved", []plan.Alert{notified(base, plan.Reminder, day(10, 13))}, nil, day(10, 14), []plan.Why{plan.WhyResolved}},
		{"never notified: resolves quietly", []plan.Alert{func() plan.Alert {
			a := base
			a.SilencedUntil = day(10, 31)
			return a
		}()}, nil, day(10, 14), nil},
		{"muted by critical", []plan.Alert{notified(base, plan.Reminder, day(10, 13))},
			[]plan.Alert{firing("critical|kiosk-services|south|", plan.AlertCritical, plan.Reminder, day(10, 12))}, day(10, 14), []plan.Why{plan.WhyNew}},
		{"fires again: new occurrence", []plan.Alert{func() plan.Alert {
			a := notified(base, plan.Reminder, day(10, 13))
			a.State, a.ResolvedAt = plan.Resolved, at(day(10, 14))
			return a
		}()}, []plan.Alert{base}, day(10, 20), []plan.Why{plan.WhyNew}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed, events := alert.Reconcile(p, tt.stored, tt.derived, at(tt.on), at(tt.on), 5)
			var got []plan.Why
			for _, e := range events {
				got = append(got, e.Why)
			}
			if strings.Join(whys(got), ",") != strings.Join(whys(tt.want), ",") {
				t.Errorf("events = %v, want %v", got, tt.want)
			}
			if tt.name == "fires again: new occurrence" {
				if len(changed) != 1 || changed[0].Occurred != 2 {
					t.Errorf("changed = %+v, want occurrence 2", changed)
				}
				first := alert.IdempotencyKey(alert.Event{Alert: notified(base, plan.Reminder, day(10, 13)), Why: plan.WhyNew}, "r")
				if again := alert.IdempotencyKey(events[0], "r"); again == first {
					t.Errorf("a new occurrence reuses the first one's idempotency key")
				}
			}
			if tt.name == "unchanged" && len(changed) != 0 {
				t.Errorf("an unchanged alert was rewritten: %+v", changed)
			}
		})
	}
}

func whys(ws []plan.Why) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(w)
	}
	return out
}

func TestParseReceivers(t *testing.T) {
	p := mustPlan(t)
	good := `
apiVersion: duban/v1
kind: Receivers
receivers:
  - {name: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
  - {name: group, type: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
  - {name: mail, type: email, smtp: "127.0.0.1:25", from: a@b.c, to: [d@e.f]}
routes:
  - match: {unit: [南区], level: [督办, briefing], kind: [逾期未报]}
    receivers: [group]
fallback: mail
delivery: {max_attempts: 4, min_backoff: 2s}
`
	r, err := alert.ParseReceivers([]byte(good), p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Delivery.MinBackoff != 2*time.Second || r.Routes[0].Match.Unit[0] != "south" || r.Routes[0].Match.Level[0] != "follow_up" {
		t.Errorf("parsed %+v", r)
	}
	router := alert.NewRouter(r)
	a := firing("report_overdue|kiosk-services|south|2022-09", plan.ReportOverdue, plan.FollowUp, day(10, 12))
	if got := router.Route(a); len(got) != 1 || got[0] != "group" {
		t.Errorf("Route = %v, want [group]", got)
	}
	a.Level = plan.Reminder
	if got := router.Route(a); len(got) != 0 {
		t.Errorf("Route of a reminder = %v, want none", got)
	}
	// A group in a route stands for its members.
	grouped, err := alert.ParseReceivers([]byte(`
apiVersion: duban/v1
kind: Receivers
receivers: [{name: hook, type: webhook, url: "http://127.0.0.1:9/"}]
routes: [{match: {unit: [各区]}, receivers: [hook]}]
`), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := alert.NewRouter(grouped).Route(a); len(got) != 1 {
		t.Errorf("a route for the group 各区 does not match an alert of 南区: %v", got)
	}
	bad := `
apiVersion: duban/v1
kind: Receivers
receivers:
  - {name: hook, type: fax}
  - {name: hook, type: webhook, url: "ftp://x"}
routes:
  - match: {unit: [东区], level: [urgent]}
    receivers: [nobody]
fallback: ghost
`
	_, err = alert.ParseReceivers([]byte(bad), p)
	if err == nil {
		t.Fatal("a bad receivers file was accepted")
	}
	for _, want := range []string{"fax", "duplicate name", "http or https", "unknown unit \"东区\"", "unknown level", "unknown receiver \"nobody\"", "fallback"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestWeComAnswers(t *testing.T) {
	p := mustPlan(t)
	tests := []struct {
		answer string
		ok     bool
	}{
		{`{"errcode":0,"errmsg":"ok"}`, true},
		{`{"errcode":93000,"errmsg":"invalid webhook url"}`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		var body map[string]any
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			json.Unmarshal(b, &body)
			io.WriteString(w, tt.answer)
		}))
		a := firing("lagging|kiosk-services|south|", plan.AlertLagging, plan.FollowUp, day(10, 12))
		n, err := alert.NewNotification(p, alert.Event{Alert: a, Why: plan.WhyEscalated}, "group", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		err = (&alert.WeCom{URL: srv.URL}).Notify(context.Background(), n)
		srv.Close()
		if (err == nil) != tt.ok {
			t.Errorf("answer %s: err = %v, want ok=%v", tt.answer, err, tt.ok)
		}
		md, _ := body["markdown"].(map[string]any)
		if body["msgtype"] != "markdown" || !strings.Contains(md["content"].(string), "督办") || !strings.Contains(md["content"].(string), n.Key) {
			t.Errorf("wecom message = %v", body)
		}
	}
}

// TestDeadLetter: a receiver that never accepts gets MaxAttempts tries on a
// growing, jittered backoff; then the notification is dead and a
// delivery_failed alert goes to the fallback receiver, which gets it.
func TestDeadLetter(t *testing.T) {
	ctx := context.Background()
	p := mustPlan(t)
	db, err := store.Open(filepath.Join(t.TempDir(), "duban.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2022, 10, 13, 9, 0, 0, 0, p.Location)
	a := firing("lagging|kiosk-services|south|", plan.AlertLagging, plan.Reminder, day(10, 12))
	n, err := alert.NewNotification(p, alert.Event{Alert: a, Why: plan.WhyNew}, "down", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(ctx, p.ID, n); err != nil {
		t.Fatal(err)
	}
	var fallback []plan.Notification
	s := &alert.Sender{
		Plan: p, Outbox: db, Fallback: "ops", Now: func() time.Time { return now }, Name: "test",
		MaxAttempts: 4, MinBackoff: time.Second, MaxBackoff: time.Minute, Jitter: func() float64 { return 0.999 },
		Notifiers: map[string]alert.Notifier{
			"down": alert.NotifierFunc(func(context.Context, plan.Notification) error { return errors.New("connection refused") }),
			"ops": alert.NotifierFunc(func(_ context.Context, n plan.Notification) error {
				fallback = append(fallback, n)
				return nil
			}),
		},
	}
	var waits []time.Duration
	for i := 0; i < 10; i++ {
		res, err := s.Deliver(ctx)
		if err != nil {
			t.Fatal(err)
		}
		next, ok, err := db.NextAttempt(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if res.Failed > 0 {
			waits = append(waits, next.Sub(now))
		}
		now = next
	}
	if len(waits) != 3 || waits[0] > time.Second || waits[1] <= waits[0] || waits[2] <= waits[1] {
		t.Errorf("backoffs = %v, want three growing waits starting at most 1s", waits)
	}
	all, err := db.Notifications(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].State != plan.Dead || all[0].Attempts != 4 || all[1].State != plan.Sent || all[1].Receiver != "ops" {
		t.Fatalf("outbox = %+v", all)
	}
	if len(fallback) != 1 {
		t.Fatalf("fallback got %d notifications, want 1", len(fallback))
	}
	var pl alert.Payload
	if err := json.Unmarshal(fallback[0].Payload, &pl); err != nil {
		t.Fatal(err)
	}
	if pl.Alert.Kind != plan.DeliveryFailed || !strings.Contains(pl.Alert.Reason, "connection refused") {
		t.Errorf("fallback payload = %+v", pl)
	}
	if _, err := db.Alert(ctx, p.ID, pl.Alert.Key); err != nil {
		t.Errorf("delivery_failed alert not stored: %v", err)
	}
}
