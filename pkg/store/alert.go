package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/duban-gov/duban/pkg/plan"
)

// alertRow is a row of the alerts table.
type alertRow struct {
	ID             int64 `gorm:"primaryKey"`
	PlanID         string
	AlertKey       string
	Kind           string
	Family         string
	Subject        string
	Task           string
	Unit           string
	Period         string
	Code           string
	Name           string
	Notify         string
	Level          string
	Since          string
	Overdue        int
	State          string
	Reason         string
	CatchUp        string
	Occurrence     int
	FirstFiredAt   time.Time
	LastChangedAt  time.Time
	ResolvedAt     *time.Time
	AcknowledgedBy string
	AcknowledgedAt *time.Time
	AckComment     string
	SilencedUntil  string
	NotifiedLevel  string
	NotifiedOn     string
}

func (alertRow) TableName() string { return "alerts" }

func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func fromPtr(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func toAlertRow(a plan.Alert) (alertRow, error) {
	notify, err := json.Marshal(a.Notify)
	if err != nil {
		return alertRow{}, fmt.Errorf("encode alert %s: %w", a.Key, err)
	}
	if a.Notify == nil {
		notify = []byte("[]")
	}
	return alertRow{
		PlanID:         a.PlanID,
		AlertKey:       a.Key,
		Kind:           string(a.Kind),
		Family:         string(a.Family),
		Subject:        a.Subject,
		Task:           a.Task,
		Unit:           a.Unit,
		Period:         a.Period.String(),
		Code:           a.Code,
		Name:           a.Name,
		Notify:         string(notify),
		Level:          string(a.Level),
		Since:          a.Since.String(),
		Overdue:        a.Overdue,
		State:          string(a.State),
		Reason:         a.Reason,
		CatchUp:        a.CatchUp,
		Occurrence:     a.Occurred,
		FirstFiredAt:   utc(a.FirstFiredAt),
		LastChangedAt:  utc(a.LastChangedAt),
		ResolvedAt:     utcPtr(a.ResolvedAt),
		AcknowledgedBy: a.AcknowledgedBy,
		AcknowledgedAt: utcPtr(a.AcknowledgedAt),
		AckComment:     a.AckComment,
		SilencedUntil:  a.SilencedUntil.String(),
		NotifiedLevel:  string(a.NotifiedLevel),
		NotifiedOn:     a.NotifiedOn.String(),
	}, nil
}

func (r alertRow) alert() (plan.Alert, error) {
	a := plan.Alert{
		Key:            r.AlertKey,
		PlanID:         r.PlanID,
		Kind:           plan.AlertKind(r.Kind),
		Family:         plan.AlertFamily(r.Family),
		Subject:        r.Subject,
		Task:           r.Task,
		Unit:           r.Unit,
		Code:           r.Code,
		Name:           r.Name,
		Level:          plan.AlertLevel(r.Level),
		Overdue:        r.Overdue,
		State:          plan.AlertState(r.State),
		Reason:         r.Reason,
		CatchUp:        r.CatchUp,
		Occurred:       r.Occurrence,
		FirstFiredAt:   r.FirstFiredAt.UTC(),
		LastChangedAt:  r.LastChangedAt.UTC(),
		ResolvedAt:     fromPtr(r.ResolvedAt),
		AcknowledgedBy: r.AcknowledgedBy,
		AcknowledgedAt: fromPtr(r.AcknowledgedAt),
		AckComment:     r.AckComment,
		NotifiedLevel:  plan.AlertLevel(r.NotifiedLevel),
	}
	if err := json.Unmarshal([]byte(r.Notify), &a.Notify); err != nil {
		return a, fmt.Errorf("alert %s: decode notify: %w", r.AlertKey, err)
	}
	var err error
	if r.Period != "" {
		if a.Period, err = plan.ParsePeriod(r.Period); err != nil {
			return a, fmt.Errorf("alert %s: %w", r.AlertKey, err)
		}
	}
	for _, d := range []struct {
		text string
		to   *plan.Date
	}{{r.Since, &a.Since}, {r.SilencedUntil, &a.SilencedUntil}, {r.NotifiedOn, &a.NotifiedOn}} {
		if *d.to, err = parseDateText(&d.text); err != nil {
			return a, fmt.Errorf("alert %s: %w", r.AlertKey, err)
		}
	}
	return a, nil
}

func alerts(rows []alertRow) ([]plan.Alert, error) {
	out := make([]plan.Alert, len(rows))
	for i, r := range rows {
		a, err := r.alert()
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// SyncAlerts reads the plan's alerts, hands them to fn and writes back what
// fn returns — the alerts to write (new or changed, matched to stored ones by
// key) and the notifications to queue — all in one transaction: an alert change and the notifications
// it causes are stored together or not at all. A notification whose
// idempotency key is already in the outbox is not queued again. It returns
// how many notifications were queued.
// fn runs inside the transaction: it must not do I/O of its own.
func (db *DB) SyncAlerts(ctx context.Context, planID string, fn func(current []plan.Alert) ([]plan.Alert, []plan.Notification, error)) (int, error) {
	queued := 0
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []alertRow
		if err := tx.Where("plan_id = ?", planID).Order("id").Find(&rows).Error; err != nil {
			return fmt.Errorf("read alerts: %w", err)
		}
		ids := make(map[string]int64, len(rows))
		for _, r := range rows {
			ids[r.AlertKey] = r.ID
		}
		cur, err := alerts(rows)
		if err != nil {
			return err
		}
		changed, queue, err := fn(cur)
		if err != nil {
			return err
		}
		for _, a := range changed {
			if a.PlanID == "" {
				a.PlanID = planID
			}
			if err := putAlert(tx, a, ids); err != nil {
				return err
			}
		}
		n, err := enqueue(tx, planID, queue)
		queued = n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sync alerts of %s: %w", planID, err)
	}
	return queued, nil
}

func putAlert(tx *gorm.DB, a plan.Alert, ids map[string]int64) error {
	row, err := toAlertRow(a)
	if err != nil {
		return err
	}
	if id, ok := ids[a.Key]; ok {
		row.ID = id
		if err := tx.Select("*").Omit("id").Where("id = ?", id).Updates(&row).Error; err != nil {
			return fmt.Errorf("update alert %s: %w", a.Key, err)
		}
		return nil
	}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("insert alert %s: %w", a.Key, err)
	}
	ids[a.Key] = row.ID
	return nil
}

// AlertFilter selects alerts; zero fields select everything.
type AlertFilter struct {
	PlanID string
	State  plan.AlertState
	Kind   plan.AlertKind
	Family plan.AlertFamily
	Unit   string
}

// Alerts lists the alerts the filter selects, in the order they were first stored.
func (db *DB) Alerts(ctx context.Context, f AlertFilter) ([]plan.Alert, error) {
	q := db.r.WithContext(ctx).Model(&alertRow{})
	if f.PlanID != "" {
		q = q.Where("plan_id = ?", f.PlanID)
	}
	if f.State != "" {
		q = q.Where("state = ?", string(f.State))
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", string(f.Kind))
	}
	if f.Family != "" {
		q = q.Where("family = ?", string(f.Family))
	}
	if f.Unit != "" {
		q = q.Where("unit = ?", f.Unit)
	}
	var rows []alertRow
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return alerts(rows)
}

// Alert returns one alert by plan and key, or an error whose plan.ErrorCode is plan.ENOTFOUND.
func (db *DB) Alert(ctx context.Context, planID, key string) (*plan.Alert, error) {
	var row alertRow
	err := db.r.WithContext(ctx).Where("plan_id = ? AND alert_key = ?", planID, key).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, plan.Errorf(plan.ENOTFOUND, "预警 %s 不存在", key)
	}
	if err != nil {
		return nil, fmt.Errorf("find alert %s: %w", key, err)
	}
	a, err := row.alert()
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// AcknowledgeAlert records that a person has seen an alert and is on it: it
// keeps firing and escalating, but its current level is not repeated.
func (db *DB) AcknowledgeAlert(ctx context.Context, planID, key, by, comment string, at time.Time) error {
	if by == "" {
		return plan.Errorf(plan.EINVALID, "确认预警须写明确认人")
	}
	return db.updateAlert(ctx, planID, key, map[string]any{
		"acknowledged_by": by, "acknowledged_at": utc(at), "ack_comment": comment, "last_changed_at": utc(at),
	})
}

// SilenceAlert stops an alert's notifications through the end of day until
// (a zero date lifts the silence). Its state still changes.
func (db *DB) SilenceAlert(ctx context.Context, planID, key string, until plan.Date, at time.Time) error {
	return db.updateAlert(ctx, planID, key, map[string]any{
		"silenced_until": until.String(), "last_changed_at": utc(at),
	})
}

func (db *DB) updateAlert(ctx context.Context, planID, key string, set map[string]any) error {
	res := db.w.WithContext(ctx).Model(&alertRow{}).
		Where("plan_id = ? AND alert_key = ?", planID, key).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("update alert %s: %w", key, res.Error)
	}
	if res.RowsAffected == 0 {
		return plan.Errorf(plan.ENOTFOUND, "预警 %s 不存在", key)
	}
	return nil
}

// onConflictNothing inserts rows whose unique keys are new and skips the others.
var onConflictNothing = clause.OnConflict{DoNothing: true}
