package evaluate

import (
	"fmt"

	"github.com/duban-gov/duban/pkg/plan"
)

// epsilon absorbs the noise of binary fractions when a progress ratio is held
// against a threshold: 95/100 of the way is on track however it was computed.
const epsilon = 1e-9

// indicatorRun is one indicator's observations sorted into months, unit by
// unit, ready to be read through any period that has ended.
type indicatorRun struct {
	p          *plan.Plan
	ind        *plan.Indicator
	c          clock
	tr         trajectory
	thresholds plan.Thresholds
	first      plan.Period   // the month of the start date: month index 0
	ended      int           // months [0, ended), up to the due month, have ended by as-of
	periods    []plan.Period // the report schedule
	lastDue    plan.Period
	lastDueIdx int // month index of lastDue; -1 when no report is due yet
	units      []*unitRun
	arena      arena // while the units load
}

// unitRun is one row unit's usable figures, month by month.
type unitRun struct {
	id        string
	target    plan.Target
	baseline  float64
	has       []bool    // a usable figure in month i
	val       []float64 // level and count: the value; cumulative: the increment; ratio: a bare value
	num, den  []float64 // ratio and coverage
	bare      []bool    // ratio and coverage: a value given without numerator and denominator
	records   []int     // lead time: records requested in month i
	within    []int     // lead time: of those, connected within the limit
	scored    []int     // lead time: of those, connected or already late
	anomalies []Anomaly
}

// figure is a unit's or the city's figure read through some month.
type figure struct {
	month    int     // the latest month with a usable figure; -1 when none
	ok       bool    // value holds a figure
	value    float64 // the actual
	inc      float64 // cumulative: the sum of increments
	num, den float64 // behind a fraction: Σ numerators and denominators (lead time: within and scored)
	nd       bool    // num and den are set
	bare     bool    // a ratio given as a bare value
}

func newIndicatorRun(p *plan.Plan, ind *plan.Indicator, c clock, byUnit map[string][]*plan.Observation) *indicatorRun {
	r := &indicatorRun{p: p, ind: ind, c: c, lastDueIdx: -1}
	r.tr = newTrajectory(c.loc, ind.Start, ind.Due, ind.Checkpoints)
	r.thresholds = ind.Thresholds
	if r.thresholds == (plan.Thresholds{}) {
		r.thresholds = p.Thresholds
	}
	r.first = plan.PeriodOf(ind.Start)
	months := plan.PeriodOf(ind.Due).Index() - r.first.Index() + 1
	for r.ended < months && c.ended(r.first.AddMonths(r.ended)) {
		r.ended++
	}
	r.periods = plan.Periods(ind.Report, ind.Start, ind.Due)
	if per, i := c.lastDue(p, ind.Report, r.periods); i >= 0 {
		r.lastDue, r.lastDueIdx = per, per.Index()-r.first.Index()
	}
	rows := rowUnits(ind)
	// The units and their month-by-month slices are cut from a few blocks per
	// indicator: with tens of thousands of row units, one allocation per
	// unit and slice was most of the evaluator's garbage.
	units := make([]unitRun, len(rows))
	r.units = make([]*unitRun, len(rows))
	r.arena = newArena(ind.Kind, r.ended, len(rows))
	for i, id := range rows {
		u := &units[i]
		u.id = id
		u.target, u.baseline = unitTarget(ind, id, len(rows))
		r.load(u, byUnit[id])
		r.units[i] = u
	}
	r.arena = arena{}
	return r
}

// arena holds the month-by-month slices of an indicator's units while they
// are loaded, and the scratch slots of one unit's observations.
type arena struct {
	bools         []bool
	floats        []float64
	ints          []int
	slots         []slot
	n             int
	nb, nf, nints int // slices of each kind per unit
}

// slot is what a unit reported for one month.
type slot struct{ value, total, num, den *float64 }

