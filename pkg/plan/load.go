package plan

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// APIVersion is the rule-file format this loader reads.
const APIVersion = "duban/v1"

// Problem is one thing wrong in a rule file, with its place.
type Problem struct {
	File         string
	Line, Column int
	Msg          string
}

func (p Problem) Error() string { return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg) }

// Problems is every problem found in a rule folder; it is the error Load returns.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

type rawPlan struct {
	At         Pos
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	ID         string         `yaml:"id"`
	Title      string         `yaml:"title"`
	Document   string         `yaml:"document"`
	Start      Date           `yaml:"start"`
	End        Date           `yaml:"end"`
	Timezone   string         `yaml:"timezone"`
	Thresholds *rawThresholds `yaml:"thresholds"`
	Report     *rawReport     `yaml:"report"`
	Escalation *rawEscalation `yaml:"escalation"`
}

type rawThresholds struct {
	At       Pos
	OnTrack  *float64 `yaml:"on_track"`
	Critical *float64 `yaml:"critical"`
}

type rawReport struct {
	At          Pos
	Frequency   string `yaml:"frequency"`
	DueWorkdays *int   `yaml:"due_workdays"`
}

type rawEscalation struct {
	At       Pos
	FollowUp *int `yaml:"follow_up"`
	Briefing *int `yaml:"briefing"`
}

type rawUnits struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Units      []rawUnit `yaml:"units"`
}

type rawUnit struct {
	At      Pos
	ID      string   `yaml:"id"`
	Name    string   `yaml:"name"`
	Kind    string   `yaml:"kind"`
	Aliases []string `yaml:"aliases"`
	Parent  string   `yaml:"parent"`
	Members []string `yaml:"members"`
}

type rawCalendar struct {
	At         Pos
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	From       Date       `yaml:"from"`
	To         Date       `yaml:"to"`
	Holidays   []rawRange `yaml:"holidays"`
	Workdays   []rawDay   `yaml:"workdays"`
}

type rawRange struct {
	At   Pos
	From Date   `yaml:"from"`
	To   Date   `yaml:"to"`
	Name string `yaml:"name"`
}

type rawDay struct {
	At   Pos
	Date Date   `yaml:"date"`
	Name string `yaml:"name"`
}

type rawTasks struct {
	APIVersion string    `yaml:"apiVersion"`
	Kind       string    `yaml:"kind"`
	Part       string    `yaml:"part"`
	Tasks      []rawTask `yaml:"tasks"`
}

type rawTask struct {
	At         Pos
	ID         string         `yaml:"id"`
	Section    string         `yaml:"section"`
	Title      string         `yaml:"title"`
	Lead       []string       `yaml:"lead"`
	Co         []string       `yaml:"co"`
	Due        Date           `yaml:"due"`
	Indicators []rawIndicator `yaml:"indicators"`
	Milestones []rawMilestone `yaml:"milestones"`
}

type rawIndicator struct {
	At          Pos
	ID          string             `yaml:"id"`
	Name        string             `yaml:"name"`
	Measure     string             `yaml:"measure"`
	Kind        string             `yaml:"kind"`
	Comparator  string             `yaml:"comparator"`
	Target      yaml.Node          `yaml:"target"`
	Baseline    *float64           `yaml:"baseline"`
	Start       Date               `yaml:"start"`
	Due         Date               `yaml:"due"`
	Checkpoints []rawCheckpoint    `yaml:"checkpoints"`
	Thresholds  *rawThresholds     `yaml:"thresholds"`
	ReportedBy  yaml.Node          `yaml:"reported_by"`
	Rows        string             `yaml:"rows"`
	UnitTargets map[string]float64 `yaml:"unit_targets"`
	Limit       *int               `yaml:"limit"`
	Report      *rawReport         `yaml:"report"`
	Escalation  *rawEscalation     `yaml:"escalation"`
}

type rawCheckpoint struct {
	At    Pos
	Date  Date    `yaml:"date"`
	Share float64 `yaml:"share"`
}

