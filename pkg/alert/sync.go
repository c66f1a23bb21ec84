package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// DefaultRepeatWorkdays is how many working days a firing alert waits before
// it is notified again at the same level.
const DefaultRepeatWorkdays = 5

// Event is a notification an alert change calls for, before it is routed to receivers.
type Event struct {
	Alert plan.Alert
	Why   plan.Why
}

// Reconcile compares the alerts derived as of asOf with the stored ones and
// returns the alerts that changed and the notifications they call for. It is
// pure: now is the instant recorded as the change time, asOf the instant the
// alerts were derived for (the same in production; run-once and tests may
// set them apart).
//
//   - A derived alert not stored, or stored resolved, fires (a new
//     occurrence): notified as new.
//   - A stored firing alert keeps its first due date, so it can only climb
//     levels while it fires; moving up is notified as escalated.
//   - At the same level, a firing alert is notified again (repeated) once
//     repeatWorkdays working days have passed since the last notification,
//     unless a person has acknowledged it.
//   - A silenced alert changes state but is not notified until its silence
//     ends; then it catches up with one notification.
//   - A stored firing alert no longer derived resolves, notified once if it
//     was ever notified — except a lagging alert replaced by a critical one
//     for the same subject and unit, which is muted, not resolved aloud.
//
// Alerts of kinds Derive does not produce (delivery_failed) are left alone.
func Reconcile(p *plan.Plan, cur, derived []plan.Alert, asOf, now time.Time, repeatWorkdays int) ([]plan.Alert, []Event) {
	if repeatWorkdays <= 0 {
		repeatWorkdays = DefaultRepeatWorkdays
	}
	day := asOfDay(p, asOf)
	stored := make(map[string]plan.Alert, len(cur))
	for _, a := range cur {
		stored[a.Key] = a
	}
	seen := make(map[string]bool, len(derived))
	critical := map[[2]string]bool{}
	for _, a := range derived {
		if a.Kind == plan.AlertCritical {
			critical[[2]string{a.Subject, a.Unit}] = true
		}
	}
	var changed []plan.Alert
	var events []Event
	for _, d := range derived {
		seen[d.Key] = true
		old, ok := stored[d.Key]
		a := d
		fresh := !ok || old.State != plan.Firing
		if fresh {
			a.Occurred = 1
			if ok {
				a.Occurred = old.Occurred + 1
				a.SilencedUntil = old.SilencedUntil
			}
			a.FirstFiredAt, a.LastChangedAt = now, now
		} else {
			a = carry(old, d)
			if !old.Since.IsZero() && old.Since.Before(a.Since) {
				a.Since = old.Since
			}
			a.Overdue = Workdays(p, a.Since, day)
			a.Level = escalationOf(p, a.Subject).LevelAt(a.Overdue)
			if a.Level.Rank() < old.Level.Rank() {
				a.Level = old.Level
			}
		}
		why, notify := decide(p, a, day, repeatWorkdays)
		if notify {
			a.NotifiedLevel, a.NotifiedOn = a.Level, day
			events = append(events, Event{Alert: a, Why: why})
		}
		if fresh || notify || differs(old, a) {
			if !fresh && differs(old, a) {
				a.LastChangedAt = now
			}
			changed = append(changed, a)
		}
	}
	for _, old := range cur {
		if seen[old.Key] || old.State != plan.Firing || !derivable(old.Kind) {
			continue
		}
		a := old
		a.State, a.ResolvedAt, a.LastChangedAt = plan.Resolved, now, now
		changed = append(changed, a)
		muted := a.Kind == plan.AlertLagging && critical[[2]string{a.Subject, a.Unit}]
		if a.NotifiedLevel != "" && !muted {
			events = append(events, Event{Alert: a, Why: plan.WhyResolved})
		}
	}
	return changed, events
}

// carry takes what a person set on the stored alert into the newly derived one.
func carry(old, d plan.Alert) plan.Alert {
	a := d
	a.Occurred = old.Occurred
	a.FirstFiredAt, a.LastChangedAt = old.FirstFiredAt, old.LastChangedAt
	a.AcknowledgedBy, a.AcknowledgedAt, a.AckComment = old.AcknowledgedBy, old.AcknowledgedAt, old.AckComment
	a.SilencedUntil = old.SilencedUntil
	a.NotifiedLevel, a.NotifiedOn = old.NotifiedLevel, old.NotifiedOn
	return a
}

