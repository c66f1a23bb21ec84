package api

import (
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// alertView is an alert as the API shows it: its key is its id.
type alertView struct {
	ID string `json:"id"`
	plan.Alert
	KindLabel  string `json:"kind_label"`
	LevelLabel string `json:"level_label"`
	UnitName   string `json:"unit_name,omitempty"`
}

func newAlertView(p *plan.Plan, a plan.Alert) alertView {
	v := alertView{ID: a.Key, Alert: a, KindLabel: a.Kind.Label(), LevelLabel: a.Level.Label()}
	if a.Unit != "" {
		v.UnitName = p.UnitName(a.Unit)
	}
	return v
}

// alerts lists the plan's alerts that had fired by as-of, newest change first:
// the alert store keeps each alert's present state, so an earlier as_of
// leaves out the alerts that came later but cannot show an old state. A
// reporter sees only its own unit's.
func (s *Server) alerts(c *fiber.Ctx, v *view, f store.AlertFilter) ([]alertView, error) {
	out := []alertView{}
	if s.Alerts == nil {
		return out, nil
	}
	f.PlanID = v.p.ID
	who := principal(c)
	if who.Role == Reporter {
		f.Unit = who.Unit
	}
	list, err := s.Alerts.Alerts(c.UserContext(), f)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if !a.FirstFiredAt.IsZero() && a.FirstFiredAt.After(v.asOf) {
			continue
		}
		out = append(out, newAlertView(v.p, a))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastChangedAt.After(out[j].LastChangedAt) })
	return out, nil
}

// alertsWhere lists the alerts that keep.
func (s *Server) alertsWhere(c *fiber.Ctx, v *view, keep func(plan.Alert) bool) ([]alertView, error) {
	all, err := s.alerts(c, v, store.AlertFilter{})
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if keep(a.Alert) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (s *Server) handleListAlerts(c *fiber.Ctx) error {
	p := s.Plans.Plan()
	asOf, err := s.asOf(c, p)
	if err != nil {
		return err
	}
	v := &view{p: p, asOf: asOf}
	f := store.AlertFilter{State: plan.AlertState(c.Query("state")), Kind: plan.AlertKind(c.Query("kind")),
		Family: plan.AlertFamily(c.Query("family"))}
	if f.State != "" && f.State != plan.Firing && f.State != plan.Resolved {
		return plan.Errorf(plan.EINVALID, "state 参数「%s」无效,应为 firing 或 resolved", f.State)
	}
	if q := c.Query("unit"); q != "" {
		u, err := unit(p, q)
		if err != nil {
			return err
		}
		f.Unit = u.ID
		if who := principal(c); who.Role == Reporter && u.ID != who.Unit {
			return ownUnit(who, u.ID)
		}
	}
	var level plan.AlertLevel
	if q := c.Query("level"); q != "" {
		l, ok := plan.ParseLevel(q)
		if !ok {
			return plan.Errorf(plan.EINVALID, "level 参数「%s」无效,应为 reminder、follow_up 或 briefing", q)
		}
		level = l
	}
	subject, task := c.Query("subject"), c.Query("task")
	list, err := s.alerts(c, v, f)
	if err != nil {
		return err
	}
	out := list[:0]
	for _, a := range list {
		if (level == "" || a.Level == level) && (subject == "" || a.Subject == subject) && (task == "" || a.Task == task) {
			out = append(out, a)
		}
	}
	pg, err := paginate(c, out)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

// alertChange is the body of an acknowledgement or a silence.
type alertChange struct {
	Comment string `json:"comment"`
	Until   string `json:"until"`
}

func (s *Server) readAlertChange(c *fiber.Ctx) (string, alertChange, error) {
	key, err := param(c, "id")
	if err != nil {
		return "", alertChange{}, err
	}
	var body alertChange
	if len(c.Body()) > 0 {
		if err := c.BodyParser(&body); err != nil {
			return "", alertChange{}, plan.Errorf(plan.EINVALID, "请求体不是有效的 JSON:%v", err)
		}
	}
	body.Comment = strings.TrimSpace(string([]byte(body.Comment)))
	if s.Alerts == nil {
		return "", alertChange{}, plan.Errorf(plan.ENOTFOUND, "预警「%s」不存在", key)
	}
	return key, body, nil
}

func (s *Server) handleAckAlert(c *fiber.Ctx) error {
	key, body, err := s.readAlertChange(c)
	if err != nil {
		return err
	}
	setAudit(c, key, body.Comment)
	p, ctx, who := s.Plans.Plan(), c.UserContext(), principal(c)
	if err := s.Alerts.AcknowledgeAlert(ctx, p.ID, key, who.Name, body.Comment, s.Now()); err != nil {
		return err
	}
	a, err := s.Alerts.Alert(ctx, p.ID, key)
	if err != nil {
		return err
	}
	return c.JSON(newAlertView(p, *a))
}

func (s *Server) handleSilenceAlert(c *fiber.Ctx) error {
	key, body, err := s.readAlertChange(c)
	if err != nil {
		return err
	}
	until, err := plan.ParseDate(body.Until)
	if err != nil {
		return plan.Errorf(plan.EINVALID, "until「%s」不是有效日期,应为 YYYY-MM-DD", body.Until)
	}
	setAudit(c, key, "until "+until.String()+" "+body.Comment)
	p, ctx := s.Plans.Plan(), c.UserContext()
	if err := s.Alerts.SilenceAlert(ctx, p.ID, key, until, s.Now()); err != nil {
		return err
	}
	a, err := s.Alerts.Alert(ctx, p.ID, key)
	if err != nil {
		return err
	}
	return c.JSON(newAlertView(p, *a))
}
