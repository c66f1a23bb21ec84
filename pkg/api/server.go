// Package api is duban's JSON API under /api/v1, served with fiber: the plan
// and its evaluation as of any day, the battle map, units' scorecards and
// rankings, alerts, submissions and templates, the Excel briefing, tokens and
// the audit log; plus /healthz, /readyz, /metrics and the dashboard at /.
// Handlers are thin: they parse, call and respond; errors go to one handler
// that maps plan error codes to HTTP statuses (errors.go). api/openapi.yaml
// describes every route, and a test keeps the two in step.
package api

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// DefaultMaxUpload is the upload size limit when Server.MaxUpload is zero.
const DefaultMaxUpload = 20 << 20

// Upload is what the API knows about an uploaded file when it hands it to ingest.
type Upload struct {
	Unit      string    // unit id the file is for; "" to take it from the file
	Submitter string    // the token's name
	FileName  string    // as the client named it
	Now       time.Time // when it was received
	MaxBytes  int64
}

// IngestFunc reads and records one uploaded file, saved at path: the
// submission, accepted or rejected with its errors. An error means it could
// not be read at all (the file is not the problem).
type IngestFunc func(ctx context.Context, p *plan.Plan, path string, u Upload) (*plan.Submission, error)

// FileUnitFunc reads, without saving anything, the unit a file says it is
// for (its template's unit); "" when it does not say.
type FileUnitFunc func(ctx context.Context, p *plan.Plan, path string) (string, error)

// TemplateFunc writes the Excel template of a unit for a period.
type TemplateFunc func(p *plan.Plan, unitID string, period plan.Period, w io.Writer) error

// AlertStore is where alerts are kept (implemented by *store.DB).
type AlertStore interface {
	Alerts(ctx context.Context, f store.AlertFilter) ([]plan.Alert, error)
	Alert(ctx context.Context, planID, key string) (*plan.Alert, error)
	AcknowledgeAlert(ctx context.Context, planID, key, by, comment string, at time.Time) error
	SilenceAlert(ctx context.Context, planID, key string, until plan.Date, at time.Time) error
}

// Server is the API with its dependencies. Set the fields, then call App once.
type Server struct {
	Plans     *Plans
	DB        *store.DB
	Alerts    AlertStore   // nil: no alerts (an empty list; ack and silence find nothing)
	Ingest    IngestFunc   // nil: uploads answer 500
	FileUnit  FileUnitFunc // nil: a reporter's file for another unit is left to ingest to reject
	Template  TemplateFunc // nil: templates answer 500
	Web       http.Handler // the dashboard at /; nil: a placeholder page
	Logger    *slog.Logger
	Metrics   *Metrics
	Now       func() time.Time // the clock; nil: time.Now
	MaxUpload int64            // bytes; 0: DefaultMaxUpload
	UploadDir string           // where uploads wait for ingest; "": the system's temp folder
	// StampTTL is how long a read reuses what it learnt of the submissions
	// received (0: one second; negative: never). Uploads through this server
	// are seen at once; files ingested elsewhere, within StampTTL.
	StampTTL time.Duration
	// Reloaded is called after a reload through the API succeeds, with the new plan.
	Reloaded func(p *plan.Plan, gen int64)

	once    sync.Once
	app     *fiber.App
	evals   evalCache
	tokens  ttlCache[string, *store.Token]
	stamps  ttlCache[stampKey, stamp]
	touchMu sync.Mutex
	touched map[int64]time.Time
}

