package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// migration is one numbered change to the schema. Its statements are plain
// SQL that both SQLite and PostgreSQL accept, except for the tokens below,
// which each dialect spells its own way:
//
//	{{id}}         an auto-numbered 64-bit primary key
//	{{timestamp}}  an instant (stored in UTC)
//
// A migration, once released, is never edited: change the schema by adding one.
type migration struct {
	version    int
	name       string
	statements []string
}

// migrations lists every migration in version order.
func migrations() []migration {
	return []migration{
		{1, "submissions and observations", []string{
			`CREATE TABLE submissions (
				id {{id}},
				plan_id TEXT NOT NULL,
				sha256 TEXT NOT NULL,
				unit TEXT NOT NULL DEFAULT '',
				submitter TEXT NOT NULL DEFAULT '',
				source TEXT NOT NULL DEFAULT '',
				file_name TEXT NOT NULL DEFAULT '',
				size BIGINT NOT NULL DEFAULT 0,
				received_at {{timestamp}} NOT NULL,
				template_id TEXT NOT NULL DEFAULT '',
				template_version INTEGER NOT NULL DEFAULT 0,
				period TEXT NOT NULL DEFAULT '',
				outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
				errors TEXT NOT NULL DEFAULT '[]',
				warnings TEXT NOT NULL DEFAULT '[]',
				observations INTEGER NOT NULL DEFAULT 0,
				raw_path TEXT NOT NULL DEFAULT ''
			)`,
			// The same bytes are one submission.
			`CREATE UNIQUE INDEX submissions_plan_sha256 ON submissions (plan_id, sha256)`,
			`CREATE INDEX submissions_plan_received ON submissions (plan_id, received_at, id)`,
			`CREATE INDEX submissions_plan_unit_period ON submissions (plan_id, unit, period)`,
			`CREATE TABLE observations (
				id {{id}},
				submission_id BIGINT NOT NULL REFERENCES submissions (id),
				plan_id TEXT NOT NULL,
				indicator TEXT NOT NULL DEFAULT '',
				milestone TEXT NOT NULL DEFAULT '',
				unit TEXT NOT NULL,
				period TEXT NOT NULL,
				value DOUBLE PRECISION,
				total DOUBLE PRECISION,
				numerator DOUBLE PRECISION,
				denominator DOUBLE PRECISION,
				requested TEXT,
				connected TEXT,
				state TEXT NOT NULL DEFAULT ''
					CHECK (state IN ('', 'not_started', 'in_progress', 'done')),
				date TEXT,
				evidence TEXT NOT NULL DEFAULT '',
				CHECK (indicator <> '' OR milestone <> '')
			)`,
			// The key that a later submission supersedes, then who sent it:
			// what the in-force query looks up for every row.
			`CREATE INDEX observations_key ON observations (plan_id, indicator, milestone, unit, period, submission_id)`,
			`CREATE INDEX observations_submission ON observations (submission_id)`,
		}},
		{2, "alerts, outbox and snapshots", []string{
			// One row per alert key: the same condition is one alert however often it is evaluated.
			`CREATE TABLE alerts (
				id {{id}},
				plan_id TEXT NOT NULL,
				alert_key TEXT NOT NULL,
				kind TEXT NOT NULL,
				family TEXT NOT NULL,
				subject TEXT NOT NULL,
				task TEXT NOT NULL DEFAULT '',
				unit TEXT NOT NULL DEFAULT '',
				period TEXT NOT NULL DEFAULT '',
				code TEXT NOT NULL DEFAULT '',
				name TEXT NOT NULL DEFAULT '',
				notify TEXT NOT NULL DEFAULT '[]',
				level TEXT NOT NULL CHECK (level IN ('reminder', 'follow_up', 'briefing')),
				since TEXT NOT NULL DEFAULT '',
				overdue INTEGER NOT NULL DEFAULT 0,
				state TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
				reason TEXT NOT NULL DEFAULT '',
				catch_up TEXT NOT NULL DEFAULT '',
				occurrence INTEGER NOT NULL DEFAULT 1,
				first_fired_at {{timestamp}} NOT NULL,
				last_changed_at {{timestamp}} NOT NULL,
				resolved_at {{timestamp}},
				acknowledged_by TEXT NOT NULL DEFAULT '',
				acknowledged_at {{timestamp}},
				ack_comment TEXT NOT NULL DEFAULT '',
				silenced_until TEXT NOT NULL DEFAULT '',
				notified_level TEXT NOT NULL DEFAULT '',
				notified_on TEXT NOT NULL DEFAULT ''
			)`,
			`CREATE UNIQUE INDEX alerts_plan_key ON alerts (plan_id, alert_key)`,
			`CREATE INDEX alerts_plan_state ON alerts (plan_id, state)`,
			// The outbox: written in the same transaction as the alert change it
			// reports, drained by a sender that claims rows with one UPDATE.
			`CREATE TABLE outbox (
				id {{id}},
				idempotency_key TEXT NOT NULL,
				plan_id TEXT NOT NULL DEFAULT '',
				alert_key TEXT NOT NULL,
				receiver TEXT NOT NULL,
				why TEXT NOT NULL,
				payload TEXT NOT NULL,
				attempts INTEGER NOT NULL DEFAULT 0,
				next_attempt_at {{timestamp}} NOT NULL,
				state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'dead')),
				last_error TEXT NOT NULL DEFAULT '',
				sent_at {{timestamp}},
				created_at {{timestamp}} NOT NULL,
				claimed_by TEXT,
				claimed_at {{timestamp}}
			)`,
			`CREATE UNIQUE INDEX outbox_idempotency_key ON outbox (idempotency_key)`,
			`CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id)`,
			`CREATE INDEX outbox_alert ON outbox (alert_key)`,
			// One snapshot per plan and as-of day: a re-run the same day replaces it with the same.
			`CREATE TABLE snapshots (
				id {{id}},
				plan_id TEXT NOT NULL,
				day TEXT NOT NULL,
				as_of {{timestamp}} NOT NULL,
				evaluations TEXT NOT NULL,
				created_at {{timestamp}} NOT NULL
			)`,
			`CREATE UNIQUE INDEX snapshots_plan_day ON snapshots (plan_id, day)`,
		}},
		{3, "api tokens and audit log", []string{
			// A token's secret is never stored, only its SHA-256.
			`CREATE TABLE tokens (
				id {{id}},
				name TEXT NOT NULL DEFAULT '',
				role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'reporter', 'viewer')),
				unit TEXT NOT NULL DEFAULT '',
				hash TEXT NOT NULL,
				created_at {{timestamp}} NOT NULL,
				created_by TEXT NOT NULL DEFAULT '',
				last_used_at {{timestamp}},
				revoked_at {{timestamp}}
			)`,
			`CREATE UNIQUE INDEX tokens_hash ON tokens (hash)`,
			// Append-only: each entry's hash chains it to the one before.
			`CREATE TABLE audit_log (
				id {{id}},
				at {{timestamp}} NOT NULL,
				actor TEXT NOT NULL DEFAULT '',
				token_id BIGINT NOT NULL DEFAULT 0,
				role TEXT NOT NULL DEFAULT '',
				unit TEXT NOT NULL DEFAULT '',
				action TEXT NOT NULL,
				subject TEXT NOT NULL DEFAULT '',
				detail TEXT NOT NULL DEFAULT '',
				remote TEXT NOT NULL DEFAULT '',
				status INTEGER NOT NULL DEFAULT 0,
				prev TEXT NOT NULL DEFAULT '',
				hash TEXT NOT NULL
			)`,
			`CREATE INDEX audit_log_actor ON audit_log (actor, id)`,
			`CREATE INDEX audit_log_action ON audit_log (action, id)`,
		}},
		{4, "leases and job runs", []string{
			// A named lease says which replica runs the scheduled jobs; token
			// grows by one each time the lease changes hands (or lapses and is taken again).
			`CREATE TABLE leases (
				name TEXT PRIMARY KEY,
				holder TEXT NOT NULL,
				token BIGINT NOT NULL,
				acquired_at {{timestamp}} NOT NULL,
				renewed_at {{timestamp}} NOT NULL,
				expires_at {{timestamp}} NOT NULL
			)`,
			// One row per job and tick: a tick's job runs once, whichever replica runs it.
			`CREATE TABLE job_runs (
				id {{id}},
				lease TEXT NOT NULL,
				job TEXT NOT NULL,
				tick {{timestamp}} NOT NULL,
				holder TEXT NOT NULL,
				token BIGINT NOT NULL,
				started_at {{timestamp}} NOT NULL
			)`,
			`CREATE UNIQUE INDEX job_runs_tick ON job_runs (lease, job, tick)`,
		}},
	}
}

