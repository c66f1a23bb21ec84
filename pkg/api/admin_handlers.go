package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/report"
)

// health is what /healthz and /readyz answer.
type health struct {
	Status     string `json:"status"`
	Plan       string `json:"plan,omitempty"`
	Generation int64  `json:"generation,omitempty"`
	Error      string `json:"error,omitempty"`
}

func (s *Server) handleHealthz(c *fiber.Ctx) error {
	return c.JSON(health{Status: "ok"})
}

// handleReadyz answers 200 once a plan is in force and the database answers.
func (s *Server) handleReadyz(c *fiber.Ctx) error {
	p, gen := s.Plans.Current()
	if p == nil {
		return c.Status(http.StatusServiceUnavailable).JSON(health{Status: "unavailable", Error: "no plan loaded"})
	}
	if _, err := s.DB.SchemaVersion(c.UserContext()); err != nil {
		return c.Status(http.StatusServiceUnavailable).JSON(health{Status: "unavailable", Plan: p.ID, Generation: gen,
			Error: "database: " + err.Error()})
	}
	h := health{Status: "ok", Plan: p.ID, Generation: gen}
	if err := s.Plans.LastError(); err != nil {
		h.Error = "last reload failed, the previous rules stay in force: " + err.Error()
	}
	return c.JSON(h)
}

// me is the caller as GET /api/v1/me shows it.
type me struct {
	TokenID int64           `json:"token_id"`
	Name    string          `json:"name"`
	Role    Role            `json:"role"`
	Unit    *report.UnitRef `json:"unit,omitempty"`
	May     []perm          `json:"may"`
}

func (s *Server) handleMe(c *fiber.Ctx) error {
	who := principal(c)
	out := me{TokenID: who.TokenID, Name: who.Name, Role: who.Role, May: grants[who.Role]}
	if who.Unit != "" {
		out.Unit = &report.UnitRef{ID: who.Unit, Name: s.Plans.Plan().UnitName(who.Unit)}
	}
	return c.JSON(out)
}

// reloaded is what a successful reload answers.
type reloaded struct {
	Plan       string `json:"plan"`
	Generation int64  `json:"generation"`
	Summary    string `json:"summary"`
}

func (s *Server) handleReload(c *fiber.Ctx) error {
	p, gen, err := s.Plans.Reload()
	if err != nil {
		s.Logger.WarnContext(c.UserContext(), "reload rules failed; the previous rules stay in force", "error", err)
		return err
	}
	s.Logger.InfoContext(c.UserContext(), "rules reloaded", "plan", p.ID, "generation", gen)
	if s.Reloaded != nil {
		s.Reloaded(p, gen)
	}
	setAudit(c, p.ID, fmt.Sprintf("generation %d", gen))
	return c.JSON(reloaded{Plan: p.ID, Generation: gen, Summary: fmt.Sprintf("%d 项任务,%d 个指标,%d 个节点,%d 个单位",
		len(p.Tasks), len(p.Indicators), len(p.Milestones), len(p.Units))})
}

// logRequest logs every request once it is answered.
func (s *Server) logRequest(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusFor(err)
	}
	s.Logger.InfoContext(c.UserContext(), "request", "method", c.Method(), "path", c.Path(), "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "remote", c.IP())
	return err
}

// placeholder stands in for the dashboard when none is wired.
var placeholder = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>督办</title><p>督办服务运行中。接口见 <code>/api/v1</code>。</p>`)
})