type rawMilestone struct {
	At          Pos
	ID          string         `yaml:"id"`
	Deliverable string         `yaml:"deliverable"`
	Start       Date           `yaml:"start"`
	Due         Date           `yaml:"due"`
	Lead        []string       `yaml:"lead"`
	Report      *rawReport     `yaml:"report"`
	Escalation  *rawEscalation `yaml:"escalation"`
}

// file is one decoded rule file and where it came from.
type file[T any] struct {
	dec decoder
	raw T
	doc *yaml.Node
}

// loader gathers the decoded files of a folder and every problem found.
type loader struct {
	dir       string
	problems  Problems
	plans     []file[rawPlan]
	units     []file[rawUnits]
	calendars []file[rawCalendar]
	tasks     []file[rawTasks]
}

// Load reads and checks the plan in dir. It returns every problem found, as
// Problems, and never a partly checked plan.
func Load(dir string) (*Plan, error) {
	l := &loader{dir: dir}
	if err := l.readFolder(); err != nil {
		return nil, err
	}
	p := l.build()
	if len(l.problems) > 0 {
		sort.SliceStable(l.problems, func(i, j int) bool {
			a, b := l.problems[i], l.problems[j]
			if a.File != b.File {
				return a.File < b.File
			}
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Column < b.Column
		})
		return nil, l.problems
	}
	return p, nil
}

func (l *loader) readFolder() error {
	info, err := os.Stat(l.dir)
	if err != nil {
		return fmt.Errorf("load plan: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("load plan: %s is not a folder", l.dir)
	}
	return filepath.WalkDir(l.dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if path != l.dir && (e.Name() == "tests" || strings.HasPrefix(e.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("load plan: %w", err)
		}
		l.readFile(path, b)
		return nil
	})
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) readFile(path string, b []byte) {
	dec := decoder{file: path, problems: (*[]Problem)(&l.problems)}
	var doc yaml.Node
	yd := yaml.NewDecoder(bytes.NewReader(b))
	if err := yd.Decode(&doc); err != nil {
		line, msg := 1, err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			fmt.Sscan(m[1], &line)
			msg = m[2]
		}
		l.problems = append(l.problems, Problem{File: path, Line: line, Column: 1, Msg: "not valid YAML: " + msg})
		return
	}
	var extra yaml.Node
	if yd.Decode(&extra) == nil {
		dec.report(&extra, "a rule file holds one document; split it into files")
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		l.problems = append(l.problems, Problem{File: path, Line: 1, Column: 1, Msg: "a rule file must be a mapping starting with apiVersion and kind"})
		return
	}
	root := doc.Content[0]
	var version, kind *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "apiVersion":
			version = root.Content[i+1]
		case "kind":
			kind = root.Content[i+1]
		}
	}
	if version == nil || kind == nil {
		dec.report(root, "missing version header: a rule file starts with apiVersion: %s and kind: Plan|Units|Calendar|Tasks", APIVersion)
		return
	}
	if version.Value != APIVersion {
		dec.report(version, "unsupported apiVersion %q (this duban reads %s)", version.Value, APIVersion)
		return
	}
	switch kind.Value {
	case "Plan":
		f := file[rawPlan]{dec: dec, doc: root}
		dec.decode(root, reflect.ValueOf(&f.raw).Elem())
		l.plans = append(l.plans, f)
	case "Units":
		f := file[rawUnits]{dec: dec, doc: root}
		dec.decode(root, reflect.ValueOf(&f.raw).Elem())
		l.units = append(l.units, f)
	case "Calendar":
		f := file[rawCalendar]{dec: dec, doc: root}
		dec.decode(root, reflect.ValueOf(&f.raw).Elem())
		l.calendars = append(l.calendars, f)
	case "Tasks":
		f := file[rawTasks]{dec: dec, doc: root}
		dec.decode(root, reflect.ValueOf(&f.raw).Elem())
		l.tasks = append(l.tasks, f)
	default:
		dec.report(kind, "unknown kind %q (Plan, Units, Calendar or Tasks)", kind.Value)
	}
}

func (l *loader) folderProblem(format string, args ...any) {
	l.problems = append(l.problems, Problem{File: l.dir, Line: 1, Column: 1, Msg: fmt.Sprintf(format, args...)})
}

