package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/store"
)

// TestCloseReleasesLease: a service that stops gracefully gives up the
// scheduler lease at once, so another replica need not wait for it to lapse.
func TestCloseReleasesLease(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "duban.db")
	m := &Main{Config: ServeConfig{Addr: "127.0.0.1:0", DataDir: dir, DB: dbPath, PlanDir: shippedPlan,
		AsOf: "2022-10-15", Schedule: true}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	name := "schedule:zhaoqing-2022"
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, ok, err := m.DB.Lease(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if ok && l.Holder != "" && l.ExpiresAt.After(time.Now()) {
			break
		}
		if time.Now().After(deadline) {
			m.Close()
			t.Fatal("the service never took the scheduler lease")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !metricReads(t, m.URL()+"/metrics", "duban_scheduler_leader 1") {
		t.Error("/metrics does not say this replica leads")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, _, err := db.Lease(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if l.ExpiresAt.After(time.Now()) {
		t.Errorf("after a graceful stop the lease is held until %s", l.ExpiresAt)
	}
}

// metricReads reports whether the metrics page holds the line want.
func metricReads(t *testing.T, url, want string) bool {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if line == want {
			return true
		}
	}
	return false
}
