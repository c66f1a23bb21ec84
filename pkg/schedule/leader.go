package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// LeaseStore is what leader election needs of the database; *store.DB
// implements it with a lease row and a table of job runs (pkg/store/lease.go
// says why a row and not a PostgreSQL advisory lock).
type LeaseStore interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (token int64, held bool, err error)
	ReleaseLease(ctx context.Context, name, holder string, token int64) error
	RecordRun(ctx context.Context, lease, holder string, token int64, job string, tick time.Time) (bool, error)
	PruneJobRuns(ctx context.Context, lease string, before time.Time) (int64, error)
}

// Lease timing. The holder renews every third of the lease, so two renewals
// in a row can fail (a slow database, a network blip) before it lets go; a
// holder that dies is replaced at most one lease plus one renewal interval
// later: 40 s with the defaults, within the minute the operators were promised.
const (
	// DefaultLease is the lease when neither Config.Lease nor DUBAN_LEASE sets one.
	DefaultLease = 30 * time.Second
	// LeaseEnv names the environment variable that sets the lease, e.g. DUBAN_LEASE=5s.
	LeaseEnv = "DUBAN_LEASE"
	// jobRunsKept is how long job runs are kept: long enough that no tick
	// still in play is forgotten, short enough that the table stays small.
	jobRunsKept = 7 * 24 * time.Hour
)

// Leader elects, among the replicas sharing one database, the one that runs
// the scheduled jobs. Every replica puts the jobs on its ticker; at each tick
// a job runs only if this replica holds the lease and the tick's run can be
// recorded under the lease's current fencing token. So:
//
//   - one replica at a time runs the jobs, and another takes over within a
//     lease and a renewal interval once it stops renewing (it died, hung or
//     lost the database);
//   - no job runs twice for one tick, even when the old holder wakes from a
//     pause still believing it leads: its token is stale and its run is refused;
//   - a job run already going when the lease is lost has its context
//     cancelled. What it did up to then is safe to have done twice: every job
//     works from stored state, and the outbox claim is exclusive.
//
// On SQLite the single process takes the lease at once and keeps it, through
// the same code.
type Leader struct {
	Store  LeaseStore
	Name   string        // the lease's name: one per plan
	Holder string        // this replica's name in the lease: host, process and a random part
	TTL    time.Duration // how long the lease lasts unrenewed
	// Clock names ticks (default the wall clock). Tests with a simulated
	// clock set it; the lease itself is timed by the database's clock.
	Clock func() time.Time
	Log   *slog.Logger // nil: the service's

	mu        sync.Mutex
	token     int64
	until     time.Time // local monotonic instant up to which the lease is surely ours
	term      context.Context
	cancel    context.CancelFunc // nil: not holding
	lastPrune time.Time
}

// NewLeader makes a leader for this process under the lease name.
func NewLeader(st LeaseStore, name string, ttl time.Duration) *Leader {
	if ttl <= 0 {
		ttl = DefaultLease
	}
	return &Leader{Store: st, Name: name, Holder: holderName(), TTL: ttl, Clock: time.Now}
}

func holderName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// renewEvery is how often the lease is renewed, or tried for.
func (l *Leader) renewEvery() time.Duration { return max(l.TTL/3, 10*time.Millisecond) }

// Renew takes or keeps the lease once. held says whether this replica now
// holds it; gained, whether it has just taken it (a new term, whose context
// Term returns; it derives from ctx, the service's context). An error leaves
// the replica's belief as it was: it holds on until its lease would have run
// out, and no longer.
func (l *Leader) Renew(ctx context.Context) (held, gained bool, err error) {
	start := time.Now()
	token, held, err := l.Store.AcquireLease(ctx, l.Name, l.Holder, l.TTL)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		if l.cancel != nil && !time.Now().Before(l.until) {
			l.loseLocked("the lease ran out while it could not be renewed")
		}
		return l.cancel != nil, false, err
	}
	if !held {
		if l.cancel != nil {
			l.loseLocked("another replica holds the lease")
		}
		return false, false, nil
	}
	if l.cancel != nil && token != l.token {
		l.loseLocked("the lease lapsed and was taken anew")
	}
	if l.cancel == nil {
		l.term, l.cancel = context.WithCancel(ctx)
		gained = true
		l.logger().Info("this replica now runs the scheduled jobs", "lease", l.Name, "holder", l.Holder, "token", token)
	}
	l.token = token
	// The database set the expiry from its clock after start; a little
	// margin covers the difference in clock rates.
	l.until = start.Add(l.TTL - l.TTL/10)
	return true, gained, nil
}

func (l *Leader) loseLocked(why string) {
	l.logger().Warn("this replica no longer runs the scheduled jobs", "lease", l.Name, "holder", l.Holder, "token", l.token, "why", why)
	l.cancel()
	l.cancel, l.term, l.token = nil, nil, 0
}

// Holds reports whether this replica holds the lease, and its fencing token.
func (l *Leader) Holds() (token int64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel == nil || !time.Now().Before(l.until) {
		return 0, false
	}
	return l.token, true
}

// Term is the context of the current term: cancelled when the lease is lost
// or released. It is nil when this replica does not hold the lease.
func (l *Leader) Term() context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel == nil {
		return nil
	}
	return l.term
}

