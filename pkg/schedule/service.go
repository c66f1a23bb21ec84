package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/duban-gov/duban/pkg/alert"
	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
)

// Store is what the jobs need of the database; *store.DB implements it.
type Store interface {
	ingest.Store
	alert.SyncStore
	alert.Outbox
	Observations(ctx context.Context, planID string, asOf time.Time) ([]plan.Observation, error)
	SaveSnapshot(ctx context.Context, s plan.Snapshot) (bool, error)
}

// Schedules are the cron specs of the jobs, read in the plan's time zone.
// An empty spec leaves the job out of the ticker (it still runs in RunOnce).
type Schedules struct {
	Inbox    string `yaml:"inbox"`
	Evaluate string `yaml:"evaluate"`
	Alerts   string `yaml:"alerts"`
	Deliver  string `yaml:"deliver"`
}

// DefaultSchedules: the inbox every minute, the snapshot every hour, alerts
// every quarter of an hour, the outbox every 15 seconds.
var DefaultSchedules = Schedules{
	Inbox:    "@every 1m",
	Evaluate: "0 * * * *",
	Alerts:   "*/15 * * * *",
	Deliver:  "@every 15s",
}

// Config sets up the loop.
type Config struct {
	// DataDir holds inbox/; "" turns the inbox job off.
	DataDir string
	// RawDir is where ingested files' bytes are kept; default DataDir/raw.
	RawDir string
	// Settle is how long a new file must have been left alone before it is read (default 5s).
	Settle    time.Duration
	Schedules Schedules
	// RepeatWorkdays is how often, in working days, a firing alert is notified again (default 5).
	RepeatWorkdays int
	// Lease is how long the scheduler lease lasts unrenewed, which bounds how
	// long the jobs wait for another replica when the one running them dies
	// (default 30s, or DUBAN_LEASE).
	Lease time.Duration
}

// Service is the supervision loop for one plan. Its jobs can be called
// directly (RunOnce, tests, the API) or put on a Ticker by Start.
type Service struct {
	Plan   *plan.Plan
	Store  Store
	Ingest IngestFunc
	Router *alert.Router
	Sender *alert.Sender // nil: notifications stay in the outbox
	// Now is the clock of the scheduled jobs; RunOnce takes its time as an argument.
	Now    func() time.Time
	Log    *slog.Logger
	Config Config

	// Leader decides whether this replica runs the scheduled jobs; New sets
	// one when the store keeps leases. nil: every tick runs here.
	Leader *Leader

	mu      sync.Mutex // one inbox scan at a time
	inbox   *inbox
	jobs    map[string]*sync.Mutex // one run of each job at a time, ticks and catch-ups alike
	envErrs []error                // bad environment overrides, logged by Start
	wg      sync.WaitGroup         // the lease loop and catch-ups started by Start
}

// New makes a service with the defaults: ingest.Ingest into st, the wall
// clock, no receivers. DUBAN_LEASE and DUBAN_SCHEDULES in the environment
// override cfg (see fromEnv). When st keeps leases (*store.DB does) the
// service elects itself, or not, to run the scheduled jobs among the replicas
// sharing the database.
func New(p *plan.Plan, st Store, cfg Config) *Service {
	envErrs := fromEnv(&cfg, os.Getenv)
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.RawDir == "" && cfg.DataDir != "" {
		cfg.RawDir = filepath.Join(cfg.DataDir, "raw")
	}
	s := &Service{
		Plan: p, Store: st, Router: alert.NewRouter(nil), Now: time.Now, Config: cfg,
		Log: slog.New(slog.DiscardHandler), envErrs: envErrs,
		jobs: map[string]*sync.Mutex{},
	}
	for _, name := range jobNames {
		s.jobs[name] = &sync.Mutex{}
	}
	if ls, ok := st.(LeaseStore); ok {
		s.Leader = NewLeader(ls, "schedule:"+p.ID, cfg.Lease)
	}
	s.Ingest = func(ctx context.Context, path string, opt ingest.Options) (*plan.Submission, error) {
		return ingest.Ingest(ctx, p, st, path, opt)
	}
	s.inbox = &inbox{settle: cfg.Settle, raw: cfg.RawDir, wall: time.Now, seen: map[string]fileSeen{}}
	if cfg.DataDir != "" {
		s.inbox.dir = filepath.Join(cfg.DataDir, inboxDir)
	}
	return s
}

