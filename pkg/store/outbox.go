package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/duban-gov/duban/pkg/plan"
)

// outboxRow is a row of the outbox table.
type outboxRow struct {
	ID             int64 `gorm:"primaryKey"`
	IdempotencyKey string
	PlanID         string
	AlertKey       string
	Receiver       string
	Why            string
	Payload        string
	Attempts       int
	NextAttemptAt  time.Time
	State          string
	LastError      string
	SentAt         *time.Time
	CreatedAt      time.Time `gorm:"autoCreateTime:false"`
	ClaimedBy      *string
	ClaimedAt      *time.Time
}

func (outboxRow) TableName() string { return "outbox" }

func (r outboxRow) notification() plan.Notification {
	n := plan.Notification{
		ID:            r.ID,
		Key:           r.IdempotencyKey,
		AlertKey:      r.AlertKey,
		Receiver:      r.Receiver,
		Why:           plan.Why(r.Why),
		Payload:       []byte(r.Payload),
		Attempts:      r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(),
		State:         plan.NotificationState(r.State),
		LastError:     r.LastError,
		SentAt:        fromPtr(r.SentAt),
		CreatedAt:     r.CreatedAt.UTC(),
		ClaimedAt:     fromPtr(r.ClaimedAt),
	}
	if r.ClaimedBy != nil {
		n.ClaimedBy = *r.ClaimedBy
	}
	return n
}

func enqueue(tx *gorm.DB, planID string, ns []plan.Notification) (int, error) {
	queued := 0
	for _, n := range ns {
		if n.Key == "" || n.Receiver == "" {
			return queued, plan.Errorf(plan.EINVALID, "通知缺少幂等键或接收方")
		}
		payload := string(n.Payload)
		if payload == "" {
			payload = "{}"
		}
		row := outboxRow{
			IdempotencyKey: n.Key,
			PlanID:         planID,
			AlertKey:       n.AlertKey,
			Receiver:       n.Receiver,
			Why:            string(n.Why),
			Payload:        payload,
			NextAttemptAt:  utc(n.NextAttemptAt),
			State:          string(plan.Pending),
			CreatedAt:      utc(n.CreatedAt),
		}
		res := tx.Clauses(onConflictNothing).Create(&row)
		if res.Error != nil {
			return queued, fmt.Errorf("queue notification %s: %w", n.Key, res.Error)
		}
		queued += int(res.RowsAffected)
	}
	return queued, nil
}

// Enqueue puts notifications in the outbox, skipping those whose idempotency
// key is already there, and returns how many it queued.
func (db *DB) Enqueue(ctx context.Context, planID string, ns ...plan.Notification) (int, error) {
	var n int
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = enqueue(tx, planID, ns)
		return err
	})
	return n, err
}

// ClaimNotifications claims up to limit pending notifications due at now for
// one sender, so that no two senders (or a sender and its own restart) hold
// the same row. A claim older than lease is taken to belong to a sender that
// died mid-send, and may be claimed again: receivers then see the same
// idempotency key twice, never a lost notification.
//
// On PostgreSQL, where several replicas' senders claim at once, the rows are
// picked with FOR UPDATE SKIP LOCKED: each sender locks the rows it picks and
// passes over those another is picking, so concurrent claims neither wait for
// each other nor come back empty while due rows remain. On SQLite the single
// writer makes one UPDATE exclusive by itself.
func (db *DB) ClaimNotifications(ctx context.Context, sender string, now time.Time, lease time.Duration, limit int) ([]plan.Notification, error) {
	if limit <= 0 {
		limit = 100
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	claim := sender + "/" + hex.EncodeToString(b)
	at, stale := utc(now), utc(now.Add(-lease))
	free := `state = 'pending' AND (claimed_by IS NULL OR claimed_at < ?)`
	var rows []outboxRow
	if db.dialect == Postgres {
		err := db.w.WithContext(ctx).Raw(`UPDATE outbox SET claimed_by = ?, claimed_at = ?
			WHERE `+free+` AND id IN (
				SELECT id FROM outbox WHERE `+free+` AND next_attempt_at <= ?
				ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
			RETURNING *`,
			claim, at, stale, stale, at, limit).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("claim notifications: %w", err)
		}
		sort.Slice(rows, func(i, j int) bool {
			if !rows[i].NextAttemptAt.Equal(rows[j].NextAttemptAt) {
				return rows[i].NextAttemptAt.Before(rows[j].NextAttemptAt)
			}
			return rows[i].ID < rows[j].ID
		})
	} else {
		err := db.w.WithContext(ctx).Exec(`UPDATE outbox SET claimed_by = ?, claimed_at = ?
			WHERE `+free+` AND id IN (
				SELECT id FROM outbox WHERE `+free+` AND next_attempt_at <= ?
				ORDER BY next_attempt_at, id LIMIT ?)`,
			claim, at, stale, stale, at, limit).Error
		if err != nil {
			return nil, fmt.Errorf("claim notifications: %w", err)
		}
		if err := db.w.WithContext(ctx).Where("claimed_by = ? AND state = 'pending'", claim).
			Order("next_attempt_at, id").Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("read claimed notifications: %w", err)
		}
	}
	out := make([]plan.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.notification()
	}
	return out, nil
}

