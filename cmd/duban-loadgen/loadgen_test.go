package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// TestGeneratedLoad checks that what the generator makes is what the
// benchmarks claim to measure: a plan that loads, a sheet duban accepts
// with one observation per region, a store holding exactly the observations
// asked for, and the same bytes for the same seed.
func TestGeneratedLoad(t *testing.T) {
	for _, g := range growth[:2] {
		t.Run(g.name, func(t *testing.T) {
			s := province
			s.Cities, s.Counties, s.Towns, s.Villages = g.shape.Cities, g.shape.Counties, g.shape.Towns, g.shape.Villages
			dir := t.TempDir()
			planDir := filepath.Join(dir, "plan")
			if err := writePlan(planDir, s); err != nil {
				t.Fatal(err)
			}
			p, err := plan.Load(planDir)
			if err != nil {
				t.Fatalf("the generated plan does not load: %v", err)
			}
			if got := len(p.UnitsOf(plan.Region)); got != s.Regions() {
				t.Errorf("%d regions, want %d", got, s.Regions())
			}
			if got, want := len(p.Indicators), len(s.indicators()); got != want {
				t.Errorf("%d indicators, want %d", got, want)
			}

			sheet := filepath.Join(dir, "sheet.xlsx")
			rows, err := writeSheet(planDir, sheet, "2022-06", 1)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ingest.Read(context.Background(), p, sheet, ingest.Options{Now: time.Date(2022, 7, 3, 10, 0, 0, 0, p.Location)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() || len(res.Observations) != rows || rows != s.Regions() {
				t.Fatalf("sheet of %d rows for %d regions: %d observations, errors %v", rows, s.Regions(), len(res.Observations), res.Errors[:min(3, len(res.Errors))])
			}
			again := filepath.Join(dir, "again.xlsx")
			if _, err := writeSheet(planDir, again, "2022-06", 1); err != nil {
				t.Fatal(err)
			}
			if sum(t, sheet) != sum(t, again) {
				t.Error("the same seed wrote different bytes")
			}

			const n = 3000
			dbPath := filepath.Join(dir, "obs.db")
			saved, err := fillStore(context.Background(), planDir, dbPath, n, 1)
			if err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(dbPath)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			count, err := db.CountObservations(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if saved != n || count != n {
				t.Errorf("saved %d, store holds %d, want %d", saved, count, n)
			}
		})
	}
}

func sum(tb testing.TB, path string) [32]byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return sha256.Sum256(bytes.Clone(b))
}
