package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

func (s *Server) handleListTokens(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	list, total, err := s.DB.Tokens(c.UserContext(), limit, offset)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Token{}
	}
	return c.JSON(Page[store.Token]{Items: list, Total: total, Limit: limit, Offset: offset})
}

// newToken is a token just made, with its secret, shown this once.
type newToken struct {
	store.Token
	Secret string `json:"token"`
}

func (s *Server) handleCreateToken(c *fiber.Ctx) error {
	var body struct {
		Role string `json:"role"`
		Unit string `json:"unit"`
		Name string `json:"name"`
	}
	if err := c.BodyParser(&body); err != nil {
		return plan.Errorf(plan.EINVALID, "请求体应为 JSON:{\"role\": …, \"unit\": …, \"name\": …}")
	}
	role, unitRef, name := string([]byte(body.Role)), string([]byte(body.Unit)), string([]byte(body.Name))
	setAudit(c, "", fmt.Sprintf("role %s unit %s name %s", role, unitRef, name))
	secret, t, err := CreateToken(c.UserContext(), s.DB, s.Plans.Plan(), role, unitRef, name, principal(c).Name, s.Now())
	if err != nil {
		return err
	}
	setAudit(c, strconv.FormatInt(t.ID, 10), fmt.Sprintf("role %s unit %s name %s", t.Role, t.Unit, t.Name))
	return c.Status(http.StatusCreated).JSON(newToken{*t, secret})
}

func (s *Server) handleRevokeToken(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return plan.Errorf(plan.EINVALID, "令牌编号「%s」无效", c.Params("id"))
	}
	t, err := s.DB.RevokeToken(c.UserContext(), id, s.Now())
	s.tokens.clear() // the revoked token stops working at once, not when its cached look-up lapses
	if err != nil {
		return err
	}
	setAudit(c, strconv.FormatInt(id, 10), fmt.Sprintf("role %s unit %s name %s", t.Role, t.Unit, t.Name))
	return c.SendStatus(http.StatusNoContent)
}

func (s *Server) handleListAudit(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	list, total, err := s.DB.Audit(c.UserContext(), store.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action"),
		Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.AuditEntry{}
	}
	return c.JSON(Page[store.AuditEntry]{Items: list, Total: total, Limit: limit, Offset: offset})
}
