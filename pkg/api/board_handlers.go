package api

import (
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/report"
)

// board is the battle map: every task by part and section, and counts by status.
type board struct {
	AsOf     plan.Date           `json:"as_of"`
	Plan     planRef             `json:"plan"`
	Counts   map[plan.Status]int `json:"counts"`
	Statuses []statusLabel       `json:"statuses"`
	Parts    []boardPart         `json:"parts"`
}

type planRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type statusLabel struct {
	Status plan.Status `json:"status"`
	Label  string      `json:"label"`
}

type boardPart struct {
	Part     string         `json:"part"`
	Sections []boardSection `json:"sections"`
}

type boardSection struct {
	Section string     `json:"section"`
	Tasks   []taskView `json:"tasks"`
}

func (s *Server) handleGetBoard(c *fiber.Ctx) error {
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	return v.answer(c, "board", v.board)
}

// board builds the battle map from the view's evaluation.
func (v *view) board() any {
	tasks := v.tasks()
	out := board{AsOf: day(v.p, v.asOf), Plan: planRef{v.p.ID, v.p.Title}, Counts: counts(tasks), Parts: []boardPart{}}
	for _, st := range plan.Statuses {
		out.Statuses = append(out.Statuses, statusLabel{st, st.Label()})
	}
	for _, t := range tasks {
		if n := len(out.Parts); n == 0 || out.Parts[n-1].Part != t.Part {
			out.Parts = append(out.Parts, boardPart{Part: t.Part})
		}
		part := &out.Parts[len(out.Parts)-1]
		if n := len(part.Sections); n == 0 || part.Sections[n-1].Section != t.Section {
			part.Sections = append(part.Sections, boardSection{Section: t.Section})
		}
		sec := &part.Sections[len(part.Sections)-1]
		sec.Tasks = append(sec.Tasks, t)
	}
	return out
}

// timeline is the 作战图: tasks down the side, months across.
type timeline struct {
	AsOf   plan.Date     `json:"as_of"`
	Months []plan.Period `json:"months"`
	Rows   []timelineRow `json:"rows"`
}

type timelineRow struct {
	Task        string         `json:"task"`
	Title       string         `json:"title"`
	Section     string         `json:"section"`
	Status      plan.Status    `json:"status"`
	StatusLabel string         `json:"status_label"`
	Marks       []timelineMark `json:"marks"`
}

// timelineMark is one thing placed on a month: a milestone's due date, an
// indicator's checkpoint, or an indicator's due date.
type timelineMark struct {
	Month       plan.Period `json:"month"`
	Type        string      `json:"type"` // milestone | checkpoint | due
	ID          string      `json:"id"`
	Label       string      `json:"label"`
	Date        plan.Date   `json:"date"`
	Status      plan.Status `json:"status"`
	StatusLabel string      `json:"status_label"`
}

// handleGetTimeline places every milestone on its due month and every
// indicator checkpoint on its month. A checkpoint that has passed is coloured
// by the indicator's status as of that day (from what was received by as_of);
// one still ahead, and every due date, by its status as of as_of.
func (s *Server) handleGetTimeline(c *fiber.Ctx) error {
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	return v.answer(c, "timeline", v.timeline)
}