// migrationLock is the PostgreSQL advisory lock that keeps replicas starting
// together from migrating at the same time.
const migrationLock = 7_346_012_022

func (db *DB) expand(stmt string) string {
	id, ts := "INTEGER PRIMARY KEY AUTOINCREMENT", "TIMESTAMP"
	if db.dialect == Postgres {
		id, ts = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "TIMESTAMPTZ"
	}
	return strings.NewReplacer("{{id}}", id, "{{timestamp}}", ts).Replace(stmt)
}

// lock serialises migrations across processes: PostgreSQL by an advisory
// lock held to the end of the transaction, SQLite by its write lock, which
// the writer's IMMEDIATE transactions take at BEGIN.
func (db *DB) lock(tx *gorm.DB) error {
	if db.dialect != Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLock).Error
}

// migrate applies, each in its own transaction and once only, the migrations
// the database has not seen yet.
func (db *DB) migrate() error {
	ctx := context.Background()
	all := migrations()
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := db.lock(tx); err != nil {
			return err
		}
		return tx.Exec(db.expand(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at {{timestamp}} NOT NULL
		)`)).Error
	})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	have, err := db.schemaVersion(db.w.WithContext(ctx))
	if err != nil {
		return err
	}
	if latest := all[len(all)-1].version; have > latest {
		return fmt.Errorf("the database's schema is at version %d, newer than this build knows (%d)", have, latest)
	}
	for _, m := range all {
		if m.version <= have {
			continue
		}
		err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := db.lock(tx); err != nil {
				return err
			}
			// Another process may have applied it while we waited for the lock.
			var n int64
			if err := tx.Table("schema_migrations").Where("version = ?", m.version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range m.statements {
				if err := tx.Exec(db.expand(stmt)).Error; err != nil {
					return err
				}
			}
			return tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UTC()).Error
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

func (db *DB) schemaVersion(g *gorm.DB) (int, error) {
	var v *int
	if err := g.Raw("SELECT MAX(version) FROM schema_migrations").Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// SchemaVersion is the number of the latest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return db.schemaVersion(db.r.WithContext(ctx))
}
