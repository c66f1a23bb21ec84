package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/duban-gov/duban/pkg/plan"
)

// AuditEntry is one write made through the API: who, when, what, from where.
// Entries are only ever appended; each carries the SHA-256 of its content
// chained to the entry before it, so that an entry edited or removed in the
// database behind the service's back breaks the chain (VerifyAudit).
type AuditEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"` // the token's name
	TokenID int64     `json:"token_id,omitempty"`
	Role    string    `json:"role,omitempty"`
	Unit    string    `json:"unit,omitempty"`
	Action  string    `json:"action"`  // upload, alert.ack, alert.silence, token.create, token.revoke, plan.reload
	Subject string    `json:"subject"` // what was acted on
	Detail  string    `json:"detail,omitempty"`
	Remote  string    `json:"remote,omitempty"` // the client's address
	Status  int       `json:"status"`           // the HTTP status answered
	Hash    string    `json:"hash"`
}

type auditRow struct {
	ID      int64 `gorm:"primaryKey"`
	At      time.Time
	Actor   string
	TokenID int64
	Role    string
	Unit    string
	Action  string
	Subject string
	Detail  string
	Remote  string
	Status  int
	Prev    string
	Hash    string
}

func (auditRow) TableName() string { return "audit_log" }

func (r auditRow) entry() AuditEntry {
	return AuditEntry{ID: r.ID, At: r.At.UTC(), Actor: r.Actor, TokenID: r.TokenID, Role: r.Role, Unit: r.Unit,
		Action: r.Action, Subject: r.Subject, Detail: r.Detail, Remote: r.Remote, Status: r.Status, Hash: r.Hash}
}

// digest is the chained hash of a row: the previous row's hash and every field but the id.
func (r auditRow) digest() string {
	h := sha256.New()
	for _, f := range []string{r.Prev, r.At.UTC().Format(time.RFC3339Nano), r.Actor, strconv.FormatInt(r.TokenID, 10),
		r.Role, r.Unit, r.Action, r.Subject, r.Detail, r.Remote, strconv.Itoa(r.Status)} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// auditLock is the PostgreSQL advisory lock that keeps two replicas from
// chaining to the same previous entry.
const auditLock = 7_346_012_023

// AppendAudit appends an entry to the audit log and sets e.ID, e.At (now if
// zero, else as stored) and e.Hash.
func (db *DB) AppendAudit(ctx context.Context, e *AuditEntry) error {
	if e.Action == "" {
		return plan.Errorf(plan.EINVALID, "审计记录缺少操作")
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	row := auditRow{At: at.UTC().Truncate(time.Microsecond), Actor: e.Actor, TokenID: e.TokenID, Role: e.Role,
		Unit: e.Unit, Action: e.Action, Subject: e.Subject, Detail: e.Detail, Remote: e.Remote, Status: e.Status}
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if db.dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", auditLock).Error; err != nil {
				return err
			}
		}
		var last []auditRow
		if err := tx.Order("id DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		if len(last) > 0 {
			row.Prev = last[0].Hash
		}
		row.Hash = row.digest()
		return tx.Create(&row).Error
	})
	if err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	*e = row.entry()
	return nil
}

// AuditFilter selects audit entries; zero fields select everything. Limit 0 means no limit.
type AuditFilter struct {
	Actor  string
	Action string
	Limit  int
	Offset int
}

// Audit lists audit entries, newest first, one page of them, and how many there are in all.
func (db *DB) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, int, error) {
	if f.Limit < 0 || f.Offset < 0 {
		return nil, 0, plan.Errorf(plan.EINVALID, "分页参数无效(limit %d, offset %d)", f.Limit, f.Offset)
	}
	q := db.r.WithContext(ctx).Model(&auditRow{})
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	q = q.Session(&gorm.Session{})
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count audit entries: %w", err)
	}
	page := q.Order("id DESC").Offset(f.Offset)
	if f.Limit > 0 {
		page = page.Limit(f.Limit)
	}
	var rows []auditRow
	if err := page.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, int(total), nil
}

// ErrAuditTampered says that the audit log's hash chain is broken: an entry
// was edited, removed or inserted outside AppendAudit.
var ErrAuditTampered = errors.New("audit log tampered with")

// VerifyAudit walks the audit log oldest first and checks every entry's hash
// and its link to the entry before; it returns an error wrapping
// ErrAuditTampered that names the first entry that does not fit.
func (db *DB) VerifyAudit(ctx context.Context) error {
	var rows []auditRow
	prev := ""
	err := db.r.WithContext(ctx).Order("id").FindInBatches(&rows, 500, func(tx *gorm.DB, _ int) error {
		for _, r := range rows {
			if r.Prev != prev {
				return fmt.Errorf("entry %d does not follow the entry before it: %w", r.ID, ErrAuditTampered)
			}
			if r.digest() != r.Hash {
				return fmt.Errorf("entry %d does not match its hash: %w", r.ID, ErrAuditTampered)
			}
			prev = r.Hash
		}
		return nil
	}).Error
	if err != nil && !errors.Is(err, ErrAuditTampered) {
		return fmt.Errorf("verify audit log: %w", err)
	}
	return err
}
