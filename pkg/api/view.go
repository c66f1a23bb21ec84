package api

import (
	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/report"
)

// boardIndicator is an indicator's cell on the battle map.
type boardIndicator struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Status      plan.Status `json:"status"`
	StatusLabel string      `json:"status_label"`
	Reason      string      `json:"reason"`
}

// boardMilestone is a milestone's cell on the battle map.
type boardMilestone struct {
	ID          string      `json:"id"`
	Deliverable string      `json:"deliverable"`
	Status      plan.Status `json:"status"`
	StatusLabel string      `json:"status_label"`
	Reason      string      `json:"reason"`
	Due         plan.Date   `json:"due"`
}

// taskView is a task with its status, as the board and the task list show it.
type taskView struct {
	ID          string           `json:"id"`
	Part        string           `json:"part"`
	Section     string           `json:"section"`
	Title       string           `json:"title"`
	Lead        []report.UnitRef `json:"lead"`
	Co          []report.UnitRef `json:"co"`
	Due         plan.Date        `json:"due"`
	Status      plan.Status      `json:"status"`
	StatusLabel string           `json:"status_label"`
	Reason      string           `json:"reason"`
	Indicators  []boardIndicator `json:"indicators"`
	Milestones  []boardMilestone `json:"milestones"`
}

// city indexes the city evaluation of every indicator and milestone by id.
func (v *view) city() map[string]*evaluate.Evaluation {
	out := map[string]*evaluate.Evaluation{}
	for i := range v.evs {
		ev := &v.evs[i]
		if ev.UnitID == "" {
			out[ev.Indicator+ev.Milestone] = ev
		}
	}
	return out
}

// subject splits one indicator's or milestone's evaluations into the city
// figure and the units' figures (never nil, so JSON shows []).
func (v *view) subject(id string) (*evaluate.Evaluation, []evaluate.Evaluation) {
	var city *evaluate.Evaluation
	units := []evaluate.Evaluation{}
	for i := range v.evs {
		ev := &v.evs[i]
		switch {
		case ev.Indicator+ev.Milestone != id:
		case ev.UnitID == "":
			city = ev
		default:
			units = append(units, *ev)
		}
	}
	return city, units
}

// tasks builds every task's view, in plan order.
func (v *view) tasks() []taskView {
	city := v.city()
	statuses := evaluate.TaskStatuses(v.p, v.evs)
	out := make([]taskView, 0, len(v.p.Tasks))
	for _, t := range v.p.Tasks {
		tv := taskView{ID: t.ID, Part: t.Part, Section: t.Section, Title: t.Title, Due: t.Due,
			Lead: refs(v.p, t.Lead), Co: refs(v.p, t.Co),
			Indicators: []boardIndicator{}, Milestones: []boardMilestone{}}
		tv.Status = plan.NotStarted
		if st, ok := statuses[t.ID]; ok {
			tv.Status = st
		}
		worst := -1
		note := func(ev *evaluate.Evaluation) {
			if ev.Status.Severity() > worst {
				worst, tv.Reason = ev.Status.Severity(), ev.Reason
			}
		}
		for _, id := range t.Indicators {
			bi := boardIndicator{ID: id, Status: plan.NotStarted}
			if ind, ok := v.p.Indicator(id); ok {
				bi.Name = ind.Name
			}
			if ev := city[id]; ev != nil {
				bi.Status, bi.Reason = ev.Status, ev.Reason
				note(ev)
			}
			bi.StatusLabel = bi.Status.Label()
			tv.Indicators = append(tv.Indicators, bi)
		}
		for _, id := range t.Milestones {
			bm := boardMilestone{ID: id, Status: plan.NotStarted}
			if m, ok := v.p.Milestone(id); ok {
				bm.Deliverable, bm.Due = m.Deliverable, m.Due
			}
			if ev := city[id]; ev != nil {
				bm.Status, bm.Reason = ev.Status, ev.Reason
				note(ev)
			}
			bm.StatusLabel = bm.Status.Label()
			tv.Milestones = append(tv.Milestones, bm)
		}
		tv.StatusLabel = tv.Status.Label()
		out = append(out, tv)
	}
	return out
}

// counts counts tasks by status, every status present.
func counts(tasks []taskView) map[plan.Status]int {
	out := map[plan.Status]int{}
	for _, s := range plan.Statuses {
		out[s] = 0
	}
	for _, t := range tasks {
		out[t.Status]++
	}
	return out
}

// refs names units by id.
func refs(p *plan.Plan, ids []string) []report.UnitRef {
	out := make([]report.UnitRef, len(ids))
	for i, id := range ids {
		out[i] = report.UnitRef{ID: id, Name: p.UnitName(id)}
	}
	return out
}

// leads reports whether a unit leads a task, directly or through a group it is a member of.
func leads(p *plan.Plan, t *plan.Task, unitID string) bool {
	for _, id := range t.Lead {
		if id == unitID {
			return true
		}
		if g, ok := p.Unit(id); ok && g.Kind == plan.Group {
			for _, m := range g.Members {
				if m == unitID {
					return true
				}
			}
		}
	}
	return false
}
