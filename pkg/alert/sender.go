package alert

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// Outbox is what the sender needs of the store.
type Outbox interface {
	ClaimNotifications(ctx context.Context, sender string, now time.Time, lease time.Duration, limit int) ([]plan.Notification, error)
	MarkSent(ctx context.Context, n plan.Notification, at time.Time) error
	MarkFailed(ctx context.Context, n plan.Notification, reason string, next time.Time) error
	MarkDead(ctx context.Context, planID string, n plan.Notification, reason string, raised *plan.Alert, queue []plan.Notification) error
}

// Sender defaults. With them a receiver may be down for two hours at the
// least (four at the most, as the jitter falls) before a notification is
// given up on: the attempts wait 1 s, 2 s, 4 s … doubling to the one-hour
// cap, each jittered to between half and all of it.
const (
	DefaultMaxAttempts = 16
	DefaultMinBackoff  = time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultLease       = 5 * time.Minute
)

// Sender drains the outbox: it claims the notifications due, hands each to
// its receiver's notifier and records the outcome. A failed attempt is tried
// again after a jittered, doubling backoff; after MaxAttempts the
// notification is dead, and a delivery_failed alert goes to the fallback
// receiver. It reads time only through Now.
type Sender struct {
	Plan      *plan.Plan
	Outbox    Outbox
	Notifiers map[string]Notifier
	Fallback  string // receiver of delivery_failed alerts; "" for none
	Now       func() time.Time
	Name      string // who claims: one name per process

	MaxAttempts            int
	MinBackoff, MaxBackoff time.Duration
	Lease                  time.Duration // a claim older than this is taken as abandoned
	// Jitter returns a number in [0, 1); default math/rand. The wait is
	// between half and all of the doubled backoff.
	Jitter func() float64
	Log    *slog.Logger
}

// NewSender makes a sender from a receivers file's delivery settings.
func NewSender(p *plan.Plan, out Outbox, r *Receivers, notifiers map[string]Notifier, now func() time.Time) *Sender {
	s := &Sender{Plan: p, Outbox: out, Notifiers: notifiers, Now: now, Name: "duban"}
	if r != nil {
		s.Fallback = r.Fallback
		s.MaxAttempts, s.MinBackoff, s.MaxBackoff = r.Delivery.MaxAttempts, r.Delivery.MinBackoff, r.Delivery.MaxBackoff
	}
	return s
}

// DeliveryResult counts what one pass of the sender did.
type DeliveryResult struct {
	Sent   int
	Failed int // failed attempts that will be tried again
	Dead   int // notifications given up on
}

// Deliver makes one pass: every notification due at Now is tried once.
func (s *Sender) Deliver(ctx context.Context) (DeliveryResult, error) {
	var res DeliveryResult
	now := s.Now()
	claimed, err := s.Outbox.ClaimNotifications(ctx, s.Name, now, s.lease(), 0)
	if err != nil {
		return res, err
	}
	for _, n := range claimed {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		sendErr := s.send(ctx, n)
		at := s.Now()
		switch {
		case sendErr == nil:
			if err := s.Outbox.MarkSent(ctx, n, at); err != nil {
				return res, err
			}
			res.Sent++
		case n.Attempts+1 >= s.maxAttempts():
			if err := s.dead(ctx, n, sendErr.Error(), at); err != nil {
				return res, err
			}
			res.Dead++
		default:
			next := at.Add(s.Backoff(n.Attempts + 1))
			if err := s.Outbox.MarkFailed(ctx, n, sendErr.Error(), next); err != nil {
				return res, err
			}
			s.logger().Warn("notification not delivered", "receiver", n.Receiver, "key", n.Key,
				"attempt", n.Attempts+1, "next", next, "err", sendErr)
			res.Failed++
		}
	}
	return res, nil
}

func (s *Sender) send(ctx context.Context, n plan.Notification) (err error) {
	nt, ok := s.Notifiers[n.Receiver]
	if !ok {
		return fmt.Errorf("receiver %q is not configured", n.Receiver)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("notifier panicked: %v", r)
		}
	}()
	return nt.Notify(ctx, n)
}

// dead gives up on n and raises a delivery_failed alert, addressed to the
// fallback receiver, in the same transaction. A delivery_failed notification
// that itself fails raises nothing more, so that failures cannot loop.
func (s *Sender) dead(ctx context.Context, n plan.Notification, reason string, at time.Time) error {
	s.logger().Error("notification given up", "receiver", n.Receiver, "key", n.Key, "attempts", n.Attempts+1, "err", reason)
	if n.Why == "" || isDeliveryAlert(n.AlertKey) {
		return s.Outbox.MarkDead(ctx, s.Plan.ID, n, reason, nil, nil)
	}
	a := plan.Alert{
		PlanID: s.Plan.ID, Kind: plan.DeliveryFailed, Family: plan.FamilyDelivery,
		Subject: n.Key, Unit: "", Level: plan.Briefing, State: plan.Firing, Occurred: 1,
		Name:         "通知发送失败",
		Reason:       fmt.Sprintf("发往接收方%s的通知(预警 %s,%s)经%d次尝试仍未送达:%s", n.Receiver, n.AlertKey, n.Why.Label(), n.Attempts+1, truncate(reason, 300)),
		FirstFiredAt: at, LastChangedAt: at,
	}
	a.Key = plan.AlertKey(a.Kind, a.Subject, n.Receiver, plan.Period{})
	var queue []plan.Notification
	if s.Fallback != "" && s.Fallback != n.Receiver {
		a.NotifiedLevel, a.NotifiedOn = a.Level, plan.DateOf(at.In(location(s.Plan)))
		fn, err := NewNotification(s.Plan, Event{Alert: a, Why: plan.WhyNew}, s.Fallback, at)
		if err != nil {
			return err
		}
		queue = append(queue, fn)
	}
	return s.Outbox.MarkDead(ctx, s.Plan.ID, n, reason, &a, queue)
}

func isDeliveryAlert(key string) bool {
	return len(key) > len(plan.DeliveryFailed) && key[:len(plan.DeliveryFailed)+1] == string(plan.DeliveryFailed)+"|"
}

// Backoff is the wait after the given number of failed attempts: MinBackoff
// doubled for each failure after the first, capped at MaxBackoff, then
// jittered to between half and all of that.
func (s *Sender) Backoff(failures int) time.Duration {
	lo, hi := s.MinBackoff, s.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	d := lo
	for i := 1; i < failures && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	j := s.Jitter
	if j == nil {
		j = rand.Float64
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

func (s *Sender) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (s *Sender) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return DefaultLease
}

func (s *Sender) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}
