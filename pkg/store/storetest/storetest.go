// Package storetest gives tests a database of their own: an SQLite file in a
// temporary folder, or, when DUBAN_TEST_POSTGRES names a PostgreSQL server, a
// fresh schema there, dropped when the test ends. It is imported by tests only.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Server is the PostgreSQL server the tests may use ("" for none).
func Server() string { return os.Getenv("DUBAN_TEST_POSTGRES") }

// DSN is a database of the test's own: a file in a temporary folder, or a
// fresh schema on Server(), dropped at the end. Several handles may open it.
func DSN(tb testing.TB) string {
	tb.Helper()
	if Server() == "" {
		return filepath.Join(tb.TempDir(), "duban.db")
	}
	return Schema(tb, Server())
}

// Schema makes a fresh schema on a PostgreSQL server, dropped when the test
// ends, and returns the server's URL with that schema as its search_path.
func Schema(tb testing.TB, server string) string {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	exec := func(sql string) {
		tb.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			tb.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			tb.Fatal(err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	tb.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