// timeline builds the 作战图 from the view's evaluation.
func (v *view) timeline() any {
	p, city := v.p, v.city()
	asOfDay := day(p, v.asOf)
	past := map[plan.Date]map[string]*evaluate.Evaluation{}
	statusAt := func(id string, d plan.Date) plan.Status {
		if !d.Before(asOfDay) {
			if ev := city[id]; ev != nil {
				return ev.Status
			}
			return plan.NotStarted
		}
		evs, ok := past[d]
		if !ok {
			vv := &view{p: p, evs: evaluate.Evaluate(p, v.obs, d.End(p.Location))}
			evs = vv.city()
			past[d] = evs
		}
		if ev := evs[id]; ev != nil {
			return ev.Status
		}
		return plan.NotStarted
	}
	out := timeline{AsOf: asOfDay}
	for per := plan.PeriodOf(p.Start); !per.LastDay().After(p.End); per = per.AddMonths(1) {
		out.Months = append(out.Months, per)
	}
	for _, tv := range v.tasks() {
		t, _ := p.Task(tv.ID)
		row := timelineRow{Task: t.ID, Title: t.Title, Section: t.Section, Status: tv.Status,
			StatusLabel: tv.StatusLabel, Marks: []timelineMark{}}
		add := func(typ, id, label string, d plan.Date, st plan.Status) {
			row.Marks = append(row.Marks, timelineMark{Month: plan.PeriodOf(d), Type: typ, ID: id, Label: label,
				Date: d, Status: st, StatusLabel: st.Label()})
		}
		for _, id := range t.Indicators {
			ind, ok := p.Indicator(id)
			if !ok {
				continue
			}
			for _, cp := range ind.Checkpoints {
				add("checkpoint", id, ind.Name+" "+evaluate.FormatPercent(cp.Share), cp.Date, statusAt(id, cp.Date))
			}
			add("due", id, ind.Name, ind.Due, statusAt(id, asOfDay))
		}
		for _, id := range t.Milestones {
			m, ok := p.Milestone(id)
			if !ok {
				continue
			}
			// A milestone done stands on the month it was done in; one still open, on its due month.
			at := m.Due
			if ev := city[id]; ev != nil && ev.State == plan.StateDone && !ev.Date.IsZero() {
				at = ev.Date
			}
			add("milestone", id, m.Deliverable, at, statusAt(id, asOfDay))
		}
		sort.SliceStable(row.Marks, func(i, j int) bool { return row.Marks[i].Date.Before(row.Marks[j].Date) })
		out.Rows = append(out.Rows, row)
	}
	return out
}

func (s *Server) handleListRankings(c *fiber.Ctx) error {
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	subs, err := s.submissions(c.UserContext(), v.p, v.asOf, "")
	if err != nil {
		return err
	}
	pg, err := paginate(c, report.Rank(v.p, v.evs, subs, v.asOf))
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// scorecard is one unit's standing.
type scorecard struct {
	AsOf        plan.Date             `json:"as_of"`
	Unit        unitView              `json:"unit"`
	Rank        *report.Ranking       `json:"rank"`
	Of          int                   `json:"of"`
	Tasks       []taskView            `json:"tasks"`
	Evaluations []evaluate.Evaluation `json:"evaluations"`
	Reports     []report.ReportLine   `json:"reports"`
}

// handleGetScorecard shows a unit's tasks (those it leads, directly or
// through a group, and those it has figures in), its own evaluations, its
// reports and its rank.
func (s *Server) handleGetScorecard(c *fiber.Ctx) error {
	ref, err := param(c, "id")
	if err != nil {
		return err
	}
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	u, err := unit(v.p, ref)
	if err != nil {
		return err
	}
	subs, err := s.submissions(c.UserContext(), v.p, v.asOf, "")
	if err != nil {
		return err
	}
	reporting := false
	for _, id := range v.p.ReportingUnits() {
		reporting = reporting || id == u.ID
	}
	out := scorecard{AsOf: day(v.p, v.asOf), Unit: unitView{u, reporting}, Tasks: []taskView{},
		Evaluations: []evaluate.Evaluation{}, Reports: report.Reports(v.p, u.ID, subs, v.asOf)}
	own := map[string]bool{}
	for _, ev := range v.evs {
		if ev.UnitID == u.ID {
			out.Evaluations = append(out.Evaluations, ev)
			own[ev.Task] = true
		}
	}
	for _, tv := range v.tasks() {
		t, _ := v.p.Task(tv.ID)
		if own[t.ID] || leads(v.p, t, u.ID) {
			out.Tasks = append(out.Tasks, tv)
		}
	}
	ranks := report.Rank(v.p, v.evs, subs, v.asOf)
	out.Of = len(ranks)
	for i := range ranks {
		if ranks[i].Unit.ID == u.ID {
			out.Rank = &ranks[i]
		}
	}
	return c.JSON(out)
}
