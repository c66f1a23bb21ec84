package api

import (
	"fmt"
	"sync"

	"github.com/duban-gov/duban/pkg/plan"
)

// Plans holds the plan in force and reloads it from its rule files. A reload
// that fails leaves the plan in force as it was, and says why. It is safe for
// concurrent use: readers get the plan and its generation as one pair.
type Plans struct {
	dir  string
	load func(dir string) (*plan.Plan, error)

	mu      sync.RWMutex
	cur     *plan.Plan
	gen     int64
	lastErr error
}

// NewPlans loads the plan in dir with load (plan.Load when nil) and holds it.
func NewPlans(dir string, load func(string) (*plan.Plan, error)) (*Plans, error) {
	if load == nil {
		load = plan.Load
	}
	p, err := load(dir)
	if err != nil {
		return nil, err
	}
	return &Plans{dir: dir, load: load, cur: p, gen: 1}, nil
}

// StaticPlans holds a plan that was built, not loaded: Reload keeps it.
func StaticPlans(p *plan.Plan) *Plans {
	return &Plans{load: func(string) (*plan.Plan, error) { return p, nil }, cur: p, gen: 1}
}

// Current is the plan in force and its generation, which goes up by one with
// every successful reload.
func (ps *Plans) Current() (*plan.Plan, int64) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.cur, ps.gen
}

// Plan is the plan in force.
func (ps *Plans) Plan() *plan.Plan {
	p, _ := ps.Current()
	return p
}

// LastError is why the last reload failed, nil if it did not.
func (ps *Plans) LastError() error {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.lastErr
}

// Reload loads the rule files again. On success the new plan is in force and
// returned with its generation; on failure the old one stays in force and the
// error, with plan.ECONFLICT as its code, lists every problem.
func (ps *Plans) Reload() (*plan.Plan, int64, error) {
	p, err := ps.load(ps.dir)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if err != nil {
		ps.lastErr = err
		return ps.cur, ps.gen, &plan.Error{Code: plan.ECONFLICT,
			Message: fmt.Sprintf("规则文件有误,仍沿用第 %d 版:%v", ps.gen, err)}
	}
	ps.cur, ps.lastErr = p, nil
	ps.gen++
	return ps.cur, ps.gen, nil
}