// MarkSent records that the receiver accepted a claimed notification.
func (db *DB) MarkSent(ctx context.Context, n plan.Notification, at time.Time) error {
	return db.settle(db.w.WithContext(ctx), n, map[string]any{
		"state": string(plan.Sent), "sent_at": utc(at), "attempts": n.Attempts + 1, "last_error": "",
	})
}

// MarkFailed records a failed attempt and when to try again, and releases the claim.
func (db *DB) MarkFailed(ctx context.Context, n plan.Notification, reason string, next time.Time) error {
	return db.settle(db.w.WithContext(ctx), n, map[string]any{
		"attempts": n.Attempts + 1, "last_error": reason, "next_attempt_at": utc(next),
	})
}

// MarkDead gives up on a claimed notification after its last failed attempt,
// and in the same transaction stores the delivery_failed alert it raises and
// queues that alert's notifications: a dead letter never vanishes unseen.
func (db *DB) MarkDead(ctx context.Context, planID string, n plan.Notification, reason string, raised *plan.Alert, queue []plan.Notification) error {
	return db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := db.settle(tx, n, map[string]any{
			"state": string(plan.Dead), "attempts": n.Attempts + 1, "last_error": reason,
		}); err != nil {
			return err
		}
		if raised != nil {
			var existing []alertRow
			if err := tx.Where("plan_id = ? AND alert_key = ?", raised.PlanID, raised.Key).Find(&existing).Error; err != nil {
				return fmt.Errorf("read alert %s: %w", raised.Key, err)
			}
			ids := map[string]int64{}
			for _, r := range existing {
				ids[r.AlertKey] = r.ID
			}
			if err := putAlert(tx, *raised, ids); err != nil {
				return err
			}
		}
		_, err := enqueue(tx, planID, queue)
		return err
	})
}

func (db *DB) settle(g *gorm.DB, n plan.Notification, set map[string]any) error {
	set["claimed_by"], set["claimed_at"] = nil, nil
	res := g.Model(&outboxRow{}).Where("id = ? AND claimed_by = ? AND state = 'pending'", n.ID, n.ClaimedBy).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("update notification %s: %w", n.Key, res.Error)
	}
	if res.RowsAffected == 0 {
		return plan.Errorf(plan.ECONFLICT, "通知 %s 已不归本发送方处理", n.Key)
	}
	return nil
}

// OutboxFilter selects notifications; zero fields select everything.
type OutboxFilter struct {
	PlanID   string
	State    plan.NotificationState
	AlertKey string
	Receiver string
}

// Notifications lists the notifications the filter selects, oldest first.
func (db *DB) Notifications(ctx context.Context, f OutboxFilter) ([]plan.Notification, error) {
	q := db.r.WithContext(ctx).Model(&outboxRow{})
	if f.PlanID != "" {
		q = q.Where("plan_id = ?", f.PlanID)
	}
	if f.State != "" {
		q = q.Where("state = ?", string(f.State))
	}
	if f.AlertKey != "" {
		q = q.Where("alert_key = ?", f.AlertKey)
	}
	if f.Receiver != "" {
		q = q.Where("receiver = ?", f.Receiver)
	}
	var rows []outboxRow
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	out := make([]plan.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.notification()
	}
	return out, nil
}

// NextAttempt is when the earliest pending notification falls due; ok is false when none is pending.
func (db *DB) NextAttempt(ctx context.Context) (next time.Time, ok bool, err error) {
	var rows []outboxRow
	err = db.r.WithContext(ctx).Where("state = 'pending'").Order("next_attempt_at").Limit(1).Find(&rows).Error
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next attempt: %w", err)
	}
	if len(rows) == 0 {
		return time.Time{}, false, nil
	}
	return rows[0].NextAttemptAt.UTC(), true, nil
}