func newArena(kind plan.Kind, n, units int) arena {
	a := arena{n: n, slots: make([]slot, n)}
	switch kind {
	case plan.LeadTime:
		a.nb, a.nints = 1, 3
	case plan.Ratio, plan.Coverage:
		a.nb, a.nf = 2, 3
	default:
		a.nb, a.nf = 1, 1
	}
	a.bools = make([]bool, a.nb*n*units)
	a.floats = make([]float64, a.nf*n*units)
	a.ints = make([]int, a.nints*n*units)
	return a
}

func (a *arena) bool() []bool {
	s := a.bools[:a.n:a.n]
	a.bools = a.bools[a.n:]
	return s
}

func (a *arena) float() []float64 {
	s := a.floats[:a.n:a.n]
	a.floats = a.floats[a.n:]
	return s
}

func (a *arena) int() []int {
	s := a.ints[:a.n:a.n]
	a.ints = a.ints[a.n:]
	return s
}

// rowUnits are the units an observation of ind may be about.
func rowUnits(ind *plan.Indicator) []string {
	if len(ind.RowUnits) > 0 {
		return ind.RowUnits
	}
	return ind.ReportedBy
}

// unitTarget is a unit's own target and baseline: the indicator's for
// fractions and for a single row unit; else the city's shared out, by
// UnitTargets where given, else in equal parts. A between range is scaled
// by the same share; the baseline is always shared in equal parts.
func unitTarget(ind *plan.Indicator, id string, n int) (plan.Target, float64) {
	t, b := ind.Target, ind.Baseline
	if ind.Kind.IsFraction() || n <= 1 {
		return t, b
	}
	share := 1 / float64(n)
	if ut, ok := ind.UnitTargets[id]; ok && t.Value != 0 {
		share = ut / t.Value
	}
	t.Value *= share
	t.High *= share
	if ut, ok := ind.UnitTargets[id]; ok {
		t.Value = ut
	}
	return t, b / float64(n)
}

// month is the month index of per, if it is a month this run reads.
func (r *indicatorRun) month(per plan.Period) (int, bool) {
	i := per.Index() - r.first.Index()
	return i, !per.IsZero() && i >= 0 && i < r.ended
}

// load sorts a unit's observations into months, keeping for each month the
// last of each kind of figure, and sets aside those that cannot be right.
func (r *indicatorRun) load(u *unitRun, obs []*plan.Observation) {
	a := &r.arena
	u.has = a.bool()
	if r.ind.Kind == plan.LeadTime {
		u.records, u.within, u.scored = a.int(), a.int(), a.int()
		for _, o := range obs {
			if o.Requested.IsZero() {
				continue
			}
			per := o.Period
			if per.IsZero() {
				per = plan.PeriodOf(o.Requested)
			}
			i, ok := r.month(per)
			if !ok {
				continue
			}
			u.has[i] = true
			u.records[i]++
			if scored, within := r.score(o); scored {
				u.scored[i]++
				if within {
					u.within[i]++
				}
			}
		}
		return
	}

	slots := a.slots
	clear(slots)
	for _, o := range obs {
		i, ok := r.month(o.Period)
		if !ok {
			continue
		}
		if o.Value != nil {
			slots[i].value = o.Value
		}
		if o.Total != nil {
			slots[i].total = o.Total
		}
		if o.Numerator != nil && o.Denominator != nil {
			slots[i].num, slots[i].den = o.Numerator, o.Denominator
		}
	}
	u.val = a.float()
	if r.ind.Kind == plan.Ratio || r.ind.Kind == plan.Coverage {
		u.num, u.den, u.bare = a.float(), a.float(), a.bool()
	}
	var running float64 // cumulative: the sum of the increments used so far
	for i, s := range slots {
		per := r.first.AddMonths(i)
		switch r.ind.Kind {
		case plan.Level, plan.Count:
			v := s.value
			if v == nil {
				v = s.total
			}
			if v == nil {
				continue
			}
			if *v < 0 {
				r.anomaly(u, per, NegativeValue, "报送的数值%s为负数", r.format(*v))
				continue
			}
			u.has[i], u.val[i] = true, *v
		case plan.Cumulative:
			var inc float64
			switch {
			case s.value != nil:
				inc = *s.value
				if inc < 0 {
					r.anomaly(u, per, CumulativeDecrease, "报送的本期新增%s为负数,累计数不应减少", r.format(inc))
					continue
				}
			case s.total != nil:
				if *s.total < 0 {
					r.anomaly(u, per, NegativeValue, "报送的累计数%s为负数", r.format(*s.total))
					continue
				}
				inc = *s.total - running
				if inc < 0 {
					r.anomaly(u, per, CumulativeDecrease, "报送的累计数%s低于此前累计的%s", r.format(*s.total), r.format(running))
					continue
				}
			default:
				continue
			}
			running += inc
			u.has[i], u.val[i] = true, inc
		case plan.Ratio, plan.Coverage:
			switch {
			case s.num != nil:
				num, den := *s.num, *s.den
				switch {
				case num < 0 || den < 0:
					r.anomaly(u, per, NegativeValue, "报送的分子%s或分母%s为负数", formatCount(num), formatCount(den))
				case num > den:
					r.anomaly(u, per, RatioAboveOne, "报送的分子%s大于分母%s,比率超过100%%", formatCount(num), formatCount(den))
				default:
					u.has[i], u.num[i], u.den[i] = true, num, den
				}
			case s.value != nil:
				v := *s.value
				switch {
				case v < 0:
					r.anomaly(u, per, NegativeValue, "报送的比率%s为负数", FormatPercent(v))
				case v > 1:
					r.anomaly(u, per, RatioAboveOne, "报送的比率%s超过100%%", FormatPercent(v))
				default:
					u.has[i], u.val[i], u.bare[i] = true, v, true
				}
			}
		}
	}
}

