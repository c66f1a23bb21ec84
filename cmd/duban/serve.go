package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/duban-gov/duban/pkg/alert"
	"github.com/duban-gov/duban/pkg/api"
	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/scenario"
	"github.com/duban-gov/duban/pkg/schedule"
	"github.com/duban-gov/duban/pkg/store"
	"github.com/duban-gov/duban/pkg/web"
)

// ServeConfig is how `duban serve` is set up: flags, each defaulting to a
// DUBAN_* environment variable.
type ServeConfig struct {
	Addr      string // listen address (DUBAN_ADDR, default :8080)
	DataDir   string // data folder: inbox/, raw/, uploads (DUBAN_DATA, default var/duban)
	DB        string // SQLite file or postgres:// URL (DUBAN_DB, default DataDir/duban.db)
	PlanDir   string // rule files (DUBAN_PLAN)
	TimeZone  string // overrides the plan's time zone (DUBAN_TZ)
	Receivers string // receivers file for alert notifications (DUBAN_RECEIVERS)
	LogFormat string // json or text (DUBAN_LOG_FORMAT)
	LogLevel  string // debug, info, warn or error (DUBAN_LOG_LEVEL)
	MaxUpload int64  // bytes (DUBAN_MAX_UPLOAD)
	AsOf      string // stop the clock at the end of this day, for replays and demos (DUBAN_AS_OF)
	Demo      bool   // create an admin token if there is none and log the dashboard's address with it (DUBAN_DEMO)
	Schedule  bool   // run the supervision loop (DUBAN_SCHEDULE, default true)
}

// Main is the running service: what `duban serve` starts and stops, and what
// end-to-end tests start on port 0.
type Main struct {
	Config ServeConfig
	Logger *slog.Logger

	// Set by Run.
	DB        *store.DB
	Plans     *api.Plans
	Server    *api.Server
	DemoToken string // the admin token made by --demo, if one was made

	now      func() time.Time
	ln       net.Listener
	served   chan error
	loopMu   sync.Mutex
	loop     *loop
	shutOnce sync.Once
}

// loop is the supervision loop for one plan generation.
type loop struct {
	svc    *schedule.Service
	ticker schedule.Ticker
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok {
		b, err := strconv.ParseBool(v)
		if err == nil {
			return b
		}
	}
	return def
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve [--addr :8080] [--data DIR] [--db FILE] [--plan DIR] [--demo] …", stderr)
	var c ServeConfig
	fs.StringVar(&c.Addr, "addr", env("DUBAN_ADDR", ":8080"), "listen address (DUBAN_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("DUBAN_DATA", "var/duban"), "data folder: inbox/, raw/, uploads (DUBAN_DATA)")
	fs.StringVar(&c.DB, "db", env("DUBAN_DB", ""), "SQLite file or postgres:// URL (DUBAN_DB; default DATA/duban.db)")
	fs.StringVar(&c.PlanDir, "plan", env("DUBAN_PLAN", "rules/zhaoqing-2022"), "plan folder (DUBAN_PLAN)")
	fs.StringVar(&c.TimeZone, "tz", env("DUBAN_TZ", ""), "time zone overriding the plan's, e.g. Asia/Shanghai (DUBAN_TZ)")
	fs.StringVar(&c.Receivers, "receivers", env("DUBAN_RECEIVERS", ""), "receivers file for alert notifications (DUBAN_RECEIVERS)")
	fs.StringVar(&c.LogFormat, "log-format", env("DUBAN_LOG_FORMAT", "text"), "log format: json or text (DUBAN_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("DUBAN_LOG_LEVEL", "info"), "log level: debug, info, warn, error (DUBAN_LOG_LEVEL)")
	maxUpload, _ := strconv.ParseInt(env("DUBAN_MAX_UPLOAD", "0"), 10, 64)
	fs.Int64Var(&c.MaxUpload, "max-upload", cmpOr(maxUpload, api.DefaultMaxUpload), "largest upload in bytes (DUBAN_MAX_UPLOAD)")
	fs.StringVar(&c.AsOf, "as-of", env("DUBAN_AS_OF", ""), "stop the clock at the end of this day, for replays and demos (DUBAN_AS_OF)")
	fs.BoolVar(&c.Demo, "demo", envBool("DUBAN_DEMO", false), "create an admin token if none exists and log the dashboard address with it (DUBAN_DEMO)")
	fs.BoolVar(&c.Schedule, "schedule", envBool("DUBAN_SCHEDULE", true), "run the supervision loop: inbox, evaluation, alerts, delivery (DUBAN_SCHEDULE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return exitError{2, err}
	}
	m := &Main{Config: c, Logger: logger}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			m.Reload()
		case err := <-m.served:
			m.Close()
			return fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
			logger.Info("shutting down: finishing requests and jobs in flight")
			return m.Close()
		}
	}
}

