// Package scenario reads and runs rule test files: a plan folder, an as-of
// time, observations and the evaluations expected of them, as `duban rules
// test` runs them (after promtool's `test rules`).
package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

// File is one rule test file.
type File struct {
	Path         string        `yaml:"-"`
	Plan         string        `yaml:"plan"`
	AsOf         string        `yaml:"as_of"`
	Observations []Observation `yaml:"observations"`
	Expect       []Expectation `yaml:"expect"`
}

// Observation is an observation as a test (or `duban eval --observations`) writes it:
// units by id, name or alias, dates and periods as text.
type Observation struct {
	Line        int      `yaml:"-"`
	Indicator   string   `yaml:"indicator"`
	Milestone   string   `yaml:"milestone"`
	Unit        string   `yaml:"unit"`
	Period      string   `yaml:"period"`
	Value       *float64 `yaml:"value"`
	Total       *float64 `yaml:"total"`
	Numerator   *float64 `yaml:"numerator"`
	Denominator *float64 `yaml:"denominator"`
	Requested   string   `yaml:"requested"`
	Connected   string   `yaml:"connected"`
	State       string   `yaml:"state"`
	Date        string   `yaml:"date"`
	Evidence    string   `yaml:"evidence"`
}

// Expectation is what one evaluation must show. Only the fields given are compared.
type Expectation struct {
	Line            int      `yaml:"-"`
	Indicator       string   `yaml:"indicator"`
	Milestone       string   `yaml:"milestone"`
	Unit            string   `yaml:"unit"`
	Status          string   `yaml:"status"`
	Period          string   `yaml:"period"`
	Actual          *float64 `yaml:"actual"`
	Expected        *float64 `yaml:"expected"`
	Target          *float64 `yaml:"target"`
	Progress        *float64 `yaml:"progress"`
	Forecast        *float64 `yaml:"forecast"`
	NeededPerPeriod *float64 `yaml:"needed_per_period"`
	Numerator       *float64 `yaml:"numerator"`
	Denominator     *float64 `yaml:"denominator"`
	State           string   `yaml:"state"`
	Reason          string   `yaml:"reason"` // a part of the reason sentence
	Anomalies       *int     `yaml:"anomalies"`
}

// Read parses a test file strictly: an unknown field is an error with its line.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Lines, for messages: decode again as nodes.
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) == nil && len(doc.Content) == 1 {
		root := doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			items := root.Content[i+1].Content
			switch root.Content[i].Value {
			case "observations":
				for j := range f.Observations {
					if j < len(items) {
						f.Observations[j].Line = items[j].Line
					}
				}
			case "expect":
				for j := range f.Expect {
					if j < len(items) {
						f.Expect[j].Line = items[j].Line
					}
				}
			}
		}
	}
	return f, nil
}

// PlanDir is the plan folder the file names, relative to the file.
func (f *File) PlanDir() string {
	if f.Plan == "" {
		return ""
	}
	if filepath.IsAbs(f.Plan) {
		return f.Plan
	}
	return filepath.Join(filepath.Dir(f.Path), f.Plan)
}

// ParseAsOf reads an as-of time: a date means the end of that day in loc;
// a date and time (2022-09-30T10:00 or RFC 3339) is that instant.
func ParseAsOf(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, err := plan.ParseDate(s); err == nil {
		return d.End(loc), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("as-of %q is neither a date (2022-09-30) nor a time (2022-09-30T18:00)", s)
}

// Convert turns test observations into plan observations, resolving units and
// periods against p. Every problem is returned, each with its line.
func Convert(p *plan.Plan, path string, in []Observation) ([]plan.Observation, error) {
	var errs []error
	out := make([]plan.Observation, 0, len(in))
	for _, o := range in {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: %s", path, o.Line, fmt.Sprintf(format, args...)))
		}
		obs := plan.Observation{Indicator: o.Indicator, Milestone: o.Milestone, Value: o.Value, Total: o.Total,
			Numerator: o.Numerator, Denominator: o.Denominator, Evidence: o.Evidence}
		switch {
		case (o.Indicator == "") == (o.Milestone == ""):
			bad("an observation names exactly one of indicator and milestone")
			continue
		case o.Indicator != "":
			if _, ok := p.Indicator(o.Indicator); !ok {
				bad("the plan has no indicator %q", o.Indicator)
				continue
			}
		default:
			if _, ok := p.Milestone(o.Milestone); !ok {
				bad("the plan has no milestone %q", o.Milestone)
				continue
			}
		}
		u, ok := p.Unit(o.Unit)
		if !ok {
			bad("unknown unit %q", o.Unit)
			continue
		}
		obs.Unit = u.ID
		var err error
		for _, d := range []struct {
			s   string
			dst *plan.Date
		}{{o.Requested, &obs.Requested}, {o.Connected, &obs.Connected}, {o.Date, &obs.Date}} {
			if d.s != "" {
				if *d.dst, err = plan.ParseDate(d.s); err != nil {
					bad("%v", err)
				}
			}
		}
		if o.State != "" {
			st, ok := plan.ParseMilestoneState(o.State)
			if !ok {
				bad("unknown milestone state %q (not_started, in_progress or done)", o.State)
			}
			obs.State = st
		}
		switch {
		case o.Period != "":
			if obs.Period, err = plan.ParsePeriod(o.Period); err != nil {
				bad("%v", err)
			}
		case !obs.Requested.IsZero():
			obs.Period = plan.PeriodOf(obs.Requested)
		case !obs.Date.IsZero():
			obs.Period = plan.PeriodOf(obs.Date)
		default:
			bad("an observation needs a period (or, for a record, requested; for a milestone, date)")
		}
		out = append(out, obs)
	}
	return out, errors.Join(errs...)
}