// build checks the decoded files against each other and assembles the plan.
func (l *loader) build() *Plan {
	p := &Plan{Dir: l.dir}
	switch len(l.plans) {
	case 0:
		l.folderProblem("no Plan file (kind: Plan) in the folder")
		return nil
	case 1:
	default:
		for _, f := range l.plans[1:] {
			f.dec.report(f.doc, "a second Plan file: a folder holds exactly one plan")
		}
	}
	l.buildPlan(p, l.plans[0])
	l.buildUnits(p)
	l.buildCalendar(p)
	l.buildTasks(p)
	return p
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func (l *loader) buildPlan(p *Plan, f file[rawPlan]) {
	r, dec := f.raw, f.dec
	p.ID, p.Title, p.Document = r.ID, r.Title, r.Document
	for _, req := range []struct{ name, v string }{{"id", r.ID}, {"title", r.Title}, {"timezone", r.Timezone}} {
		if req.v == "" {
			dec.reportAt(r.At, "the plan needs %s", req.name)
		}
	}
	if r.ID != "" && !idPattern.MatchString(r.ID) {
		dec.reportAt(r.At.Of("id"), "plan id %q: use letters, digits, '.', '-' or '_'", r.ID)
	}
	p.Start, p.End = r.Start, r.End
	if r.Start.IsZero() {
		dec.reportAt(r.At, "the plan needs start")
	}
	if r.End.IsZero() {
		dec.reportAt(r.At, "the plan needs end")
	}
	if !r.Start.IsZero() && !r.End.IsZero() && !r.Start.Before(r.End) {
		dec.reportAt(r.At.Of("end"), "end %s is not after start %s", r.End, r.Start)
	}
	p.Location = time.UTC
	if r.Timezone != "" {
		loc, err := time.LoadLocation(r.Timezone)
		if err != nil {
			dec.reportAt(r.At.Of("timezone"), "unknown time zone %q", r.Timezone)
		} else {
			p.Location = loc
		}
	}
	p.Thresholds = thresholds(dec, r.Thresholds, Thresholds{OnTrack: 0.95, Critical: 0.80})
	p.Report = report(dec, r.Report, ReportSchedule{Frequency: Monthly, DueWorkdays: 5})
	p.Escalation = escalation(dec, r.Escalation, Escalation{FollowUp: 3, Briefing: 10})
}

func thresholds(dec decoder, r *rawThresholds, def Thresholds) Thresholds {
	if r == nil {
		return def
	}
	t := def
	if r.OnTrack != nil {
		t.OnTrack = *r.OnTrack
	}
	if r.Critical != nil {
		t.Critical = *r.Critical
	}
	if t.OnTrack <= 0 || t.OnTrack > 1 {
		dec.reportAt(r.At.Of("on_track"), "on_track threshold %g must be a progress ratio in (0, 1]", t.OnTrack)
	}
	if t.Critical < 0 || t.Critical > t.OnTrack {
		dec.reportAt(r.At.Of("critical"), "critical threshold %g must be between 0 and on_track (%g)", t.Critical, t.OnTrack)
	}
	return t
}

func report(dec decoder, r *rawReport, def ReportSchedule) ReportSchedule {
	if r == nil {
		return def
	}
	s := def
	if r.Frequency != "" {
		s.Frequency = Frequency(r.Frequency)
		if s.Frequency != Monthly && s.Frequency != Quarterly {
			dec.reportAt(r.At.Of("frequency"), "unknown frequency %q (monthly or quarterly)", r.Frequency)
		}
	}
	if r.DueWorkdays != nil {
		s.DueWorkdays = *r.DueWorkdays
		if s.DueWorkdays < 0 || s.DueWorkdays > 60 {
			dec.reportAt(r.At.Of("due_workdays"), "due_workdays %d must be between 0 and 60", s.DueWorkdays)
		}
	}
	return s
}

func escalation(dec decoder, r *rawEscalation, def Escalation) Escalation {
	if r == nil {
		return def
	}
	e := def
	if r.FollowUp != nil {
		e.FollowUp = *r.FollowUp
	}
	if r.Briefing != nil {
		e.Briefing = *r.Briefing
	}
	if e.FollowUp < 1 || e.Briefing <= e.FollowUp {
		dec.reportAt(r.At, "escalation: follow_up (%d) must be at least 1 and briefing (%d) after it", e.FollowUp, e.Briefing)
	}
	return e
}

func (l *loader) buildUnits(p *Plan) {
	if len(l.units) == 0 {
		l.folderProblem("no Units file (kind: Units) in the folder")
		return
	}
	type seen struct {
		file string
		pos  Pos
		unit string
	}
	names := map[string]seen{}
	type pending struct {
		dec decoder
		raw rawUnit
	}
	var all []pending
	for _, f := range l.units {
		for _, r := range f.raw.Units {
			all = append(all, pending{f.dec, r})
			if r.ID == "" || r.Name == "" {
				f.dec.reportAt(r.At, "a unit needs id and name")
				continue
			}
			if !idPattern.MatchString(r.ID) {
				f.dec.reportAt(r.At.Of("id"), "unit id %q: use ASCII letters, digits, '.', '-' or '_' (the Chinese name goes in name)", r.ID)
			}
			kind := UnitKind(r.Kind)
			switch kind {
			case Department, Region, Locality, Group:
			case "":
				f.dec.reportAt(r.At, "unit %s needs kind (department, region, locality or group)", r.ID)
			default:
				f.dec.reportAt(r.At.Of("kind"), "unknown unit kind %q (department, region, locality or group)", r.Kind)
			}
			for i, ref := range append([]string{r.ID, r.Name}, r.Aliases...) {
				at := r.At.Of("id")
				if i == 1 {
					at = r.At.Of("name")
				} else if i > 1 {
					at = r.At.Of("aliases")
				}
				if prev, dup := names[ref]; dup {
					f.dec.reportAt(at, "duplicate unit name %q: already used by unit %s at %s:%d", ref, prev.unit, prev.file, prev.pos.Line)
					continue
				}
				names[ref] = seen{f.dec.file, at, r.ID}
			}
			p.Units = append(p.Units, &Unit{ID: r.ID, Name: r.Name, Kind: kind, Aliases: r.Aliases, Parent: r.Parent})
		}
	}
	p.Reindex()
	i := 0
	for _, pu := range all {
		if pu.raw.ID == "" || pu.raw.Name == "" {
			continue
		}
		u := p.Units[i]
		i++
		if pu.raw.Parent != "" {
			if parent, ok := p.Unit(pu.raw.Parent); ok {
				u.Parent = parent.ID
			} else {
				pu.dec.reportAt(pu.raw.At.Of("parent"), "unknown parent unit %q", pu.raw.Parent)
			}
		} else if u.Kind == Locality {
			pu.dec.reportAt(pu.raw.At, "locality %s needs a parent region", u.ID)
		}
		if len(pu.raw.Members) > 0 && u.Kind != Group {
			pu.dec.reportAt(pu.raw.At.Of("members"), "only a group has members")
		}
		for _, m := range pu.raw.Members {
			mu, ok := p.Unit(m)
			if !ok {
				pu.dec.reportAt(pu.raw.At.Of("members"), "unknown unit %q among the members of %s%s", m, u.ID, suggest(p, m))
				continue
			}
			if mu.Kind == Group {
				pu.dec.reportAt(pu.raw.At.Of("members"), "group %s cannot have group %s as a member", u.ID, mu.ID)
				continue
			}
			u.Members = append(u.Members, mu.ID)
		}
	}
}

// suggest offers a unit name that differs from ref by one character, for messages.
func suggest(p *Plan, ref string) string {
	r := []rune(ref)
	for _, u := range p.Units {
		for _, name := range append([]string{u.Name}, u.Aliases...) {
			n := []rune(name)
			if len(n) != len(r) {
				continue
			}
			diff := 0
			for i := range n {
				if n[i] != r[i] {
					diff++
				}
			}
			if diff == 1 {
				return fmt.Sprintf(" (did you mean %s?)", u.Name)
			}
		}
	}
	return ""
}

func (l *loader) buildCalendar(p *Plan) {
	switch len(l.calendars) {
	case 0:
		l.folderProblem("no Calendar file (kind: Calendar) in the folder")
		p.Calendar = &Calendar{}
		return
	case 1:
	default:
		for _, f := range l.calendars[1:] {
			f.dec.reportAt(f.raw.At, "a second Calendar file: a folder holds exactly one calendar")
		}
	}
	f := l.calendars[0]
	r, dec := f.raw, f.dec
	c := &Calendar{From: r.From, To: r.To, Holidays: map[Date]string{}, Workdays: map[Date]string{}}
	p.Calendar = c
	if r.From.IsZero() || r.To.IsZero() {
		dec.reportAt(r.At, "the calendar needs from and to")
		return
	}
	if r.To.Before(r.From) {
		dec.reportAt(r.At.Of("to"), "to %s is before from %s", r.To, r.From)
	}
	if !p.Start.IsZero() && !c.Covers(p.Start) || !p.End.IsZero() && !c.Covers(p.End) {
		dec.reportAt(r.At, "the calendar (%s to %s) must cover the plan's period (%s to %s)", r.From, r.To, p.Start, p.End)
	}
	for _, h := range r.Holidays {
		if h.From.IsZero() || h.To.IsZero() {
			dec.reportAt(h.At, "a holiday needs from and to")
			continue
		}
		if h.To.Before(h.From) {
			dec.reportAt(h.At.Of("to"), "holiday %s ends (%s) before it starts (%s)", h.Name, h.To, h.From)
			continue
		}
		for d := h.From; !d.After(h.To); d = d.AddDays(1) {
			if !c.Covers(d) {
				dec.reportAt(h.At, "holiday %s on %s lies outside the calendar", h.Name, d)
				break
			}
			c.Holidays[d] = h.Name
		}
	}
	for _, w := range r.Workdays {
		if w.Date.IsZero() {
			dec.reportAt(w.At, "a make-up working day needs date")
			continue
		}
		if wd := w.Date.Weekday(); wd != time.Saturday && wd != time.Sunday {
			dec.reportAt(w.At.Of("date"), "%s is a %s: only a weekend day can be a make-up working day", w.Date, wd)
		}
		if _, clash := c.Holidays[w.Date]; clash {
			dec.reportAt(w.At.Of("date"), "%s is both a holiday and a make-up working day", w.Date)
		}
		if !c.Covers(w.Date) {
			dec.reportAt(w.At.Of("date"), "make-up working day %s lies outside the calendar", w.Date)
		}
		c.Workdays[w.Date] = w.Name
	}
}

// resolveUnits turns unit references into unit ids. With expand, a group stands for its members.
func resolveUnits(p *Plan, dec decoder, at Pos, refs []string, expand bool) []string {
	var out []string
	add := func(id string) {
		if !contains(out, id) {
			out = append(out, id)
		}
	}
	for _, ref := range refs {
		u, ok := p.Unit(ref)
		if !ok {
			dec.reportAt(at, "unknown unit %q%s", ref, suggest(p, ref))
			continue
		}
		if expand && u.Kind == Group {
			for _, m := range u.Members {
				add(m)
			}
			continue
		}
		add(u.ID)
	}
	return out
}

// comparators says which comparators each kind can use: a sum only grows, so "at most" makes no sense for it.
var comparators = map[Kind][]Comparator{
	Level:      {GE, GT, LE, Between},
	Cumulative: {GE, GT, Between},
	Ratio:      {GE, GT, LE, Between},
	Coverage:   {GE, GT, Between},
	LeadTime:   {GE, GT, Between},
	Count:      {GE, GT, LE, Between},
}

func (l *loader) buildTasks(p *Plan) {
	if len(l.tasks) == 0 {
		l.folderProblem("no Tasks file (kind: Tasks) in the folder")
		return
	}
	type where struct {
		file string
		line int
	}
	ids := map[string]where{}
	subjects := map[string]where{}
	for _, f := range l.tasks {
		dec := f.dec
		for _, rt := range f.raw.Tasks {
			if rt.ID == "" || rt.Title == "" {
				dec.reportAt(rt.At, "a task needs id and title")
			}
			if prev, dup := ids[rt.ID]; dup && rt.ID != "" {
				dec.reportAt(rt.At.Of("id"), "duplicate task id %q: already at %s:%d", rt.ID, prev.file, prev.line)
			}
			ids[rt.ID] = where{dec.file, rt.At.Of("id").Line}
			t := &Task{ID: rt.ID, Part: f.raw.Part, Section: rt.Section, Title: rt.Title, Due: rt.Due}
			if len(rt.Lead) == 0 {
				dec.reportAt(rt.At, "task %s has no lead unit (lead: [...])", rt.ID)
			}
			t.Lead = resolveUnits(p, dec, rt.At.Of("lead"), rt.Lead, false)
			t.Co = resolveUnits(p, dec, rt.At.Of("co"), rt.Co, false)
			if t.Due.IsZero() {
				t.Due = p.End
			}
			if len(rt.Indicators) == 0 && len(rt.Milestones) == 0 {
				dec.reportAt(rt.At, "task %s has neither an indicator nor a milestone: give it a milestone", rt.ID)
			}
			for _, ri := range rt.Indicators {
				if prev, dup := subjects[ri.ID]; dup && ri.ID != "" {
					dec.reportAt(ri.At.Of("id"), "duplicate id %q: already at %s:%d", ri.ID, prev.file, prev.line)
				}
				subjects[ri.ID] = where{dec.file, ri.At.Of("id").Line}
				if ind := l.buildIndicator(p, dec, t, ri); ind != nil {
					p.Indicators = append(p.Indicators, ind)
					t.Indicators = append(t.Indicators, ind.ID)
				}
			}
			for _, rm := range rt.Milestones {
				if prev, dup := subjects[rm.ID]; dup && rm.ID != "" {
					dec.reportAt(rm.At.Of("id"), "duplicate id %q: already at %s:%d", rm.ID, prev.file, prev.line)
				}
				subjects[rm.ID] = where{dec.file, rm.At.Of("id").Line}
				m := l.buildMilestone(p, dec, t, rm)
				p.Milestones = append(p.Milestones, m)
				t.Milestones = append(t.Milestones, m.ID)
			}
			p.Tasks = append(p.Tasks, t)
		}
	}
	p.Reindex()
}

func (l *loader) buildIndicator(p *Plan, dec decoder, t *Task, r rawIndicator) *Indicator {
	ind := &Indicator{ID: r.ID, Task: t.ID, Name: r.Name, Measure: r.Measure, Kind: Kind(r.Kind), Start: r.Start, Due: r.Due}
	if r.ID == "" {
		dec.reportAt(r.At, "an indicator needs id")
	} else if !idPattern.MatchString(r.ID) {
		dec.reportAt(r.At.Of("id"), "indicator id %q: use letters, digits, '.', '-' or '_'", r.ID)
	}
	if r.Name == "" {
		dec.reportAt(r.At, "indicator %s needs name", r.ID)
	}
	allowed, known := comparators[ind.Kind]
	if !known {
		dec.reportAt(r.At.Of("kind"), "indicator %s: unknown kind %q (level, cumulative, ratio, coverage, lead_time or count)", r.ID, r.Kind)
	}
	ind.Target.Op = Comparator(r.Comparator)
	if r.Comparator == "" {
		dec.reportAt(r.At, "indicator %s needs comparator (>=, >, <= or between)", r.ID)
	} else if known && !containsOp(allowed, ind.Target.Op) {
		dec.reportAt(r.At.Of("comparator"), "indicator %s: a %s indicator cannot use comparator %q (it can use %s)", r.ID, ind.Kind, r.Comparator, joinOps(allowed))
	}
	l.target(dec, r, ind)
	if r.Baseline != nil {
		ind.Baseline = *r.Baseline
		if ind.Kind.IsFraction() && (ind.Baseline < 0 || ind.Baseline > 1) {
			dec.reportAt(r.At.Of("baseline"), "indicator %s: a %s is a fraction between 0 and 1; baseline %g is not (did you mean %g?)", r.ID, ind.Kind, ind.Baseline, ind.Baseline/100)
		}
	} else if ind.Kind == LeadTime {
		ind.Baseline = 0
	}
	if ind.Start.IsZero() {
		ind.Start = p.Start
	}
	if ind.Due.IsZero() {
		ind.Due = t.Due
	}
	if !ind.Start.IsZero() && !ind.Due.IsZero() && !ind.Start.Before(ind.Due) {
		dec.reportAt(r.At.Of("due"), "indicator %s: due %s is not after start %s", r.ID, ind.Due, ind.Start)
	}
	prev := Checkpoint{Date: ind.Start}
	for _, c := range r.Checkpoints {
		switch {
		case c.Date.IsZero():
			dec.reportAt(c.At, "a checkpoint needs date and share")
		case !c.Date.After(prev.Date):
			dec.reportAt(c.At.Of("date"), "indicator %s: checkpoints out of order: %s is not after %s", r.ID, c.Date, prev.Date)
		case !c.Date.Before(ind.Due):
			dec.reportAt(c.At.Of("date"), "indicator %s: checkpoint %s is not before due %s", r.ID, c.Date, ind.Due)
		case c.Share < 0 || c.Share > 1:
			dec.reportAt(c.At.Of("share"), "indicator %s: checkpoint share %g must be between 0 and 1 (30%% is 0.3)", r.ID, c.Share)
		case c.Share < prev.Share:
			dec.reportAt(c.At.Of("share"), "indicator %s: checkpoints out of order: share %g is below the one before (%g)", r.ID, c.Share, prev.Share)
		}
		prev = Checkpoint{Date: c.Date, Share: c.Share}
		ind.Checkpoints = append(ind.Checkpoints, prev)
	}
	ind.Thresholds = thresholds(dec, r.Thresholds, p.Thresholds)
	ind.Report = report(dec, r.Report, p.Report)
	ind.Escalation = escalation(dec, r.Escalation, p.Escalation)

	before := len(l.problems)
	if r.ReportedBy.Kind == 0 {
		ind.ReportedBy = resolveUnits(p, dec, r.At, t.Lead, true)
	} else {
		refs, ok := stringList(&r.ReportedBy)
		if !ok {
			dec.reportAt(r.At.Of("reported_by"), "reported_by is a unit, a group or a list of them")
		}
		ind.ReportedBy = resolveUnits(p, dec, r.At.Of("reported_by"), refs, true)
	}
	if len(ind.ReportedBy) == 0 && len(l.problems) == before && len(t.Lead) > 0 {
		dec.reportAt(r.At, "indicator %s has no unit to report it (reported_by)", r.ID)
	}
	ind.Rows = Rows(r.Rows)
	switch ind.Rows {
	case "":
		ind.Rows = RowsReporter
		if ind.Kind == LeadTime {
			ind.Rows = RowsRecords
		}
		fallthrough
	case RowsReporter, RowsRecords:
		ind.RowUnits = ind.ReportedBy
	case RowsRegions:
		for _, u := range p.UnitsOf(Region) {
			ind.RowUnits = append(ind.RowUnits, u.ID)
		}
	default:
		dec.reportAt(r.At.Of("rows"), "indicator %s: unknown rows %q (reporter, regions or records)", r.ID, r.Rows)
	}
	if (ind.Kind == LeadTime) != (ind.Rows == RowsRecords) && ind.Rows != "" {
		dec.reportAt(r.At.Of("rows"), "indicator %s: a lead_time indicator, and only one, is reported as records", r.ID)
	}
	if ind.Kind == LeadTime {
		if r.Limit == nil || *r.Limit < 1 {
			dec.reportAt(r.At, "indicator %s: a lead_time indicator needs limit, the working days allowed", r.ID)
		} else {
			ind.Limit = *r.Limit
		}
	} else if r.Limit != nil {
		dec.reportAt(r.At.Of("limit"), "indicator %s: limit applies only to lead_time indicators", r.ID)
	}
	if len(r.UnitTargets) > 0 {
		ind.UnitTargets = map[string]float64{}
		for _, ref := range sortedKeys(r.UnitTargets) {
			u, ok := p.Unit(ref)
			if !ok || !contains(ind.RowUnits, u.ID) {
				dec.reportAt(r.At.Of("unit_targets"), "indicator %s: unit_targets names %q, which is not one of its row units", r.ID, ref)
				continue
			}
			ind.UnitTargets[u.ID] = r.UnitTargets[ref]
		}
	}
	l.checkDueDates(p, dec, r.At, ind.ID, ind.Report, ind.Start, ind.Due)
	return ind
}

func (l *loader) target(dec decoder, r rawIndicator, ind *Indicator) {
	at := r.At.Of("target")
	n := &r.Target
	switch {
	case n.Kind == 0:
		dec.reportAt(r.At, "indicator %s needs target", r.ID)
		return
	case ind.Target.Op == Between:
		var pair []float64
		if n.Kind == yaml.SequenceNode {
			dec.decode(n, reflect.ValueOf(&pair).Elem())
		}
		if len(pair) != 2 || pair[0] > pair[1] {
			dec.reportAt(at, "indicator %s: a between target is [low, high], low ≤ high", r.ID)
			return
		}
		ind.Target.Value, ind.Target.High = pair[0], pair[1]
	default:
		if n.Kind != yaml.ScalarNode {
			dec.reportAt(at, "indicator %s: target is a number (a list only with comparator between)", r.ID)
			return
		}
		dec.decode(n, reflect.ValueOf(&ind.Target.Value).Elem())
	}
	if ind.Kind.IsFraction() {
		for _, v := range []float64{ind.Target.Value, ind.Target.High} {
			if v > 1 {
				dec.reportAt(at, "indicator %s: a %s target is a fraction: %g is above 1 — did you mean %g?", r.ID, ind.Kind, v, v/100)
				return
			}
			if v < 0 {
				dec.reportAt(at, "indicator %s: target %g is below 0", r.ID, v)
			}
		}
	}
}

func (l *loader) buildMilestone(p *Plan, dec decoder, t *Task, r rawMilestone) *Milestone {
	m := &Milestone{ID: r.ID, Task: t.ID, Deliverable: r.Deliverable, Start: r.Start, Due: r.Due}
	if r.ID == "" || r.Deliverable == "" {
		dec.reportAt(r.At, "a milestone needs id and deliverable")
	} else if !idPattern.MatchString(r.ID) {
		dec.reportAt(r.At.Of("id"), "milestone id %q: use letters, digits, '.', '-' or '_'", r.ID)
	}
	if m.Start.IsZero() {
		m.Start = p.Start
	}
	if m.Due.IsZero() {
		m.Due = t.Due
	}
	if !m.Start.IsZero() && !m.Due.IsZero() && !m.Start.Before(m.Due) {
		dec.reportAt(r.At.Of("due"), "milestone %s: due %s is not after start %s", r.ID, m.Due, m.Start)
	}
	before := len(l.problems)
	if len(r.Lead) == 0 {
		m.Lead = resolveUnits(p, dec, r.At, t.Lead, true)
	} else {
		m.Lead = resolveUnits(p, dec, r.At.Of("lead"), r.Lead, true)
	}
	if len(m.Lead) == 0 && len(l.problems) == before && (len(r.Lead) > 0 || len(t.Lead) > 0) {
		dec.reportAt(r.At, "milestone %s has no unit to report it (lead)", r.ID)
	}
	m.Report = report(dec, r.Report, p.Report)
	m.Escalation = escalation(dec, r.Escalation, p.Escalation)
	l.checkDueDates(p, dec, r.At, m.ID, m.Report, m.Start, m.Due)
	return m
}

// checkDueDates makes sure the calendar can say when every report falls due.
func (l *loader) checkDueDates(p *Plan, dec decoder, at Pos, id string, s ReportSchedule, start, due Date) {
	if p.Calendar == nil || p.Calendar.From.IsZero() || start.IsZero() || due.IsZero() || !start.Before(due) {
		return
	}
	periods := Periods(s, start, due)
	if len(periods) == 0 {
		return
	}
	last := periods[len(periods)-1]
	if _, err := p.ReportDue(s, last); err != nil {
		dec.reportAt(at, "%s: the report for %s falls due after the calendar ends (%s): extend the calendar", id, last, p.Calendar.To)
	}
}

// stringList reads a scalar or a list of scalars.
func stringList(n *yaml.Node) ([]string, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}, n.Value != ""
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return out, false
			}
			out = append(out, c.Value)
		}
		return out, true
	}
	return nil, false
}

func containsOp(ops []Comparator, op Comparator) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

func joinOps(ops []Comparator) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}