func cmpOr(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: json or text", format)
}

// Run opens the database, loads the plan, starts the supervision loop and
// starts serving; it returns once the listener is open. Close stops it all.
func (m *Main) Run(ctx context.Context) error {
	c := &m.Config
	if m.Logger == nil {
		m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.DataDir == "" {
		c.DataDir = "var/duban"
	}
	if c.DB == "" {
		c.DB = filepath.Join(c.DataDir, "duban.db")
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = api.DefaultMaxUpload
	}
	load := plan.Load
	if c.TimeZone != "" {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			return exitError{2, fmt.Errorf("time zone %q: %w", c.TimeZone, err)}
		}
		load = func(dir string) (*plan.Plan, error) {
			p, err := plan.Load(dir)
			if err == nil {
				p.Location = loc
			}
			return p, err
		}
	}
	plans, err := api.NewPlans(c.PlanDir, load)
	if err != nil {
		var ps plan.Problems
		if errors.As(err, &ps) {
			return failed("plan %s has %d problems:\n%v", c.PlanDir, len(ps), ps)
		}
		return err
	}
	m.Plans = plans
	p := plans.Plan()

	m.now = time.Now
	if c.AsOf != "" {
		at, err := scenario.ParseAsOf(c.AsOf, p.Location)
		if err != nil {
			return exitError{2, fmt.Errorf("--as-of: %w", err)}
		}
		m.now = func() time.Time { return at }
	}

	if m.DB, err = store.Open(c.DB); err != nil {
		return err
	}
	rawDir := filepath.Join(c.DataDir, "raw")
	metrics := api.NewMetrics()
	metrics.WatchAlerts(plans, m.DB)
	metrics.WatchLeader(m.leads)
	m.Server = &api.Server{
		Plans: plans, DB: m.DB, Alerts: m.DB, Web: web.Handler(), Logger: m.Logger, Metrics: metrics,
		Now: m.now, MaxUpload: c.MaxUpload, UploadDir: filepath.Join(c.DataDir, "uploads"),
		Template: ingest.Template,
		Ingest: func(ctx context.Context, p *plan.Plan, path string, u api.Upload) (*plan.Submission, error) {
			return ingest.Ingest(ctx, p, m.DB, path, ingest.Options{Unit: u.Unit, Submitter: u.Submitter,
				Source: "upload", FileName: u.FileName, Now: u.Now, RawDir: rawDir, MaxBytes: u.MaxBytes})
		},
		FileUnit: func(ctx context.Context, p *plan.Plan, path string) (string, error) {
			res, err := ingest.Read(ctx, p, path, ingest.Options{MaxBytes: c.MaxUpload, Now: m.now()}, nil)
			if err != nil {
				return "", err
			}
			return res.Unit, nil
		},
		Reloaded: func(p *plan.Plan, gen int64) { m.restartLoop(p) },
	}
	app := m.Server.App()

	if c.Demo {
		if err := m.demoToken(ctx); err != nil {
			return err
		}
	}
	if c.Schedule {
		if err := m.startLoop(p); err != nil {
			return err
		}
	}

	if m.ln, err = net.Listen("tcp", c.Addr); err != nil {
		return fmt.Errorf("listen %s: %w", c.Addr, err)
	}
	m.served = make(chan error, 1)
	go func() {
		if err := app.Listener(m.ln); err != nil {
			m.served <- err
		}
	}()
	m.Logger.Info("serving", "addr", m.ln.Addr().String(), "plan", p.ID, "db", redact(c.DB),
		"as_of_clock", c.AsOf != "", "schedule", c.Schedule)
	if m.DemoToken != "" {
		m.Logger.Info("dashboard: open " + m.DashboardURL())
	}
	return nil
}

// Addr is the address the service listens on (with the real port when started on port 0).
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// URL is the service's base URL, http://localhost:PORT.
func (m *Main) URL() string {
	_, port, _ := net.SplitHostPort(m.Addr())
	return "http://localhost:" + port
}

// DashboardURL is the dashboard's address with the demo token in its fragment.
func (m *Main) DashboardURL() string {
	if m.DemoToken == "" {
		return m.URL() + "/"
	}
	return m.URL() + "/#token=" + m.DemoToken
}

// demoToken creates an admin token if no admin token is active.
func (m *Main) demoToken(ctx context.Context) error {
	n, err := m.DB.CountActiveTokens(ctx, string(api.Admin))
	if err != nil || n > 0 {
		return err
	}
	secret, t, err := api.CreateToken(ctx, m.DB, m.Plans.Plan(), string(api.Admin), "", "demo-admin", "serve --demo", m.now())
	if err != nil {
		return err
	}
	m.DemoToken = secret
	return m.DB.AppendAudit(ctx, &store.AuditEntry{At: m.now(), Actor: "serve --demo", Action: "token.create",
		Subject: strconv.FormatInt(t.ID, 10), Detail: "role admin name demo-admin", Status: http.StatusCreated})
}