// Outcome is the result of one expectation.
type Outcome struct {
	Expectation Expectation
	Found       *evaluate.Evaluation
	Diffs       []Diff
	Err         error // the expectation itself is wrong (unknown id or unit)
}

// Diff is one compared field.
type Diff struct {
	Field, Want, Got string
}

// Passed reports whether the expectation held.
func (o Outcome) Passed() bool { return o.Err == nil && o.Found != nil && len(o.Diffs) == 0 }

// Run evaluates the file's observations against p and checks every expectation.
// An error means the file could not be run (no expectation, bad observations, bad as-of).
func Run(f *File, p *plan.Plan) ([]Outcome, error) {
	if len(f.Expect) == 0 {
		return nil, fmt.Errorf("%s: no expectation: a test file must expect something", f.Path)
	}
	asOf, err := ParseAsOf(f.AsOf, p.Location)
	if f.AsOf == "" {
		err = errors.New("as_of is missing")
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	obs, err := Convert(p, f.Path, f.Observations)
	if err != nil {
		return nil, err
	}
	evs := evaluate.Evaluate(p, obs, asOf)
	outcomes := make([]Outcome, 0, len(f.Expect))
	for _, e := range f.Expect {
		outcomes = append(outcomes, check(p, f.Path, e, evs))
	}
	return outcomes, nil
}

func check(p *plan.Plan, path string, e Expectation, evs []evaluate.Evaluation) Outcome {
	o := Outcome{Expectation: e}
	fail := func(format string, args ...any) Outcome {
		o.Err = fmt.Errorf("%s:%d: %s", path, e.Line, fmt.Sprintf(format, args...))
		return o
	}
	switch {
	case (e.Indicator == "") == (e.Milestone == ""):
		return fail("an expectation names exactly one of indicator and milestone")
	case e.Indicator != "":
		if _, ok := p.Indicator(e.Indicator); !ok {
			return fail("the plan has no indicator %q", e.Indicator)
		}
	default:
		if _, ok := p.Milestone(e.Milestone); !ok {
			return fail("the plan has no milestone %q", e.Milestone)
		}
	}
	unitID := ""
	if e.Unit != "" {
		u, ok := p.Unit(e.Unit)
		if !ok {
			return fail("unknown unit %q", e.Unit)
		}
		unitID = u.ID
	}
	if e.Status != "" && !knownStatus(e.Status) {
		return fail("unknown status %q", e.Status)
	}
	for i := range evs {
		ev := &evs[i]
		if ev.Indicator == e.Indicator && ev.Milestone == e.Milestone && ev.UnitID == unitID {
			o.Found = ev
			break
		}
	}
	if o.Found == nil {
		return fail("no evaluation of %s%s for unit %q: it is not one of its row units", e.Indicator, e.Milestone, e.Unit)
	}
	ev := o.Found
	cmpStr := func(field, want, got string) {
		if want != "" && want != got {
			o.Diffs = append(o.Diffs, Diff{field, want, got})
		}
	}
	cmpStr("status", e.Status, string(ev.Status))
	cmpStr("period", e.Period, ev.Period.String())
	cmpStr("state", e.State, string(ev.State))
	if e.Reason != "" && !strings.Contains(ev.Reason, e.Reason) {
		o.Diffs = append(o.Diffs, Diff{"reason", "…" + e.Reason + "…", ev.Reason})
	}
	for _, n := range []struct {
		field     string
		want, got *float64
	}{
		{"actual", e.Actual, ev.Actual},
		{"expected", e.Expected, ev.Expected},
		{"target", e.Target, ev.Target},
		{"progress", e.Progress, ev.Progress},
		{"forecast", e.Forecast, ev.Forecast},
		{"needed_per_period", e.NeededPerPeriod, ev.NeededPerPeriod},
		{"numerator", e.Numerator, ev.Numerator},
		{"denominator", e.Denominator, ev.Denominator},
	} {
		if n.want != nil && (n.got == nil || !Close(*n.want, *n.got)) {
			o.Diffs = append(o.Diffs, Diff{n.field, fmt.Sprint(*n.want), fmtPtr(n.got)})
		}
	}
	if e.Anomalies != nil && *e.Anomalies != len(ev.Anomalies) {
		o.Diffs = append(o.Diffs, Diff{"anomalies", fmt.Sprint(*e.Anomalies), fmt.Sprint(len(ev.Anomalies))})
	}
	return o
}

// Close compares two numbers with a relative tolerance of 1e-9.
func Close(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func knownStatus(s string) bool {
	for _, st := range plan.Statuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

func fmtPtr(v *float64) string {
	if v == nil {
		return "(none)"
	}
	return fmt.Sprint(*v)
}