func (r *indicatorRun) format(v float64) string { return FormatValue(r.ind.Kind, r.ind.Measure, v) }

func (r *indicatorRun) anomaly(u *unitRun, per plan.Period, code, format string, args ...any) {
	reason := r.p.UnitName(u.id) + periodName(r.ind.Report.Frequency, per) + fmt.Sprintf(format, args...) + ",未采用"
	u.anomalies = append(u.anomalies, Anomaly{Unit: u.id, Period: per, Code: code, Reason: reason})
}

// score says whether a lead-time record counts yet, and if so whether it was
// within the limit. A record connected by the as-of day is scored on the
// working days it took; one not connected (or connected only after the
// as-of day) is late once more than the limit has passed, else left out.
// A record whose days the calendar cannot count is left out.
func (r *indicatorRun) score(o *plan.Observation) (scored, within bool) {
	cal := r.p.Calendar
	if cal == nil {
		return false, false
	}
	if !o.Connected.IsZero() && !o.Connected.After(r.c.day) {
		n, err := cal.WorkdaysBetween(o.Requested, o.Connected)
		if err != nil {
			return false, false
		}
		return true, n <= r.ind.Limit
	}
	n, err := cal.WorkdaysBetween(o.Requested, r.c.day)
	if err != nil || n <= r.ind.Limit {
		return false, false
	}
	return true, false
}

// unitFigure reads a unit's figure through month i.
func (r *indicatorRun) unitFigure(u *unitRun, i int) figure {
	f := figure{month: -1}
	if i >= len(u.has) {
		i = len(u.has) - 1
	}
	switch r.ind.Kind {
	case plan.Cumulative:
		for j := 0; j <= i; j++ {
			if u.has[j] {
				f.month = j
				f.inc += u.val[j]
			}
		}
		if f.month >= 0 {
			f.ok, f.value = true, u.baseline+f.inc
		}
	case plan.LeadTime:
		f.nd = true
		for j := 0; j <= i; j++ {
			if u.has[j] {
				f.month = j
			}
			f.num += float64(u.within[j])
			f.den += float64(u.scored[j])
		}
		if f.den > 0 {
			f.ok, f.value = true, f.num/f.den
		}
	default:
		for j := i; j >= 0; j-- {
			if u.has[j] {
				f.month = j
				break
			}
		}
		if f.month < 0 {
			return f
		}
		j := f.month
		switch {
		case r.ind.Kind != plan.Ratio && r.ind.Kind != plan.Coverage:
			f.ok, f.value = true, u.val[j]
		case u.bare[j]:
			f.ok, f.value, f.bare = true, u.val[j], true
		default:
			f.num, f.den, f.nd = u.num[j], u.den[j], true
			if f.den > 0 {
				f.ok, f.value = true, f.num/f.den
			}
		}
	}
	return f
}

