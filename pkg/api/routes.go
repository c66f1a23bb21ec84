package api

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes lists every route: all of them, in one place. api/openapi.yaml
// describes each (TestOpenAPIMatchesRoutes keeps the two in step).
func (s *Server) routes(app *fiber.App) {
	app.Use(recover.New(recover.Config{EnableStackTrace: true}))
	app.Use(s.Metrics.instrument)
	app.Use(s.logRequest)

	app.Get("/healthz", s.handleHealthz)
	app.Get("/readyz", s.handleReadyz)
	app.Get("/metrics", s.Metrics.handler())

	v1 := app.Group("/api/v1", s.authenticate)
	read := require(permRead)

	v1.Get("/me", s.handleMe)
	v1.Get("/plan", read, s.handleGetPlan)
	v1.Get("/tasks", read, s.handleListTasks)
	v1.Get("/tasks/:id", read, s.handleGetTask)
	v1.Get("/indicators", read, s.handleListIndicators)
	v1.Get("/indicators/:id", read, s.handleGetIndicator)
	v1.Get("/milestones", read, s.handleListMilestones)
	v1.Get("/milestones/:id", read, s.handleGetMilestone)
	v1.Get("/units", read, s.handleListUnits)
	v1.Get("/units/:id/scorecard", read, s.handleGetScorecard)

	v1.Get("/board", read, s.handleGetBoard)
	v1.Get("/timeline", read, s.handleGetTimeline)
	v1.Get("/rankings", read, s.handleListRankings)

	v1.Get("/alerts", read, s.handleListAlerts)
	v1.Post("/alerts/:id/ack", s.audited("alert.ack"), require(permAlert), s.handleAckAlert)
	v1.Post("/alerts/:id/silence", s.audited("alert.silence"), require(permAlert), s.handleSilenceAlert)

	v1.Get("/submissions", read, s.handleListSubmissions)
	v1.Post("/submissions", s.audited("upload"), require(permUpload), s.handleUpload)
	v1.Get("/submissions/:id", read, s.handleGetSubmission)
	v1.Get("/templates/:unit", read, s.handleGetTemplate)

	v1.Get("/reports/briefing.xlsx", require(permExport), s.handleGetBriefing)

	v1.Get("/audit", require(permAdmin), s.handleListAudit)
	v1.Get("/tokens", require(permAdmin), s.handleListTokens)
	v1.Post("/tokens", s.audited("token.create"), require(permAdmin), s.handleCreateToken)
	v1.Delete("/tokens/:id", s.audited("token.revoke"), require(permAdmin), s.handleRevokeToken)
	v1.Post("/admin/reload", s.audited("plan.reload"), require(permAdmin), s.handleReload)

	// Anything else under /api/v1 is a JSON 404, never the dashboard.
	v1.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })

	web := s.Web
	if web == nil {
		web = placeholder
	}
	app.Use(adaptor.HTTPHandler(web))
}
