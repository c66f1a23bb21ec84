package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

func firing(key string, level plan.AlertLevel, t time.Time) plan.Alert {
	return plan.Alert{
		Key: key, PlanID: planID, Kind: plan.AlertLagging, Family: plan.FamilyPerformance,
		Subject: "14.4-kiosk-services", Task: "14.4", Unit: "dinghu", Name: "自助机服务群众人次",
		Notify: []string{"dinghu"}, Level: level, Since: plan.Date{Year: 2022, Month: 10, Day: 12}, Overdue: 2,
		State: plan.Firing, Reason: "进度滞后", CatchUp: "剩余3个月需月均新增4.1万人次", Occurred: 1,
		FirstFiredAt: t.UTC(), LastChangedAt: t.UTC(), NotifiedLevel: level, NotifiedOn: plan.Date{Year: 2022, Month: 10, Day: 15},
	}
}

func note(key, alertKey string, t time.Time) plan.Notification {
	return plan.Notification{Key: key, AlertKey: alertKey, Receiver: "hook", Why: plan.WhyNew,
		Payload: []byte(`{"k":"` + key + `"}`), NextAttemptAt: t, CreatedAt: t}
}

func TestSyncAlertsRoundTripAndOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	t0 := at(15, 9)
	a := firing("lagging|14.4-kiosk-services|dinghu|", plan.Reminder, t0)
	n, err := db.SyncAlerts(ctx, planID, func(cur []plan.Alert) ([]plan.Alert, []plan.Notification, error) {
		if len(cur) != 0 {
			t.Errorf("first sync sees %d alerts, want 0", len(cur))
		}
		return []plan.Alert{a}, []plan.Notification{note("k1", a.Key, t0), note("k1", a.Key, t0)}, nil
	})
	if err != nil || n != 1 {
		t.Fatalf("SyncAlerts = %d, %v; want 1 queued (the duplicate key skipped)", n, err)
	}
	got, err := db.Alert(ctx, planID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, a) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got, a)
	}

	// An update by key, and a failing fn that must leave nothing behind.
	a2 := a
	a2.Level = plan.FollowUp
	if _, err := db.SyncAlerts(ctx, planID, func(cur []plan.Alert) ([]plan.Alert, []plan.Notification, error) {
		if len(cur) != 1 || cur[0].Key != a.Key {
			t.Errorf("second sync sees %+v", cur)
		}
		return []plan.Alert{a2}, []plan.Notification{note("k2", a.Key, t0)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err = db.SyncAlerts(ctx, planID, func(cur []plan.Alert) ([]plan.Alert, []plan.Notification, error) {
		a3 := a2
		a3.State = plan.Resolved
		a3.ResolvedAt = t0
		return []plan.Alert{a3}, []plan.Notification{note("k3", a.Key, t0), {Key: ""}}, nil
	})
	if err == nil {
		t.Fatal("a notification without key was accepted")
	}
	_, err = db.SyncAlerts(ctx, planID, func([]plan.Alert) ([]plan.Alert, []plan.Notification, error) { return nil, nil, boom })
	if !errors.Is(err, boom) {
		t.Errorf("SyncAlerts error = %v, want boom", err)
	}
	all, err := db.Alerts(ctx, store.AlertFilter{PlanID: planID})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Level != plan.FollowUp || all[0].State != plan.Firing {
		t.Errorf("after a failed sync alerts = %+v, want the one follow_up firing alert", all)
	}
	ns, err := db.Notifications(ctx, store.OutboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, n := range ns {
		keys = append(keys, n.Key)
	}
	if !reflect.DeepEqual(keys, []string{"k1", "k2"}) {
		t.Errorf("outbox keys = %v, want [k1 k2] (k3 rolled back with its alert)", keys)
	}
}

func TestAcknowledgeAndSilence(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	a := firing("missed|x|dinghu|", plan.Briefing, at(15, 9))
	if _, err := db.SyncAlerts(ctx, planID, func([]plan.Alert) ([]plan.Alert, []plan.Notification, error) {
		return []plan.Alert{a}, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		code string
	}{
		{"ack", func() error {
			return db.AcknowledgeAlert(ctx, planID, a.Key, "督查室张三", "已电话督促", at(16, 10))
		}, ""},
		{"ack without who", func() error { return db.AcknowledgeAlert(ctx, planID, a.Key, "", "", at(16, 10)) }, plan.EINVALID},
		{"ack unknown", func() error { return db.AcknowledgeAlert(ctx, planID, "nope", "x", "", at(16, 10)) }, plan.ENOTFOUND},
		{"silence", func() error {
			return db.SilenceAlert(ctx, planID, a.Key, plan.Date{Year: 2022, Month: 10, Day: 31}, at(16, 11))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if tt.code == "" && err != nil || tt.code != "" && plan.ErrorCode(err) != tt.code {
				t.Errorf("err = %v, want code %q", err, tt.code)
			}
		})
	}
	got, err := db.Alert(ctx, planID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	if got.AcknowledgedBy != "督查室张三" || got.AckComment != "已电话督促" || !got.AcknowledgedAt.Equal(at(16, 10)) {
		t.Errorf("acknowledgement = %q %q %v", got.AcknowledgedBy, got.AckComment, got.AcknowledgedAt)
	}
	if !got.Silenced(plan.Date{Year: 2022, Month: 10, Day: 31}) || got.Silenced(plan.Date{Year: 2022, Month: 11, Day: 1}) {
		t.Errorf("silenced until %v, want through 2022-10-31", got.SilencedUntil)
	}
}
