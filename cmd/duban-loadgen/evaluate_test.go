package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

var update = flag.Bool("update", false, "print the evaluation digest of TestEvaluateGolden instead of comparing it")

// goldenDigest is the sha256 of `duban eval --format json` over the 10×
// plan and 60,000 stored observations, as the evaluator gave it before its
// units' slices were cut from blocks: a change made for speed must leave it
// as it is. When the evaluator's output changes on purpose, run
// go test ./cmd/duban-loadgen -run TestEvaluateGolden -update and put the
// printed digest here.
const goldenDigest = "2eb463bec240ead007e95ea2f7a5b46113d1ed7ca1cc40765fd52d289fa52800"

// TestEvaluateGolden evaluates a generated plan of 1,000 regions over
// observations read back from a store, byte for byte as before.
func TestEvaluateGolden(t *testing.T) {
	dir := t.TempDir()
	s := province
	s.Cities, s.Counties, s.Towns, s.Villages = growth[1].shape.Cities, growth[1].shape.Counties, growth[1].shape.Towns, growth[1].shape.Villages
	planDir := filepath.Join(dir, "plan")
	if err := writePlan(planDir, s); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "obs.db")
	if _, err := fillStore(context.Background(), planDir, dbPath, 60000, 1); err != nil {
		t.Fatal(err)
	}
	p, err := plan.Load(planDir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	asOf := time.Date(2021, 4, 20, 23, 59, 59, 999999999, p.Location)
	obs, err := db.Observations(context.Background(), p.ID, asOf)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	enc := json.NewEncoder(h) // as duban eval --format json writes it
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(evaluate.Evaluate(p, obs, asOf)); err != nil {
		t.Fatal(err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if *update {
		t.Logf("digest %s", got)
		return
	}
	if got != goldenDigest {
		t.Errorf("evaluations of the 10× plan digest to %s, want %s", got, goldenDigest)
	}
}
