// Package schedule runs duban's supervision loop: scan the inbox and ingest
// what units dropped there, evaluate the plan and keep the day's snapshot,
// derive alerts and deliver their notifications.
//
// Each job works from state, not from the tick that started it: it reads
// what is stored, works out what holds now, and writes only what changed,
// keyed so that running it again changes nothing. So cron is only a ticker:
// runs missed while the process was down are not replayed, and Start catches
// up once.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Ticker calls jobs on their schedules. Correctness never depends on it: a
// job may run late, be skipped, or run by hand.
type Ticker interface {
	// Schedule adds a job under a cron spec (five fields, or @every 5m, @hourly …).
	Schedule(name, spec string, job func()) error
	Start()
	// Stop stops scheduling and returns a context done when running jobs have finished.
	Stop() context.Context
}

// Cron is a Ticker on robfig/cron in a time zone. Every job is wrapped so
// that a panic is recovered and logged, and a run still going when the next
// is due makes that next one skip rather than stack up. Recover is the
// innermost wrapper: a panic under SkipIfStillRunning alone would block the job for good.
type Cron struct {
	c   *cron.Cron
	log *slog.Logger
}

// NewCron makes a ticker whose schedules are read in loc.
func NewCron(loc *time.Location, log *slog.Logger) *Cron {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := cronLogger{log}
	c := cron.New(
		cron.WithLocation(loc),
		cron.WithLogger(l),
		cron.WithChain(chain(l)...),
	)
	return &Cron{c: c, log: log}
}

// chain wraps every job: skip a run while the last is still going
// (outermost), recover a panic (innermost, so the skip guard is released).
func chain(l cron.Logger) []cron.JobWrapper {
	return []cron.JobWrapper{cron.SkipIfStillRunning(l), cron.Recover(l)}
}

// Wrap applies the ticker's wrappers to a job, so that it can be run outside
// cron (or tested) exactly as cron runs it.
func Wrap(log *slog.Logger, job func()) func() {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return cron.NewChain(chain(cronLogger{log})...).Then(cron.FuncJob(job)).Run
}

// Schedule adds a job.
func (t *Cron) Schedule(name, spec string, job func()) error {
	if _, err := t.c.AddFunc(spec, job); err != nil {
		return fmt.Errorf("schedule %s %q: %w", name, spec, err)
	}
	t.log.Info("job scheduled", "job", name, "spec", spec)
	return nil
}

// Start starts the ticker in its own goroutine.
func (t *Cron) Start() { t.c.Start() }

// Stop stops the ticker; the context is done when running jobs have returned.
func (t *Cron) Stop() context.Context { return t.c.Stop() }

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
