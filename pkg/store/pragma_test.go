package store

import (
	"path/filepath"
	"testing"

	"gorm.io/gorm"
)

// TestSQLitePragmas guards what the concurrency and integrity of a SQLite
// file rest on, on both the writer and the readers' connections.
func TestSQLitePragmas(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "duban.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		pragma, want string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
	}
	for _, pool := range []struct {
		name string
		g    *gorm.DB
	}{{"writer", db.w}, {"reader", db.r}} {
		for _, tt := range tests {
			t.Run(pool.name+" "+tt.pragma, func(t *testing.T) {
				var got string
				if err := pool.g.Raw("PRAGMA " + tt.pragma).Scan(&got).Error; err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
				}
			})
		}
	}
}
