package api

import (
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
