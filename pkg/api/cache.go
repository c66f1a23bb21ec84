package api

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

// evalKey names one evaluation that can be reused. An evaluation depends on
// the plan, the observations in force and the as-of instant; every instant it
// compares the as-of with is a midnight in the plan's time zone, so it is the
// same all through a day (after its midnight), and at a midnight itself, where
// the day just ended is judged complete. The observations are those of the
// submissions received by the as-of, which their count and highest id stand for.
type evalKey struct {
	gen          int64
	date         plan.Date // the date the as-of instant falls on
	midnight     bool      // the as-of is that date's first instant: the end of the day before
	count, maxID int64
}

// newEvalKey makes the key of an evaluation as of asOf.
func newEvalKey(p *plan.Plan, gen int64, asOf time.Time, count, maxID int64) evalKey {
	t := asOf.In(p.Location)
	d := plan.DateOf(t)
	return evalKey{gen: gen, date: d, midnight: t.Equal(d.Start(p.Location)), count: count, maxID: maxID}
}

// evalEntry is an evaluation kept for reuse. Its slices are shared by every
// request that reads it: handlers only read them.
type evalEntry struct {
	obs []plan.Observation
	evs []evaluate.Evaluation

	mu      sync.Mutex
	encoded map[string][]byte           // answers that follow from the evaluation alone, encoded once
	series  map[string][]evaluate.Point // each indicator's series, worked out once
}

// seriesOf is an indicator's series against its trajectory, worked out on
// first use and kept with the evaluation it follows from.
func (e *evalEntry) seriesOf(p *plan.Plan, ind *plan.Indicator, asOf time.Time) []evaluate.Point {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pts, ok := e.series[ind.ID]; ok {
		return pts
	}
	pts := evaluate.Series(p, ind, e.obs, asOf)
	if pts == nil {
		pts = []evaluate.Point{}
	}
	if e.series == nil {
		e.series = map[string][]evaluate.Point{}
	}
	e.series[ind.ID] = pts
	return pts
}

// answer is the JSON answer named name, built and encoded on first use and
// kept with the evaluation it follows from. An answer here must depend on
// nothing but the evaluation, the plan and the as-of day.
func (e *evalEntry) answer(name string, build func() any) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.encoded[name]; ok {
		return b, nil
	}
	b, err := json.Marshal(build())
	if err != nil {
		return nil, err
	}
	if e.encoded == nil {
		e.encoded = map[string][]byte{}
	}
	e.encoded[name] = b
	return b, nil
}

// evalCache keeps the last few evaluations, so that the dashboard's reads of
// one day (board, details, timeline, ranking) evaluate once between uploads.
type evalCache struct {
	mu    sync.Mutex
	order []evalKey
	byKey map[evalKey]*evalEntry
}

// cacheSize is how many evaluations are kept: a few days replayed side by side.
const cacheSize = 8

func (c *evalCache) get(k evalKey) (*evalEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[k]
	return e, ok
}

func (c *evalCache) put(k evalKey, e *evalEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[evalKey]*evalEntry{}
	}
	if _, ok := c.byKey[k]; ok {
		return
	}
	c.byKey[k] = e
	c.order = append(c.order, k)
	if len(c.order) > cacheSize {
		delete(c.byKey, c.order[0])
		c.order = c.order[1:]
	}
}

// tokenTTL is how long a token looked up is trusted without asking the
// database again. A token revoked through this server stops working at once;
// one revoked elsewhere (the command line, another replica) within tokenTTL.
const tokenTTL = 10 * time.Second

// stampTTL is how long the stamp of the submissions received by a cutoff is
// reused by default (Server.StampTTL). Uploads through this server take effect
// at once; files ingested elsewhere (the inbox job, the command line, another
// replica) within stampTTL.
const stampTTL = time.Second

// ttlCache keeps values for a short while, by wall-clock time (the service's
// own clock may be held still for a replay).
type ttlCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v  V
	at time.Time
}

func (c *ttlCache[K, V]) get(k K, ttl time.Duration) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || ttl < 0 || time.Since(e.at) > ttl {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 4096 { // bounded: wrong guesses and old cutoffs do not pile up
		c.m = map[K]ttlEntry[V]{}
	}
	c.m[k] = ttlEntry[V]{v, time.Now()}
}

// clear forgets every value, when what they stand for has changed here.
func (c *ttlCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// stampKey names the submissions of a plan received by a cutoff; a live
// read (no as_of) uses the zero cutoff, as its "now" moves on every request.
type stampKey struct {
	planID string
	cutoff time.Time
}

type stamp struct{ count, maxID int64 }