// Begin is asked at each tick of a job: it returns the context to run the
// job in, and ok true, only when this replica holds the lease and is the
// first to record a run of the job for that tick.
func (l *Leader) Begin(job string, tick time.Time) (ctx context.Context, ok bool, err error) {
	l.mu.Lock()
	term, token, held := l.term, l.token, l.cancel != nil && time.Now().Before(l.until)
	l.mu.Unlock()
	if !held {
		return nil, false, nil
	}
	ok, err = l.Store.RecordRun(term, l.Name, l.Holder, token, job, tick)
	if err != nil || !ok {
		return nil, false, err
	}
	return term, true, nil
}

// Release gives the lease up, if held, so that another replica takes over
// at its next try instead of after the lease runs out.
func (l *Leader) Release(ctx context.Context) error {
	l.mu.Lock()
	token, held := l.token, l.cancel != nil
	if held {
		l.cancel()
		l.cancel, l.term, l.token = nil, nil, 0
	}
	l.mu.Unlock()
	if !held {
		return nil
	}
	l.logger().Info("released the scheduler lease", "lease", l.Name, "holder", l.Holder, "token", token)
	return l.Store.ReleaseLease(ctx, l.Name, l.Holder, token)
}

// loop renews the lease until ctx is done, then releases it. Each time the
// lease is gained, gained runs in its own goroutine with the term's context,
// so that a long catch-up never holds up the renewals.
func (l *Leader) loop(ctx context.Context, wg *sync.WaitGroup, gained func(ctx context.Context)) {
	t := time.NewTicker(l.renewEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := l.Release(rctx); err != nil {
				l.logger().Warn("release the scheduler lease", "err", err)
			}
			cancel()
			return
		case <-t.C:
		}
		held, gain, err := l.Renew(ctx)
		if err != nil {
			if ctx.Err() == nil {
				l.logger().Warn("renew the scheduler lease", "err", err)
			}
			continue
		}
		if gain {
			if term := l.Term(); term != nil {
				wg.Add(1)
				go func() {
					defer wg.Done()
					gained(term)
				}()
			}
		}
		if held {
			l.prune(ctx)
		}
	}
}

// prune deletes old job runs, about once an hour, while holding the lease.
func (l *Leader) prune(ctx context.Context) {
	now := l.Clock()
	if !l.lastPrune.IsZero() && now.Sub(l.lastPrune) < time.Hour && now.After(l.lastPrune) {
		return
	}
	l.lastPrune = now
	if _, err := l.Store.PruneJobRuns(ctx, l.Name, now.Add(-jobRunsKept)); err != nil {
		l.logger().Warn("prune job runs", "err", err)
	}
}

// tickOf names the tick a job's run belongs to: the latest activation of its
// schedule at or before now. Replicas name a tick alike, so the job runs
// recorded under the lease tell whether this tick's job has run. Cron fires
// an @every job at its own start plus multiples of the interval; those are
// named by the interval's multiple since the epoch they fall in.
func tickOf(s cron.Schedule, now time.Time) time.Time {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		return now.Truncate(c.Delay)
	}
	for _, back := range []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		t := s.Next(now.Add(-back))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := s.Next(t)
			if n.IsZero() || n.After(now) {
				return t
			}
			t = n
		}
	}
	return now.Truncate(time.Second)
}

func (l *Leader) logger() *slog.Logger {
	if l.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Log
}

// SchedulesEnv names the environment variable that overrides job schedules,
// as job=spec pairs separated by semicolons, e.g.
// DUBAN_SCHEDULES="deliver=@every 5s;alerts=*/5 * * * *". An empty spec
// takes the job off the ticker.
const SchedulesEnv = "DUBAN_SCHEDULES"

// fromEnv applies DUBAN_LEASE and DUBAN_SCHEDULES to cfg. A value that does
// not parse is left out and reported; the rest still apply.
func fromEnv(cfg *Config, getenv func(string) string) []error {
	var errs []error
	if v := strings.TrimSpace(getenv(LeaseEnv)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 30s", LeaseEnv, v))
		} else {
			cfg.Lease = d
		}
	}
	v := strings.TrimSpace(getenv(SchedulesEnv))
	if v == "" {
		return errs
	}
	for _, pair := range strings.Split(v, ";") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		name, spec, ok := strings.Cut(pair, "=")
		name, spec = strings.TrimSpace(name), strings.TrimSpace(spec)
		var field *string
		switch name {
		case "inbox":
			field = &cfg.Schedules.Inbox
		case "evaluate":
			field = &cfg.Schedules.Evaluate
		case "alerts":
			field = &cfg.Schedules.Alerts
		case "deliver":
			field = &cfg.Schedules.Deliver
		}
		if !ok || field == nil {
			errs = append(errs, fmt.Errorf("%s: %q is not job=spec for a job of %s", SchedulesEnv, pair, strings.Join(jobNames, ", ")))
			continue
		}
		if spec != "" {
			if _, err := cron.ParseStandard(spec); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", SchedulesEnv, name, err))
				continue
			}
		}
		*field = spec
	}
	return errs
}
