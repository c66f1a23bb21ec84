package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// Role is what a token may do.
type Role string

// Roles.
const (
	Admin      Role = "admin"      // everything
	Supervisor Role = "supervisor" // read all, acknowledge and silence alerts, export briefings
	Reporter   Role = "reporter"   // upload and read its own unit's submissions, read the board
	Viewer     Role = "viewer"     // read only
)

// Roles lists every role.
var Roles = []Role{Admin, Supervisor, Reporter, Viewer}

// ParseRole reads a role by name.
func ParseRole(s string) (Role, bool) {
	for _, r := range Roles {
		if s == string(r) {
			return r, true
		}
	}
	return "", false
}

// perm is one thing a role may be allowed to do.
type perm string

const (
	permRead   perm = "read"        // the plan, board, indicators, units, rankings, submissions (a reporter: its own)
	permUpload perm = "upload"      // upload submissions
	permAlert  perm = "acknowledge" // acknowledge and silence alerts
	permExport perm = "export"      // the Excel briefing
	permAdmin  perm = "admin"       // tokens, audit log, reload
)

var grants = map[Role][]perm{
	Admin:      {permRead, permUpload, permAlert, permExport, permAdmin},
	Supervisor: {permRead, permAlert, permExport},
	Reporter:   {permRead, permUpload},
	Viewer:     {permRead},
}

// may reports whether role r has permission q.
func (r Role) may(q perm) bool {
	for _, g := range grants[r] {
		if g == q {
			return true
		}
	}
	return false
}

// Principal is who is calling: the token's id, name, role and, for a reporter, its unit.
type Principal struct {
	TokenID int64
	Name    string
	Role    Role
	Unit    string // unit id
}

const principalKey = "duban.principal"

// principal is the caller of an authenticated request.
func principal(c *fiber.Ctx) Principal {
	p, _ := c.Locals(principalKey).(Principal)
	return p
}

// NewSecret makes a token secret: 32 random bytes, URL-safe base64.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret is what is stored of a secret: its SHA-256, hex.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token for a role (and, for a reporter, a unit: id, name
// or alias), stores its hash, and returns the secret, to be shown once.
func CreateToken(ctx context.Context, db *store.DB, p *plan.Plan, role, unitRef, name, by string, now time.Time) (string, *store.Token, error) {
	r, ok := ParseRole(role)
	if !ok {
		return "", nil, plan.Errorf(plan.EINVALID, "角色「%s」无效,应为 admin、supervisor、reporter 或 viewer", role)
	}
	var unitID string
	switch {
	case r == Reporter && unitRef == "":
		return "", nil, plan.Errorf(plan.EINVALID, "填报员令牌须指定单位")
	case unitRef != "":
		u, ok := p.Unit(unitRef)
		if !ok {
			return "", nil, plan.Errorf(plan.EINVALID, "单位「%s」不存在", unitRef)
		}
		unitID = u.ID
	}
	if name == "" {
		name = string(r)
		if unitID != "" {
			name += "-" + unitID
		}
	}
	secret, err := NewSecret()
	if err != nil {
		return "", nil, err
	}
	t := &store.Token{Name: name, Role: string(r), Unit: unitID, CreatedBy: by, CreatedAt: now}
	if err := db.CreateToken(ctx, t, HashSecret(secret)); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// authenticate finds the caller by the bearer token: 401 without one, or with
// one that is unknown or revoked.
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return plan.Errorf(plan.EUNAUTHORIZED, "未登录:请求须带 Authorization: Bearer <令牌>")
	}
	hash := HashSecret(strings.TrimSpace(secret))
	t, ok := s.tokens.get(hash, tokenTTL)
	if !ok {
		var err error
		t, err = s.DB.TokenByHash(c.UserContext(), hash)
		if plan.ErrorCode(err) == plan.ENOTFOUND {
			return plan.Errorf(plan.EUNAUTHORIZED, "令牌无效")
		}
		if err != nil {
			return err
		}
		s.tokens.put(hash, t)
	}
	if t.RevokedAt != nil {
		return plan.Errorf(plan.EUNAUTHORIZED, "令牌已被吊销")
	}
	role, ok := ParseRole(t.Role)
	if !ok {
		return plan.Errorf(plan.EUNAUTHORIZED, "令牌角色无效")
	}
	c.Locals(principalKey, Principal{TokenID: t.ID, Name: t.Name, Role: role, Unit: t.Unit})
	s.touch(c.UserContext(), t.ID)
	return c.Next()
}

// touch records a token's use, at most once a minute per token, so that reads
// do not each become a write.
func (s *Server) touch(ctx context.Context, id int64) {
	now := s.Now()
	s.touchMu.Lock()
	last, seen := s.touched[id]
	if seen && now.Sub(last) < time.Minute && !now.Before(last) {
		s.touchMu.Unlock()
		return
	}
	s.touched[id] = now
	s.touchMu.Unlock()
	if err := s.DB.TouchToken(ctx, id, now); err != nil {
		s.Logger.WarnContext(ctx, "record token use", "token", id, "error", err)
	}
}

// require lets the request through only if the caller's role has permission q.
func require(q perm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		who := principal(c)
		if !who.Role.may(q) {
			return plan.Errorf(plan.EFORBIDDEN, "无权限:%s 角色不能执行此操作", roleLabel(who.Role))
		}
		return c.Next()
	}
}

// ownUnit checks that a reporter acts only for its own unit; other roles may act for any.
func ownUnit(who Principal, unitID string) error {
	if who.Role == Reporter && unitID != who.Unit {
		return plan.Errorf(plan.EFORBIDDEN, "无权限:填报员只能操作本单位(%s)的数据", who.Unit)
	}
	return nil
}

func roleLabel(r Role) string {
	switch r {
	case Admin:
		return "管理员"
	case Supervisor:
		return "督查员"
	case Reporter:
		return "填报员"
	case Viewer:
		return "查看者"
	}
	return string(r)
}

// audited appends an entry to the audit log for every request that reaches
// it, whatever the outcome: who, when, what (action and the subject the
// handler names with setSubject), from where, and the status answered.
func (s *Server) audited(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status = statusFor(err)
		}
		who := principal(c)
		subject, _ := c.Locals(subjectKey).(string)
		if subject == "" {
			subject = utils.CopyString(c.Params("id"))
		}
		detail, _ := c.Locals(detailKey).(string)
		if err != nil {
			_, msg := codeOf(err)
			detail = strings.TrimSpace(detail + " " + msg)
		}
		e := store.AuditEntry{At: s.Now(), Actor: who.Name, TokenID: who.TokenID, Role: string(who.Role), Unit: who.Unit,
			Action: action, Subject: subject, Detail: detail, Remote: c.IP(), Status: status}
		if aerr := s.DB.AppendAudit(c.UserContext(), &e); aerr != nil {
			s.Logger.ErrorContext(c.UserContext(), "append audit entry", "action", action, "error", aerr)
		}
		return err
	}
}

const (
	subjectKey = "duban.audit.subject"
	detailKey  = "duban.audit.detail"
)

// setAudit names, for the audit log, what a write acted on and how.
func setAudit(c *fiber.Ctx, subject, detail string) {
	c.Locals(subjectKey, subject)
	c.Locals(detailKey, detail)
}
