// Package store keeps submissions and the observations they carry in a
// database: SQLite by default (one file, no server), PostgreSQL when several
// replicas share one. It speaks plan types at its edge; the gorm row structs
// and SQL stay inside.
package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialects Open understands.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// busyTimeout is how long an SQLite connection waits for another process's
// lock before giving up: long enough that a burst of uploads queues instead of failing.
const busyTimeout = 10 * time.Second

// DB is duban's database. It is safe for concurrent use.
//
// On SQLite every write goes through a single connection (w) whose
// transactions begin IMMEDIATE, so writers queue in Go rather than racing for
// the file lock, while reads use a pool of their own (r) that WAL mode never
// blocks. On PostgreSQL r and w are the same pool.
type DB struct {
	w, r    *gorm.DB
	dialect string
}

// Open opens the database, creating it if needed, and brings its schema up to
// date. dsn is a file path for SQLite (":memory:" for a throw-away database),
// or a postgres:// or postgresql:// URL for PostgreSQL.
func Open(dsn string) (*DB, error) {
	if dsn == "" {
		return nil, fmt.Errorf("open database: empty data source name")
	}
	var (
		db  *DB
		err error
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err = openPostgres(dsn)
	} else {
		db, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	return db, nil
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		// Callers get errors, not log lines; the store is a library.
		Logger:                 logger.Discard,
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
}

func openPostgres(dsn string) (*DB, error) {
	g, err := gorm.Open(postgres.Open(dsn), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(4)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{w: g, r: g, dialect: Postgres}, nil
}

func openSQLite(dsn string) (*DB, error) {
	params := fmt.Sprintf("_journal_mode=WAL&_busy_timeout=%d&_foreign_keys=1&_synchronous=NORMAL",
		busyTimeout.Milliseconds())
	memory := dsn == ":memory:"
	if !memory && !strings.HasPrefix(dsn, "file:") {
		path := dsn
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open sqlite %s: %w", path, err)
			}
		}
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	w, err := openSQLitePool(dsn+sep+params+"&_txlock=immediate", 1)
	if err != nil {
		return nil, err
	}
	if memory {
		// Each connection to :memory: is its own database: share the one.
		return &DB{w: w, r: w, dialect: SQLite}, nil
	}
	r, err := openSQLitePool(dsn+sep+params, max(4, 2*runtime.GOMAXPROCS(0)))
	if err != nil {
		closeGorm(w)
		return nil, err
	}
	return &DB{w: w, r: r, dialect: SQLite}, nil
}

func openSQLitePool(dsn string, conns int) (*gorm.DB, error) {
	g, err := gorm.Open(sqlite.Open(dsn), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	// Connections live as long as the pool: each carries its pragmas.
	sqlDB.SetConnMaxLifetime(0)
	if err := sqlDB.Ping(); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return g, nil
}

func closeGorm(g *gorm.DB) error {
	sqlDB, err := g.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Close closes the database's connections.
func (db *DB) Close() error {
	err := closeGorm(db.w)
	if db.r != db.w {
		if rerr := closeGorm(db.r); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }
