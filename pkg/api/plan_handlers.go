package api

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

// planInfo is the plan's header and counts.
type planInfo struct {
	ID         string              `json:"id"`
	Title      string              `json:"title"`
	Document   string              `json:"document"`
	Start      plan.Date           `json:"start"`
	End        plan.Date           `json:"end"`
	Timezone   string              `json:"timezone"`
	AsOf       plan.Date           `json:"as_of"`
	Generation int64               `json:"generation"`
	Tasks      int                 `json:"tasks"`
	Indicators int                 `json:"indicators"`
	Milestones int                 `json:"milestones"`
	Units      int                 `json:"units"`
	Counts     map[plan.Status]int `json:"counts"`
}

func (s *Server) handleGetPlan(c *fiber.Ctx) error {
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	p := v.p
	return c.JSON(planInfo{ID: p.ID, Title: p.Title, Document: p.Document, Start: p.Start, End: p.End,
		Timezone: p.Location.String(), AsOf: day(p, v.asOf), Generation: v.gen,
		Tasks: len(p.Tasks), Indicators: len(p.Indicators), Milestones: len(p.Milestones), Units: len(p.Units),
		Counts: counts(v.tasks())})
}

// statusFilter reads ?status=, which must be a status if given.
func statusFilter(c *fiber.Ctx) (plan.Status, error) {
	q := c.Query("status")
	if q == "" {
		return "", nil
	}
	for _, st := range plan.Statuses {
		if q == string(st) {
			return st, nil
		}
	}
	return "", plan.Errorf(plan.EINVALID, "status 参数「%s」无效", q)
}

func (s *Server) handleListTasks(c *fiber.Ctx) error {
	st, err := statusFilter(c)
	if err != nil {
		return err
	}
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	var lead string
	if q := c.Query("lead"); q != "" {
		u, err := unit(v.p, q)
		if err != nil {
			return err
		}
		lead = u.ID
	}
	var out []taskView
	for _, tv := range v.tasks() {
		t, _ := v.p.Task(tv.ID)
		if (st == "" || tv.Status == st) && (lead == "" || leads(v.p, t, lead)) {
			out = append(out, tv)
		}
	}
	pg, err := paginate(c, out)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// taskDetail is one task with the city evaluation of each of its subjects.
type taskDetail struct {
	Task        taskView              `json:"task"`
	Evaluations []evaluate.Evaluation `json:"evaluations"`
	Alerts      []alertView           `json:"alerts"`
}

func (s *Server) handleGetTask(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	if _, ok := v.p.Task(id); !ok {
		return plan.Errorf(plan.ENOTFOUND, "任务「%s」不存在", id)
	}
	out := taskDetail{Evaluations: []evaluate.Evaluation{}}
	for _, tv := range v.tasks() {
		if tv.ID == id {
			out.Task = tv
		}
	}
	for _, ev := range v.evs {
		if ev.Task == id && ev.UnitID == "" {
			out.Evaluations = append(out.Evaluations, ev)
		}
	}
	if out.Alerts, err = s.alertsWhere(c, v, func(a plan.Alert) bool { return a.Task == id }); err != nil {
		return err
	}
	return c.JSON(out)
}

// indicatorView is an indicator with its city evaluation.
type indicatorView struct {
	Indicator *plan.Indicator      `json:"indicator"`
	City      *evaluate.Evaluation `json:"city"`
}

func (s *Server) handleListIndicators(c *fiber.Ctx) error {
	st, err := statusFilter(c)
	if err != nil {
		return err
	}
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	city, task := v.city(), c.Query("task")
	var out []indicatorView
	for _, ind := range v.p.Indicators {
		ev := city[ind.ID]
		if (task == "" || ind.Task == task) && (st == "" || ev != nil && ev.Status == st) {
			out = append(out, indicatorView{ind, ev})
		}
	}
	pg, err := paginate(c, out)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// indicatorDetail is everything the dashboard shows of one indicator.
type indicatorDetail struct {
	Indicator *plan.Indicator       `json:"indicator"`
	City      *evaluate.Evaluation  `json:"city"`
	Units     []evaluate.Evaluation `json:"units"`
	Series    []evaluate.Point      `json:"series"`
	Alerts    []alertView           `json:"alerts"`
}

func (s *Server) handleGetIndicator(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	ind, ok := v.p.Indicator(id)
	if !ok {
		return plan.Errorf(plan.ENOTFOUND, "指标「%s」不存在", id)
	}
	out := indicatorDetail{Indicator: ind}
	out.City, out.Units = v.subject(id)
	out.Series = v.entry.seriesOf(v.p, ind, v.asOf)
	if out.Alerts, err = s.alertsWhere(c, v, func(a plan.Alert) bool { return a.Subject == id }); err != nil {
		return err
	}
	return c.JSON(out)
}

// milestoneView is a milestone with its city evaluation.
type milestoneView struct {
	Milestone *plan.Milestone      `json:"milestone"`
	City      *evaluate.Evaluation `json:"city"`
}

func (s *Server) handleListMilestones(c *fiber.Ctx) error {
	st, err := statusFilter(c)
	if err != nil {
		return err
	}
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	city, task := v.city(), c.Query("task")
	var out []milestoneView
	for _, m := range v.p.Milestones {
		ev := city[m.ID]
		if (task == "" || m.Task == task) && (st == "" || ev != nil && ev.Status == st) {
			out = append(out, milestoneView{m, ev})
		}
	}
	pg, err := paginate(c, out)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// milestoneDetail is a milestone with the city's and each lead unit's evaluation.
type milestoneDetail struct {
	Milestone *plan.Milestone       `json:"milestone"`
	City      *evaluate.Evaluation  `json:"city"`
	Units     []evaluate.Evaluation `json:"units"`
	Alerts    []alertView           `json:"alerts"`
}

func (s *Server) handleGetMilestone(c *fiber.Ctx) error {
	id, err := param(c, "id")
	if err != nil {
		return err
	}
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	m, ok := v.p.Milestone(id)
	if !ok {
		return plan.Errorf(plan.ENOTFOUND, "节点「%s」不存在", id)
	}
	out := milestoneDetail{Milestone: m}
	out.City, out.Units = v.subject(id)
	if out.Alerts, err = s.alertsWhere(c, v, func(a plan.Alert) bool { return a.Subject == id }); err != nil {
		return err
	}
	return c.JSON(out)
}

// unitView is a unit and whether it files reports.
type unitView struct {
	*plan.Unit
	Reports bool `json:"reports"`
}

func (s *Server) handleListUnits(c *fiber.Ctx) error {
	p := s.Plans.Plan()
	if _, err := s.asOf(c, p); err != nil {
		return err
	}
	kind := plan.UnitKind(c.Query("kind"))
	reporting := map[string]bool{}
	for _, id := range p.ReportingUnits() {
		reporting[id] = true
	}
	var out []unitView
	for _, u := range p.Units {
		if kind == "" || u.Kind == kind {
			out = append(out, unitView{u, reporting[u.ID]})
		}
	}
	pg, err := paginate(c, out)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// param is a path parameter, unescaped and copied out of fiber's buffer.
func param(c *fiber.Ctx, name string) (string, error) {
	v, err := url.PathUnescape(c.Params(name))
	if err != nil || v == "" {
		return "", plan.Errorf(plan.EINVALID, "路径参数 %s 无效", name)
	}
	return string([]byte(v)), nil
}
