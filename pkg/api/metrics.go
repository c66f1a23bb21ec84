package api

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// Metrics are the service's Prometheus metrics, in a registry of their own
// (no package globals): requests, ingest outcomes, alerts by level, job durations.
type Metrics struct {
	Registry *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	ingests  *prometheus.CounterVec
	jobs     *prometheus.HistogramVec
}

// NewMetrics makes the metrics and registers them, with the Go and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duban_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "duban_http_request_duration_seconds", Help: "HTTP request durations by method and route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		ingests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "duban_ingest_total", Help: "Files ingested, by source and outcome (accepted, rejected, duplicate, error).",
		}, []string{"source", "outcome"}),
		jobs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "duban_job_duration_seconds", Help: "Scheduled job durations by job and outcome (ok, error).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300},
		}, []string{"job", "outcome"}),
	}
	m.Registry.MustRegister(m.requests, m.duration, m.ingests, m.jobs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveIngest counts one file ingested from a source (upload, inbox, cli)
// with its outcome: accepted, rejected, duplicate or error.
func (m *Metrics) ObserveIngest(source, outcome string) {
	m.ingests.WithLabelValues(source, outcome).Inc()
}

// ObserveJob records how long one run of a scheduled job took and whether it failed.
func (m *Metrics) ObserveJob(job string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.jobs.WithLabelValues(job, outcome).Observe(d.Seconds())
}

// WatchLeader exports whether this replica runs the scheduled jobs (1) or
// stands by (0), so that an operator can see which replica holds the lease.
func (m *Metrics) WatchLeader(leads func() bool) {
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "duban_scheduler_leader", Help: "1 when this replica holds the scheduler lease and runs the jobs, else 0.",
	}, func() float64 {
		if leads() {
			return 1
		}
		return 0
	}))
}

// WatchAlerts exports the firing alerts of the plan in force, by level and
// kind, read from the alert store at each scrape.
func (m *Metrics) WatchAlerts(plans *Plans, alerts AlertStore) {
	m.Registry.MustRegister(&alertCollector{plans: plans, alerts: alerts,
		desc: prometheus.NewDesc("duban_alerts_firing", "Firing alerts by level and kind.", []string{"level", "kind"}, nil)})
}

type alertCollector struct {
	plans  *Plans
	alerts AlertStore
	desc   *prometheus.Desc
}

func (a *alertCollector) Describe(ch chan<- *prometheus.Desc) { ch <- a.desc }

func (a *alertCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := a.alerts.Alerts(ctx, store.AlertFilter{PlanID: a.plans.Plan().ID, State: plan.Firing})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(a.desc, err)
		return
	}
	type key struct{ level, kind string }
	counts := map[key]int{}
	for _, al := range list {
		counts[key{string(al.Level), string(al.Kind)}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(a.desc, prometheus.GaugeValue, float64(n), k.level, k.kind)
	}
}

// instrument counts and times every request by its route pattern, not its
// path, so that ids do not explode the label set.
func (m *Metrics) instrument(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusFor(err)
	}
	// Label values outlive the request: copy them out of fiber's reused buffers.
	route := utils.CopyString(c.Route().Path)
	if route == "" || route == "/" && c.Path() != "/" {
		route = "other"
	}
	method := utils.CopyString(c.Method())
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	return err
}

// handler serves the registry in the Prometheus text format.
func (m *Metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
}