// cityFigure aggregates the units' figures as the kind says: sums for
// level, count and cumulative; Σ numerators / Σ denominators for fractions.
// A ratio given as a bare value stands for the city only when it is the one
// row with a figure.
func (r *indicatorRun) cityFigure(figs []figure) figure {
	c := figure{month: -1}
	rows := 0
	var bare figure
	for _, f := range figs {
		if f.month < 0 {
			continue
		}
		rows++
		c.month = max(c.month, f.month)
		switch r.ind.Kind {
		case plan.Level, plan.Count:
			c.value += f.value
		case plan.Cumulative:
			c.inc += f.inc
		case plan.Ratio, plan.Coverage, plan.LeadTime:
			if f.bare {
				bare = f
				continue
			}
			c.num += f.num
			c.den += f.den
			c.nd = true
		}
	}
	if rows == 0 {
		return c
	}
	switch r.ind.Kind {
	case plan.Level, plan.Count:
		c.ok = true
	case plan.Cumulative:
		c.ok, c.value = true, r.ind.Baseline+c.inc
	default:
		if rows == 1 && bare.bare {
			c.ok, c.value, c.bare = true, bare.value, true
		} else if c.den > 0 {
			c.ok, c.value = true, c.num/c.den
		}
	}
	return c
}

// scope is whose figure an evaluation is about: the city's or one unit's.
type scope struct {
	unit      *unitRun // nil for the city
	target    plan.Target
	baseline  float64
	fig       figure
	reported  bool // the latest due report came
	missing   []string
	anomalies []Anomaly
}

// appendEvaluations appends the city's evaluation, then each row unit's, to out.
func (r *indicatorRun) appendEvaluations(out []Evaluation) []Evaluation {
	last := r.ended - 1
	figs := make([]figure, len(r.units))
	reported := make([]bool, len(r.units))
	city := scope{target: r.ind.Target, baseline: r.ind.Baseline}
	for k, u := range r.units {
		figs[k] = r.unitFigure(u, last)
		reported[k] = r.reported(u)
		if r.lastDueIdx >= 0 && !reported[k] {
			city.missing = append(city.missing, r.p.UnitName(u.id))
		}
		city.reported = city.reported || reported[k]
		city.anomalies = append(city.anomalies, u.anomalies...)
	}
	city.fig = r.cityFigure(figs)
	out = append(out, r.evaluate(city))
	for k, u := range r.units {
		out = append(out, r.evaluate(scope{
			unit: u, target: u.target, baseline: u.baseline,
			fig: figs[k], reported: reported[k], anomalies: u.anomalies,
		}))
	}
	return out
}

// reported says whether a unit's latest due report came: a usable figure for
// that period, or for lead time any record at all.
func (r *indicatorRun) reported(u *unitRun) bool {
	if r.lastDueIdx < 0 {
		return true
	}
	if r.ind.Kind == plan.LeadTime {
		for _, n := range u.records {
			if n > 0 {
				return true
			}
		}
		return false
	}
	return r.lastDueIdx < len(u.has) && u.has[r.lastDueIdx]
}