// Reload reloads the rule files (SIGHUP). A plan that fails to load leaves the old one in force.
func (m *Main) Reload() {
	p, gen, err := m.Plans.Reload()
	if err != nil {
		m.Logger.Error("reload rules failed; the previous rules stay in force", "error", err)
		return
	}
	m.Logger.Info("rules reloaded", "plan", p.ID, "generation", gen)
	m.restartLoop(p)
}

// startLoop starts the supervision loop for plan p: a catch-up run, then the cron jobs.
func (m *Main) startLoop(p *plan.Plan) error {
	c := m.Config
	var recv *alert.Receivers
	if c.Receivers != "" {
		var err error
		if recv, err = alert.ReadReceivers(c.Receivers, p); err != nil {
			return exitError{2, err}
		}
	}
	cfg := schedule.Config{DataDir: c.DataDir, RawDir: filepath.Join(c.DataDir, "raw"), Schedules: schedule.DefaultSchedules}
	if recv != nil {
		cfg.RepeatWorkdays = recv.RepeatWorkdays
	}
	svc := schedule.New(p, m.DB, cfg)
	svc.Now, svc.Log = m.now, m.Logger.With("component", "schedule")
	svc.Router = alert.NewRouter(recv)
	svc.Sender = alert.NewSender(p, m.DB, recv, alert.Notifiers(recv, nil), m.now)
	svc.Sender.Log = svc.Log

	ctx, cancel := context.WithCancel(context.Background())
	l := &loop{svc: svc, ticker: &meteredTicker{schedule.NewCron(p.Location, svc.Log), m.Server.Metrics}, cancel: cancel}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		if err := svc.Start(ctx, l.ticker); err != nil {
			m.Logger.Error("start the supervision loop", "error", err)
		}
	}()
	m.loopMu.Lock()
	m.loop = l
	m.loopMu.Unlock()
	return nil
}

// restartLoop stops the loop of the old plan, letting its job in flight
// finish, and starts one for p.
func (m *Main) restartLoop(p *plan.Plan) {
	if !m.Config.Schedule {
		return
	}
	m.stopLoop(30 * time.Second)
	if err := m.startLoop(p); err != nil {
		m.Logger.Error("restart the supervision loop", "error", err)
	}
}

// leads reports whether this replica's loop holds the scheduler lease.
func (m *Main) leads() bool {
	m.loopMu.Lock()
	defer m.loopMu.Unlock()
	if m.loop == nil || m.loop.svc.Leader == nil {
		return false
	}
	_, ok := m.loop.svc.Leader.Holds()
	return ok
}

// stopLoop stops the ticker and waits, up to wait, for the job in flight.
func (m *Main) stopLoop(wait time.Duration) {
	m.loopMu.Lock()
	l := m.loop
	m.loop = nil
	m.loopMu.Unlock()
	if l == nil {
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	// The start, with its catch-up run, comes first: the ticker starts at its end.
	started := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(started)
	}()
	expired := false
	select {
	case <-started:
	case <-timer.C:
		m.Logger.Warn("the catch-up run is still going; stopping it")
		expired = true
		l.cancel()
		<-started
	}
	done := l.ticker.Stop()
	if !expired {
		select {
		case <-done.Done():
		case <-timer.C:
			m.Logger.Warn("a job is still running; stopping without it")
		}
	}
	l.cancel()
	l.svc.Wait() // the lease is given up, so another replica takes over at once
}

// Close stops serving once the requests in flight are answered, stops the
// loop once its job in flight is done, and closes the database.
func (m *Main) Close() error {
	var err error
	m.shutOnce.Do(func() {
		if m.Server != nil && m.ln != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if e := m.Server.App().ShutdownWithContext(ctx); e != nil {
				err = fmt.Errorf("shut down http: %w", e)
			}
			cancel()
		}
		m.stopLoop(time.Minute)
		if m.DB != nil {
			if e := m.DB.Close(); e != nil && err == nil {
				err = e
			}
		}
	})
	return err
}

// meteredTicker times every job run into the job duration metric.
type meteredTicker struct {
	schedule.Ticker
	metrics *api.Metrics
}

func (t *meteredTicker) Schedule(name, spec string, job func()) error {
	return t.Ticker.Schedule(name, spec, func() {
		start := time.Now()
		defer func() { t.metrics.ObserveJob(name, time.Since(start), nil) }()
		job()
	})
}

// redact hides a password in a database URL for the log.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.Index(dsn[i+3:], "@"); j >= 0 {
			return dsn[:i+3] + "…" + dsn[i+3+j:]
		}
	}
	return dsn
}