// differs reports whether anything a reader sees changed.
func differs(old, a plan.Alert) bool {
	return old.Level != a.Level || old.Reason != a.Reason || old.CatchUp != a.CatchUp ||
		old.Overdue != a.Overdue || old.Since != a.Since || old.State != a.State
}

func derivable(k plan.AlertKind) bool { return k != plan.DeliveryFailed }

// decide says whether a firing alert is to be notified on day, and why.
func decide(p *plan.Plan, a plan.Alert, day plan.Date, repeatWorkdays int) (plan.Why, bool) {
	switch {
	case a.Silenced(day):
		return "", false
	case a.NotifiedLevel == "":
		return plan.WhyNew, true
	case a.Level.Rank() > a.NotifiedLevel.Rank():
		return plan.WhyEscalated, true
	case !a.Acknowledged() && Workdays(p, a.NotifiedOn, day) >= repeatWorkdays:
		return plan.WhyRepeated, true
	}
	return "", false
}

// IdempotencyKey is the key a receiver sees for one notification: the same
// event for the same receiver always has the same key, so that a retry or a
// re-run is recognisable, and a new event (another occurrence, level or day)
// a new one.
func IdempotencyKey(e Event, receiver string) string {
	a := e.Alert
	parts := fmt.Sprintf("%s\x00%s\x00%d\x00%s\x00%s", a.PlanID, a.Key, a.Occurred, e.Why, receiver)
	switch e.Why {
	case plan.WhyEscalated, plan.WhyNew:
		parts += "\x00" + string(a.Level)
	case plan.WhyRepeated:
		parts += "\x00" + string(a.Level) + "\x00" + a.NotifiedOn.String()
	}
	sum := sha256.Sum256([]byte(parts))
	return hex.EncodeToString(sum[:16])
}

// Notifications routes events to receivers and builds the outbox rows, due at now.
func Notifications(p *plan.Plan, r *Router, events []Event, now time.Time) ([]plan.Notification, error) {
	var out []plan.Notification
	for _, e := range events {
		for _, name := range r.Route(e.Alert) {
			n, err := NewNotification(p, e, name, now)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// NewNotification builds the outbox row of one event for one receiver.
func NewNotification(p *plan.Plan, e Event, receiver string, now time.Time) (plan.Notification, error) {
	key := IdempotencyKey(e, receiver)
	body, err := json.Marshal(NewPayload(p, e, key))
	if err != nil {
		return plan.Notification{}, fmt.Errorf("encode notification %s: %w", key, err)
	}
	return plan.Notification{
		Key: key, AlertKey: e.Alert.Key, Receiver: receiver, Why: e.Why, Payload: body,
		NextAttemptAt: now, State: plan.Pending, CreatedAt: now,
	}, nil
}

// SyncStore is what Sync needs of the store: one transaction around Reconcile.
type SyncStore interface {
	SyncAlerts(ctx context.Context, planID string, fn func(current []plan.Alert) ([]plan.Alert, []plan.Notification, error)) (int, error)
}

// SyncResult counts what one Sync did.
type SyncResult struct {
	Firing   int // alerts firing as of the as-of instant
	Changed  int // alerts written
	Events   int // notifications called for, before routing
	Queued   int // outbox rows written
	Resolved int // alerts resolved in this sync
}

// Sync stores the derived alerts and queues the notifications they call for,
// in one transaction: running it again with the same alerts changes nothing.
func Sync(ctx context.Context, st SyncStore, p *plan.Plan, r *Router, derived []plan.Alert, asOf, now time.Time, repeatWorkdays int) (SyncResult, error) {
	res := SyncResult{Firing: len(derived)}
	n, err := st.SyncAlerts(ctx, p.ID, func(cur []plan.Alert) ([]plan.Alert, []plan.Notification, error) {
		changed, events := Reconcile(p, cur, derived, asOf, now, repeatWorkdays)
		res.Changed, res.Events, res.Resolved = len(changed), len(events), 0
		for _, a := range changed {
			if a.State == plan.Resolved && a.ResolvedAt.Equal(now) {
				res.Resolved++
			}
		}
		if r == nil {
			return changed, nil, nil
		}
		queue, err := Notifications(p, r, events, now)
		return changed, queue, err
	})
	res.Queued = n
	return res, err
}