func (r *indicatorRun) evaluate(s scope) Evaluation {
	ind := r.ind
	ev := Evaluation{
		Indicator:  ind.ID,
		Task:       ind.Task,
		Name:       ind.Name,
		Kind:       string(ind.Kind),
		Measure:    ind.Measure,
		LastDue:    r.lastDue,
		Target:     ptr(s.target.Value),
		Comparator: string(s.target.Op),
		Baseline:   ptr(s.baseline),
		Missing:    s.missing,
		Anomalies:  s.anomalies,
	}
	if s.unit != nil {
		ev.UnitID, ev.Unit = s.unit.id, r.p.UnitName(s.unit.id)
	}
	if s.target.Op == plan.Between {
		ev.TargetHigh = ptr(s.target.High)
	}
	if s.fig.month >= 0 {
		ev.Period = r.first.AddMonths(s.fig.month)
		e := r.tr.expected(ev.Period.LastDay().End(r.c.loc), s.baseline, s.target.Value)
		ev.Expected = ptr(e)
		if s.fig.nd {
			ev.Numerator, ev.Denominator = ptr(s.fig.num), ptr(s.fig.den)
		}
		if s.fig.ok {
			ev.Actual = ptr(s.fig.value)
			ev.Progress = ptr(progress(s.fig.value, e, s.baseline, s.target.Op))
		}
	}
	met := s.fig.ok && s.target.Met(s.fig.value)
	// A lead-time share is a standard to hold all year, not a sum to reach:
	// meeting it so far is on track; only the whole year held achieves it.
	held := met && ind.Kind == plan.LeadTime && !r.c.reached(r.tr.due)
	switch {
	case held:
		statusOf(&ev, plan.OnTrack)
	case met:
		statusOf(&ev, plan.Achieved)
	case r.c.reached(r.tr.due):
		statusOf(&ev, plan.Missed)
	case r.lastDueIdx >= 0 && !s.reported:
		statusOf(&ev, plan.NoData)
	case ev.Progress != nil:
		statusOf(&ev, r.byProgress(*ev.Progress))
	case !r.c.reached(r.tr.start):
		statusOf(&ev, plan.NotStarted)
	default:
		statusOf(&ev, plan.OnTrack)
	}
	if !met && s.fig.ok {
		r.outlook(&ev, s)
	}
	ev.Reason = r.reason(&ev, s)
	return ev
}

// progress is (actual − baseline) / (expected − baseline); when nothing is
// expected beyond the baseline it is 1 if the actual has reached it, else
// actual / expected (0 when that is undefined).
func progress(actual, expected, baseline float64, op plan.Comparator) float64 {
	if expected != baseline {
		return (actual - baseline) / (expected - baseline)
	}
	reached := actual >= expected
	if op == plan.LE {
		reached = actual <= expected
	}
	switch {
	case reached:
		return 1
	case expected == 0:
		return 0
	}
	return actual / expected
}

func (r *indicatorRun) byProgress(p float64) plan.Status {
	switch {
	case p >= r.thresholds.OnTrack-epsilon:
		return plan.OnTrack
	case p < r.thresholds.Critical-epsilon:
		return plan.Critical
	}
	return plan.Lagging
}

// outlook sets the forecast (the pace so far, from the baseline, carried on
// to the due date) and what each remaining period must add to meet the
// target on time. A fraction's forecast stays within [0, 1]; where the
// target is the baseline itself the forecast is the actual.
func (r *indicatorRun) outlook(ev *Evaluation, s scope) {
	a, b := s.fig.value, s.baseline
	if share := r.tr.share(ev.Period.LastDay().End(r.c.loc)); share > 0 {
		f := b + (a-b)/share
		if s.target.Value == b {
			f = a // a standard held from the start has no pace to carry on: the figure stays as it is
		}
		if r.ind.Kind.IsFraction() {
			f = min(max(f, 0), 1)
		}
		ev.Forecast = ptr(f)
	}
	for _, per := range r.periods {
		if per.Compare(ev.Period) > 0 {
			ev.RemainingPeriods++
		}
	}
	if ev.RemainingPeriods > 0 {
		goal := s.target.Value
		if s.target.Op == plan.Between && a > s.target.High {
			goal = s.target.High
		}
		ev.NeededPerPeriod = ptr((goal - a) / float64(ev.RemainingPeriods))
	}
}
