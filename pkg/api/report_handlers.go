package api

import (
	"bytes"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/report"
)

// handleGetBriefing exports the monthly supervision briefing (督查通报) as of as_of.
func (s *Server) handleGetBriefing(c *fiber.Ctx) error {
	v, err := s.evaluate(c)
	if err != nil {
		return err
	}
	subs, err := s.submissions(c.UserContext(), v.p, v.asOf, "")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Briefing(&buf, v.p, v.evs, subs, v.asOf); err != nil {
		return err
	}
	return sendXLSX(c, fmt.Sprintf("督查通报-%s.xlsx", day(v.p, v.asOf)), buf.Bytes())
}