// SetFileClock sets the clock file times are held against (default the wall clock).
func (s *Service) SetFileClock(wall func() time.Time) { s.inbox.wall = wall }

// ScanInbox ingests the settled files of the inbox, as received at now.
func (s *Service) ScanInbox(ctx context.Context, now time.Time) (InboxResult, error) {
	if s.inbox.dir == "" {
		return InboxResult{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inbox.scan(ctx, s.Plan, s.Ingest, now)
}

// Evaluation is the plan evaluated as of an instant, with the observations it was made from.
type Evaluation struct {
	AsOf         time.Time
	Evaluations  []evaluate.Evaluation
	Observations []plan.Observation
	Stored       bool // the day's snapshot was written (false: it already held this or a later as-of)
}

// Evaluate evaluates the plan as of now, on the observations known at now,
// and keeps the day's snapshot.
func (s *Service) Evaluate(ctx context.Context, now time.Time) (*Evaluation, error) {
	obs, err := s.Store.Observations(ctx, s.Plan.ID, now)
	if err != nil {
		return nil, err
	}
	evs := evaluate.Evaluate(s.Plan, obs, now)
	body, err := json.Marshal(evs)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	loc := s.Plan.Location
	if loc == nil {
		loc = time.UTC
	}
	stored, err := s.Store.SaveSnapshot(ctx, plan.Snapshot{
		PlanID: s.Plan.ID, AsOf: now, Day: plan.DateOf(now.Add(-time.Nanosecond).In(loc)),
		Evaluations: body, CreatedAt: now,
	})
	if err != nil {
		return nil, err
	}
	return &Evaluation{AsOf: now, Evaluations: evs, Observations: obs, Stored: stored}, nil
}

// Alerts evaluates the plan as of now, derives the alerts that hold, and
// stores them with the notifications they call for.
func (s *Service) Alerts(ctx context.Context, now time.Time) (alert.SyncResult, error) {
	ev, err := s.Evaluate(ctx, now)
	if err != nil {
		return alert.SyncResult{}, err
	}
	derived := alert.Derive(s.Plan, ev.Evaluations, ev.Observations, now)
	return alert.Sync(ctx, s.Store, s.Plan, s.Router, derived, now, now, s.Config.RepeatWorkdays)
}

// Deliver makes one pass over the outbox at the sender's clock.
func (s *Service) Deliver(ctx context.Context) (alert.DeliveryResult, error) {
	if s.Sender == nil {
		return alert.DeliveryResult{}, nil
	}
	return s.Sender.Deliver(ctx)
}

// Report is what RunOnce did.
type Report struct {
	AsOf     time.Time
	Inbox    InboxResult
	Alerts   alert.SyncResult
	Delivery alert.DeliveryResult
}

// RunOnce runs every job once, in order, as of now: the inbox, then the
// evaluation and alerts, then one delivery pass.
func (s *Service) RunOnce(ctx context.Context, now time.Time) (Report, error) {
	r := Report{AsOf: now}
	var err error
	if r.Inbox, err = s.ScanInbox(ctx, now); err != nil {
		return r, fmt.Errorf("inbox: %w", err)
	}
	if r.Alerts, err = s.Alerts(ctx, now); err != nil {
		return r, fmt.Errorf("alerts: %w", err)
	}
	if r.Delivery, err = s.Deliver(ctx); err != nil {
		return r, fmt.Errorf("deliver: %w", err)
	}
	return r, nil
}

// jobNames are the scheduled jobs, in the order a catch-up runs them.
var jobNames = []string{"inbox", "evaluate", "alerts", "deliver"}

// Start catches up once — one run of every job as of Now, however many
// ticks were missed while the process was down — then puts the jobs on the
// ticker and starts it. Stop the ticker, then cancel ctx, to stop the loop;
// Wait returns when the lease is released.
//
// With a Leader, the catch-up and every tick run only while this replica
// holds the lease, and a tick's job only if no replica has run it for that
// tick. A replica that takes the lease over catches up at once.
func (s *Service) Start(ctx context.Context, t Ticker) error {
	for _, err := range s.envErrs {
		s.Log.Warn("ignoring an environment setting", "err", err)
	}
	l := s.Leader
	if l != nil {
		if l.Log == nil {
			l.Log = s.Log
		}
		held, _, err := l.Renew(ctx)
		switch {
		case err != nil:
			s.Log.Error("take the scheduler lease", "err", err)
		case !held:
			s.Log.Info("another replica runs the scheduled jobs; this one stands by", "lease", l.Name)
		}
		if term := l.Term(); held && term != nil {
			s.catchUp(term)
		}
	} else {
		s.catchUp(ctx)
	}
	sc := s.Config.Schedules
	jobs := []struct {
		name, spec string
		run        func(ctx context.Context) error
	}{
		{"inbox", sc.Inbox, func(ctx context.Context) error { _, err := s.ScanInbox(ctx, s.Now()); return err }},
		{"evaluate", sc.Evaluate, func(ctx context.Context) error { _, err := s.Evaluate(ctx, s.Now()); return err }},
		{"alerts", sc.Alerts, func(ctx context.Context) error { _, err := s.Alerts(ctx, s.Now()); return err }},
		{"deliver", sc.Deliver, func(ctx context.Context) error { _, err := s.Deliver(ctx); return err }},
	}
	loc := s.Plan.Location
	if loc == nil {
		loc = time.UTC
	}
	for _, j := range jobs {
		if j.spec == "" || j.name == "inbox" && s.inbox.dir == "" {
			continue
		}
		sched, err := cron.ParseStandard(j.spec)
		if err != nil {
			return fmt.Errorf("schedule %s %q: %w", j.name, j.spec, err)
		}
		run, name, mu := j.run, j.name, s.jobs[j.name]
		err = t.Schedule(name, j.spec, func() {
			if !mu.TryLock() {
				return // a catch-up is running it
			}
			defer mu.Unlock()
			jctx := ctx
			if l != nil {
				c, ok, err := l.Begin(name, tickOf(sched, l.Clock().In(loc)))
				if err != nil && ctx.Err() == nil {
					s.Log.Warn("record the job's run", "job", name, "err", err)
				}
				if !ok {
					return
				}
				jctx = c
			}
			if err := run(jctx); err != nil && !errors.Is(err, context.Canceled) {
				s.Log.Error("job failed", "job", name, "err", err)
			}
		})
		if err != nil {
			return err
		}
	}
	t.Start()
	if l != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			l.loop(ctx, &s.wg, s.catchUp)
		}()
	}
	return nil
}

// catchUp runs every job once as of Now, holding each job's lock so that no
// tick of it runs meanwhile; with a Leader, only if no catch-up has run this second.
func (s *Service) catchUp(ctx context.Context) {
	if l := s.Leader; l != nil {
		c, ok, err := l.Begin("catch-up", l.Clock().Truncate(time.Second))
		if err != nil {
			s.Log.Warn("record the catch-up run", "err", err)
		}
		if !ok {
			return
		}
		ctx = c
	}
	for _, name := range jobNames {
		s.jobs[name].Lock()
		defer s.jobs[name].Unlock()
	}
	if _, err := s.RunOnce(ctx, s.Now()); err != nil && !errors.Is(err, context.Canceled) {
		s.Log.Error("catch-up run failed", "err", err)
	}
}

// Wait returns once the loop Start began has released the lease and its
// catch-ups have returned, after ctx is cancelled.
func (s *Service) Wait() { s.wg.Wait() }
