package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/duban-gov/duban/pkg/plan"
)

// Backup writes a consistent copy of an SQLite database to dst while the
// service keeps running (VACUUM INTO reads one snapshot; writers are not
// stopped). dst must not exist. A PostgreSQL database is backed up with the
// server's own tools (pg_dump), so Backup refuses it.
func (db *DB) Backup(ctx context.Context, dst string) error {
	if db.dialect != SQLite {
		return plan.Errorf(plan.EINVALID, "duban backup copies an SQLite database; back PostgreSQL up with pg_dump")
	}
	if _, err := os.Stat(dst); err == nil {
		return plan.Errorf(plan.ECONFLICT, "backup target %s already exists", dst)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := db.r.WithContext(ctx).Exec("VACUUM INTO ?", dst).Error; err != nil {
		os.Remove(dst)
		return fmt.Errorf("backup to %s: %w", dst, err)
	}
	return nil
}
