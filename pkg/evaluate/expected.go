package evaluate

import (
	"sort"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// trajectory is an indicator's expected path from its start to its due date.
type trajectory struct {
	start, due time.Time // the start date's first instant; the first instant after the due date
	knots      []knot    // (elapsed share, share of the way), from (0,0) to (1,1)
}

type knot struct{ s, f float64 }

func newTrajectory(loc *time.Location, start, due plan.Date, cps []plan.Checkpoint) trajectory {
	tr := trajectory{start: start.Start(loc), due: due.End(loc)}
	tr.knots = append(tr.knots, knot{0, 0})
	sorted := append([]plan.Checkpoint(nil), cps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Date.Before(sorted[j].Date) })
	for _, cp := range sorted {
		s := tr.share(cp.Date.End(loc))
		if s <= tr.knots[len(tr.knots)-1].s || s >= 1 {
			continue // a checkpoint outside (start, due) or on another's day says nothing more
		}
		tr.knots = append(tr.knots, knot{s, cp.Share})
	}
	tr.knots = append(tr.knots, knot{1, 1})
	return tr
}

// share is the elapsed share of [start, due] at t, between 0 and 1.
func (tr trajectory) share(t time.Time) float64 {
	total := tr.due.Sub(tr.start)
	if total <= 0 {
		return 1
	}
	s := float64(t.Sub(tr.start)) / float64(total)
	switch {
	case s < 0:
		return 0
	case s > 1:
		return 1
	}
	return s
}

// f is the share of the way from baseline to target expected at elapsed share s.
func (tr trajectory) f(s float64) float64 {
	for i := 1; i < len(tr.knots); i++ {
		a, b := tr.knots[i-1], tr.knots[i]
		if s <= b.s {
			if b.s == a.s {
				return b.f
			}
			return a.f + (b.f-a.f)*(s-a.s)/(b.s-a.s)
		}
	}
	return 1
}

// expected is the value expected at t for a baseline and target.
func (tr trajectory) expected(t time.Time, baseline, target float64) float64 {
	f := tr.f(tr.share(t))
	if f == 1 {
		return target
	}
	return baseline + (target-baseline)*f
}
