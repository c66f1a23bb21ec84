package evaluate

import (
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// Point is the city figure of one indicator at the end of one period, against
// the figure expected then.
type Point struct {
	Period   plan.Period `json:"period"`
	Actual   *float64    `json:"actual"` // null before anything usable was reported
	Expected float64     `json:"expected"`
}

// Series is the city figure of one indicator period by period, from its first
// period through the last that has ended by asOf, against the expected
// trajectory (for the dashboard's chart). Each point reads the figures the
// way Evaluate does, through that period only.
func Series(p *plan.Plan, ind *plan.Indicator, obs []plan.Observation, asOf time.Time) []Point {
	byUnit := map[string][]*plan.Observation{}
	for i := range obs {
		if o := &obs[i]; o.Indicator == ind.ID && o.Milestone == "" {
			byUnit[o.Unit] = append(byUnit[o.Unit], o)
		}
	}
	r := newIndicatorRun(p, ind, newClock(p, asOf), byUnit)
	var out []Point
	figs := make([]figure, len(r.units))
	for _, per := range r.periods {
		i, ok := r.month(per)
		if !ok {
			continue
		}
		for k, u := range r.units {
			figs[k] = r.unitFigure(u, i)
		}
		pt := Point{Period: per, Expected: r.tr.expected(per.LastDay().End(r.c.loc), ind.Baseline, ind.Target.Value)}
		if f := r.cityFigure(figs); f.ok {
			pt.Actual = ptr(f.value)
		}
		out = append(out, pt)
	}
	return out
}
