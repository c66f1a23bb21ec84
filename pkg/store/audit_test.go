package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/duban-gov/duban/pkg/store"
)

func appendEntries(t *testing.T, db *store.DB, n int) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	for i := range n {
		e := store.AuditEntry{
			At:    time.Date(2022, 10, 15, 9, i, 0, 0, shanghai),
			Actor: "supervisor-1", TokenID: 2, Role: "supervisor",
			Action: "alert.ack", Subject: fmt.Sprint(i + 1), Remote: "10.0.0.7", Status: 200,
		}
		if err := db.AppendAudit(context.Background(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestAuditAppendAndList(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	entries := appendEntries(t, db, 3)
	if entries[0].Hash == "" || entries[0].Hash == entries[1].Hash {
		t.Fatalf("hashes %q, %q: want distinct, non-empty", entries[0].Hash, entries[1].Hash)
	}
	e := store.AuditEntry{Actor: "admin", Action: "token.create", Subject: "9", Status: 201}
	if err := db.AppendAudit(ctx, &e); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		filter    store.AuditFilter
		wantTotal int
		wantFirst string // subject of the newest entry on the page
	}{
		{"all, newest first", store.AuditFilter{}, 4, "9"},
		{"by action", store.AuditFilter{Action: "alert.ack"}, 3, "3"},
		{"by actor, second page", store.AuditFilter{Actor: "supervisor-1", Limit: 1, Offset: 1}, 3, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := db.Audit(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if total != tt.wantTotal || len(got) == 0 || got[0].Subject != tt.wantFirst {
				t.Fatalf("total %d, page %+v; want total %d starting with subject %s", total, got, tt.wantTotal, tt.wantFirst)
			}
		})
	}
	if err := db.VerifyAudit(ctx); err != nil {
		t.Fatalf("untouched log: %v", err)
	}
}

// TestAuditTamperBreaksChain edits and deletes rows behind the store's back,
// the way someone with the database file could, and checks VerifyAudit notices.
func TestAuditTamperBreaksChain(t *testing.T) {
	tests := []struct {
		name string
		sql  string
	}{
		{"edited actor", `UPDATE audit_log SET actor = 'someone-else' WHERE id = 2`},
		{"edited and rehashed without the chain", `UPDATE audit_log SET prev = '' WHERE id = 3`},
		{"deleted middle entry", `DELETE FROM audit_log WHERE id = 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "duban.db")
			db := mustOpenDSN(t, path)
			appendEntries(t, db, 4)
			raw, err := sql.Open("sqlite3", path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			if err := db.VerifyAudit(context.Background()); !errors.Is(err, store.ErrAuditTampered) {
				t.Fatalf("VerifyAudit = %v, want ErrAuditTampered", err)
			}
		})
	}
}
