package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Leases decide which of several replicas runs the scheduled jobs.
//
// A lease is a row (name, holder, token, expires_at), not a PostgreSQL
// advisory lock. A session advisory lock dies with its connection, but only
// with that one connection: it has to live on a connection kept out of the
// pool, a lost connection (a restarted server, a proxy's idle timeout) drops
// it silently, and nothing tells the jobs already running. A row behaves the
// same on SQLite and PostgreSQL, and it can be seen (who holds it, since when,
// until when) and reasoned about:
//
//   - The holder renews it well before it expires; a holder that dies stops
//     renewing, and once expires_at has passed any replica may take it.
//   - Expiry is judged by the database's clock (PostgreSQL's now(); SQLite's is
//     the one box's clock), so replicas whose clocks disagree still agree on it.
//   - Every change of hands adds one to token, the fencing token: a job records
//     its run for a tick only while its token is the lease's current one
//     (RecordRun), so a replica that lost the lease without knowing it cannot
//     start a job its successor owns.

// Lease is a named lease as stored.
type Lease struct {
	Name       string
	Holder     string
	Token      int64 // grows by one each time the lease is taken anew
	AcquiredAt time.Time
	RenewedAt  time.Time
	ExpiresAt  time.Time
}

type leaseRow struct {
	Name       string `gorm:"primaryKey"`
	Holder     string
	Token      int64
	AcquiredAt time.Time
	RenewedAt  time.Time
	ExpiresAt  time.Time
}

func (leaseRow) TableName() string { return "leases" }

func (r leaseRow) lease() Lease {
	return Lease{Name: r.Name, Holder: r.Holder, Token: r.Token,
		AcquiredAt: r.AcquiredAt.UTC(), RenewedAt: r.RenewedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
}

// JobRun is one run of a scheduled job for one tick, recorded by the lease holder that ran it.
type JobRun struct {
	ID        int64 `gorm:"primaryKey"`
	Lease     string
	Job       string
	Tick      time.Time
	Holder    string
	Token     int64
	StartedAt time.Time
}

// TableName is job_runs.
func (JobRun) TableName() string { return "job_runs" }

// clock is the database's time: PostgreSQL's, so that every replica measures
// leases against one clock; on SQLite (one box) the process's own.
func (db *DB) clock(tx *gorm.DB) (time.Time, error) {
	if db.dialect != Postgres {
		return utc(time.Now()), nil
	}
	var now time.Time
	if err := tx.Raw("SELECT now()").Row().Scan(&now); err != nil {
		return time.Time{}, fmt.Errorf("read the database clock: %w", err)
	}
	return utc(now), nil
}

// AcquireLease takes the named lease for holder for ttl, or renews it if
// holder has it already. It succeeds when the lease is new, expired, or
// holder's; otherwise it leaves the lease alone and reports held false. token
// is the lease's fencing token as it now stands: unchanged by a renewal, one
// more than before when the lease changed hands or had lapsed.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (token int64, held bool, err error) {
	if name == "" || holder == "" || ttl <= 0 {
		return 0, false, fmt.Errorf("acquire lease %q: name, holder and a positive duration are needed", name)
	}
	err = db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now, err := db.clock(tx)
		if err != nil {
			return err
		}
		// A renewal is the same holder before expiry: it keeps the token and
		// the acquisition time. Anything else that gets past the WHERE takes
		// the lease anew.
		const renewal = `leases.holder = excluded.holder AND leases.expires_at > excluded.renewed_at`
		err = tx.Exec(`INSERT INTO leases (name, holder, token, acquired_at, renewed_at, expires_at)
			VALUES (?, ?, 1, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET
				token = CASE WHEN `+renewal+` THEN leases.token ELSE leases.token + 1 END,
				acquired_at = CASE WHEN `+renewal+` THEN leases.acquired_at ELSE excluded.acquired_at END,
				holder = excluded.holder,
				renewed_at = excluded.renewed_at,
				expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.renewed_at`,
			name, holder, now, now, utc(now.Add(ttl))).Error
		if err != nil {
			return err
		}
		var row leaseRow
		if err := tx.Where("name = ?", name).Take(&row).Error; err != nil {
			return err
		}
		token, held = row.Token, row.Holder == holder && row.ExpiresAt.After(now)
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("acquire lease %q: %w", name, err)
	}
	return token, held, nil
}

// ReleaseLease gives up holder's lease at once, so that another replica need
// not wait for it to expire. A lease that has changed hands since token is left alone.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string, token int64) error {
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now, err := db.clock(tx)
		if err != nil {
			return err
		}
		return tx.Model(&leaseRow{}).Where("name = ? AND holder = ? AND token = ? AND expires_at > ?", name, holder, token, now).
			Update("expires_at", now).Error
	})
	if err != nil {
		return fmt.Errorf("release lease %q: %w", name, err)
	}
	return nil
}

// Lease reads the named lease; ok is false when it has never been taken.
func (db *DB) Lease(ctx context.Context, name string) (l Lease, ok bool, err error) {
	var row leaseRow
	err = db.r.WithContext(ctx).Where("name = ?", name).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, fmt.Errorf("read lease %q: %w", name, err)
	}
	return row.lease(), true, nil
}

// RecordRun records that holder, under the lease's fencing token, runs job
// for tick. It reports false — run nothing — when that job already ran for
// that tick, or when the lease is no longer holder's with that token by the
// database's clock. The lease row is locked while it is checked, so the lease
// cannot change hands between the check and the record.
func (db *DB) RecordRun(ctx context.Context, lease, holder string, token int64, job string, tick time.Time) (bool, error) {
	recorded := false
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now, err := db.clock(tx)
		if err != nil {
			return err
		}
		q := tx.Where("name = ? AND holder = ? AND token = ? AND expires_at > ?", lease, holder, token, now)
		if db.dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "SHARE"})
		}
		var rows []leaseRow
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		res := tx.Clauses(onConflictNothing).Create(&JobRun{
			Lease: lease, Job: job, Tick: utc(tick), Holder: holder, Token: token, StartedAt: now,
		})
		if res.Error != nil {
			return res.Error
		}
		recorded = res.RowsAffected == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record run of %s for %s: %w", job, tick.Format(time.RFC3339), err)
	}
	return recorded, nil
}

// JobRuns lists the runs recorded under a lease with ticks at or after since, in tick order.
func (db *DB) JobRuns(ctx context.Context, lease string, since time.Time) ([]JobRun, error) {
	var runs []JobRun
	err := db.r.WithContext(ctx).Where("lease = ? AND tick >= ?", lease, utc(since)).Order("tick, job, id").Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("list job runs: %w", err)
	}
	for i := range runs {
		runs[i].Tick, runs[i].StartedAt = runs[i].Tick.UTC(), runs[i].StartedAt.UTC()
	}
	return runs, nil
}

// PruneJobRuns deletes the runs recorded under a lease with ticks before
// before, and returns how many it deleted: the record is needed only for as
// long as a tick could still be run twice.
func (db *DB) PruneJobRuns(ctx context.Context, lease string, before time.Time) (int64, error) {
	res := db.w.WithContext(ctx).Where("lease = ? AND tick < ?", lease, utc(before)).Delete(&JobRun{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune job runs: %w", res.Error)
	}
	return res.RowsAffected, nil
}