// App builds the fiber app with every route; later calls return the same app.
func (s *Server) App() *fiber.App {
	s.once.Do(func() {
		if s.Logger == nil {
			s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		if s.Metrics == nil {
			s.Metrics = NewMetrics()
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.MaxUpload <= 0 {
			s.MaxUpload = DefaultMaxUpload
		}
		s.touched = map[int64]time.Time{}
		s.app = fiber.New(fiber.Config{
			AppName:               "duban",
			ErrorHandler:          s.handleError,
			DisableStartupMessage: true,
			// Multipart framing on top of the file itself; the file's own size is checked in the handler.
			BodyLimit:    int(s.MaxUpload) + 1<<20,
			ReadTimeout:  time.Minute,
			WriteTimeout: 2 * time.Minute,
			IdleTimeout:  2 * time.Minute,
		})
		s.routes(s.app)
	})
	return s.app
}

// asOf reads ?as_of=YYYY-MM-DD as the end of that day in the plan's time zone;
// without it, now.
func (s *Server) asOf(c *fiber.Ctx, p *plan.Plan) (time.Time, error) {
	q := c.Query("as_of")
	if q == "" {
		return s.Now().In(p.Location), nil
	}
	d, err := plan.ParseDate(q)
	if err != nil {
		return time.Time{}, plan.Errorf(plan.EINVALID, "as_of 参数「%s」不是有效日期,应为 YYYY-MM-DD", q)
	}
	return d.End(p.Location), nil
}

// day is the date an as-of instant falls in: the end of a day belongs to that day.
func day(p *plan.Plan, asOf time.Time) plan.Date {
	return plan.DateOf(asOf.Add(-time.Nanosecond).In(p.Location))
}

// view is one read's plan and its evaluation as of an instant.
type view struct {
	p     *plan.Plan
	gen   int64
	asOf  time.Time
	obs   []plan.Observation
	evs   []evaluate.Evaluation
	entry *evalEntry // where answers that follow from the evaluation alone are kept
}

// answer sends the JSON answer name, encoded once per evaluation (cache.go).
func (v *view) answer(c *fiber.Ctx, name string, build func() any) error {
	b, err := v.entry.answer(name, build)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}

// evaluate evaluates the plan in force as of the request's as_of, from the
// observations received by then, or reuses the evaluation of the same plan,
// day and submissions (cache.go).
func (s *Server) evaluate(c *fiber.Ctx) (*view, error) {
	p, gen := s.Plans.Current()
	asOf, err := s.asOf(c, p)
	if err != nil {
		return nil, err
	}
	ctx := c.UserContext()
	sk := stampKey{planID: p.ID}
	if c.Query("as_of") != "" {
		sk.cutoff = asOf
	}
	st, ok := s.stamps.get(sk, cmp.Or(s.StampTTL, stampTTL))
	if !ok {
		if st.count, st.maxID, err = s.DB.SubmissionStamp(ctx, p.ID, asOf); err != nil {
			return nil, err
		}
		s.stamps.put(sk, st)
	}
	key := newEvalKey(p, gen, asOf, st.count, st.maxID)
	if e, ok := s.evals.get(key); ok {
		return &view{p: p, gen: gen, asOf: asOf, obs: e.obs, evs: e.evs, entry: e}, nil
	}
	obs, err := s.DB.Observations(ctx, p.ID, asOf)
	if err != nil {
		return nil, err
	}
	e := &evalEntry{obs: obs, evs: evaluate.Evaluate(p, obs, asOf)}
	s.evals.put(key, e)
	return &view{p: p, gen: gen, asOf: asOf, obs: e.obs, evs: e.evs, entry: e}, nil
}

// submissions lists every submission of the plan received by asOf.
func (s *Server) submissions(ctx context.Context, p *plan.Plan, asOf time.Time, unit string) ([]plan.Submission, error) {
	all, _, err := s.DB.Submissions(ctx, store.SubmissionFilter{PlanID: p.ID, Unit: unit})
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, sub := range all {
		if !sub.ReceivedAt.After(asOf) {
			out = append(out, sub)
		}
	}
	return out, nil
}

// Page is one page of a list.
type Page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// page reads ?limit= (default 50, at most 1000) and ?offset=.
func page(c *fiber.Ctx) (limit, offset int, err error) {
	limit, offset = c.QueryInt("limit", 50), c.QueryInt("offset", 0)
	if limit < 1 || limit > 1000 || offset < 0 {
		return 0, 0, plan.Errorf(plan.EINVALID, "分页参数无效:limit 应在 1 至 1000 之间,offset 不小于 0")
	}
	if q := c.Query("limit"); q != "" && c.QueryInt("limit", -1) == -1 {
		return 0, 0, plan.Errorf(plan.EINVALID, "limit 参数「%s」不是整数", q)
	}
	return limit, offset, nil
}

// paginate cuts one page out of a whole list.
func paginate[T any](c *fiber.Ctx, all []T) (Page[T], error) {
	limit, offset, err := page(c)
	if err != nil {
		return Page[T]{}, err
	}
	lo, hi := min(offset, len(all)), min(offset+limit, len(all))
	items := all[lo:hi]
	if items == nil {
		items = []T{}
	}
	return Page[T]{Items: items, Total: len(all), Limit: limit, Offset: offset}, nil
}

// unit finds a unit by id, Chinese name or alias.
func unit(p *plan.Plan, ref string) (*plan.Unit, error) {
	u, ok := p.Unit(ref)
	if !ok {
		return nil, plan.Errorf(plan.ENOTFOUND, "单位「%s」不存在", ref)
	}
	return u, nil
}
