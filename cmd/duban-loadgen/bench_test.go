package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// The benchmarks here measure what whole processes cannot separate: ingest
// without loading the plan, and evaluation with the observations already in
// memory. make bench points them at the files it made:
//
//	DUBAN_BENCH_PLAN  a plan folder
//	DUBAN_BENCH_FILE  a submission (BenchmarkIngest)
//	DUBAN_BENCH_DB    a filled store (BenchmarkEvaluate)
//	DUBAN_BENCH_AS_OF the as-of date (BenchmarkEvaluate)

func benchEnv(b *testing.B, names ...string) []string {
	b.Helper()
	var out []string
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			b.Skipf("%s is not set: make bench sets it", n)
		}
		out = append(out, v)
	}
	return out
}

// peakHeap samples the heap in use until stop is called, and returns the
// most seen above what was in use at the start (the plan, the test's own).
func peakHeap() (stop func() uint64) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak - min(peak, base.HeapAlloc)
	}
}

// BenchmarkIngest is duban's full ingest of one file — parse, validate,
// commit to a fresh SQLite store — with the plan already loaded.
func BenchmarkIngest(b *testing.B) {
	env := benchEnv(b, "DUBAN_BENCH_PLAN", "DUBAN_BENCH_FILE")
	p, err := plan.Load(env[0])
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2022, 7, 3, 10, 0, 0, 0, p.Location)
	var peak uint64
	rows := 0
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		db, err := store.Open(filepath.Join(b.TempDir(), fmt.Sprintf("ingest-%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		stop := peakHeap()
		b.StartTimer()
		sub, err := ingest.Ingest(context.Background(), p, db, env[1], ingest.Options{Source: "cli", Now: now})
		b.StopTimer()
		peak = max(peak, stop())
		db.Close()
		if err != nil {
			b.Fatal(err)
		}
		if sub.Outcome != plan.Accepted {
			b.Fatalf("rejected: %v", sub.Errors[:min(3, len(sub.Errors))])
		}
		rows = sub.Observations
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkEvaluate evaluates the whole plan over a store's observations,
// read once: the warm figure, with nothing but the evaluator timed.
func BenchmarkEvaluate(b *testing.B) {
	env := benchEnv(b, "DUBAN_BENCH_PLAN", "DUBAN_BENCH_DB", "DUBAN_BENCH_AS_OF")
	p, err := plan.Load(env[0])
	if err != nil {
		b.Fatal(err)
	}
	d, err := plan.ParseDate(env[2])
	if err != nil {
		b.Fatal(err)
	}
	asOf := time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, p.Location)
	evaluateLoop(b, p, stored(b, p, env[1], asOf), asOf)
}

// storedObs keeps what a store held between runs of a benchmark (-count):
// reading millions of observations is the cold figure, not the warm one.
var storedObs = map[string][]plan.Observation{}

func stored(b *testing.B, p *plan.Plan, path string, asOf time.Time) []plan.Observation {
	b.Helper()
	key := path + "@" + asOf.String()
	if obs, ok := storedObs[key]; ok {
		return obs
	}
	db, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	obs, err := db.Observations(context.Background(), p.ID, asOf)
	if err != nil {
		b.Fatal(err)
	}
	storedObs[key] = obs
	return obs
}

func evaluateLoop(b *testing.B, p *plan.Plan, obs []plan.Observation, asOf time.Time) {
	b.Helper()
	n := 0
	b.ResetTimer()
	for range b.N {
		n = len(evaluate.Evaluate(p, obs, asOf))
	}
	b.StopTimer()
	// After the loop: ResetTimer clears what was reported before it.
	b.ReportMetric(float64(n), "evaluations")
	b.ReportMetric(float64(len(obs)), "observations")
}

// growth are the plan sizes of the growth rows: the regions of a city (100)
// times 1, 10, 100 and 1000, the indicators the same.
var growth = []struct {
	name  string
	shape shape
}{
	{"1x", shape{Cities: 1, Counties: 3, Towns: 16, Villages: 80}},
	{"10x", shape{Cities: 2, Counties: 12, Towns: 160, Villages: 826}},
	{"100x", shape{Cities: 5, Counties: 40, Towns: 800, Villages: 9155}},
	{"1000x", shape{Cities: 21, Counties: 120, Towns: 1600, Villages: 98259}},
}

// growthMonths is how many months of observations the growth rows evaluate.
const growthMonths = 3

// BenchmarkEvaluateGrowth evaluates plans of 1×, 10×, 100× and 1000× a
// city's regions over three months of every reporter's figures, in memory.
func BenchmarkEvaluateGrowth(b *testing.B) {
	for _, g := range growth {
		b.Run(g.name, func(b *testing.B) {
			s := province
			s.Cities, s.Counties, s.Towns, s.Villages = g.shape.Cities, g.shape.Counties, g.shape.Towns, g.shape.Villages
			dir := filepath.Join(b.TempDir(), "plan")
			if err := writePlan(dir, s); err != nil {
				b.Fatal(err)
			}
			p, err := plan.Load(dir)
			if err != nil {
				b.Fatal(err)
			}
			obs := monthsOf(p, growthMonths, 1)
			last := plan.PeriodOf(p.Start).AddMonths(growthMonths)
			asOf := time.Date(last.Year, last.Month, 20, 12, 0, 0, 0, p.Location)
			evaluateLoop(b, p, obs, asOf)
		})
	}
}

// monthsOf is every reporter's observations for the plan's first months.
func monthsOf(p *plan.Plan, months int, seed uint64) []plan.Observation {
	g := newFiller(p, seed)
	var out []plan.Observation
	for per, i := plan.PeriodOf(p.Start), 0; i < months; per, i = per.AddMonths(1), i+1 {
		for _, u := range g.reporters {
			out = append(out, g.observations(u, per, 1<<30)...)
		}
	}
	return out
}
