package alert

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/duban-gov/duban/pkg/plan"
)

// Receiver types.
const (
	TypeWebhook = "webhook" // a generic JSON webhook: the Payload, with an Idempotency-Key header
	TypeWeCom   = "wecom"   // a WeCom (企业微信, 粤政易) group robot: a markdown message
	TypeEmail   = "email"   // e-mail over SMTP
)

// Receivers is a receivers file (kind: Receivers): where notifications go.
type Receivers struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Receivers  []ReceiverSpec `yaml:"receivers"`
	Routes     []Route        `yaml:"routes"`
	// Fallback receives the delivery_failed alerts raised by notifications
	// that could not be delivered.
	Fallback string `yaml:"fallback"`
	// RepeatWorkdays is how many working days a firing alert waits before it
	// is notified again at the same level (default 5).
	RepeatWorkdays int      `yaml:"repeat_workdays"`
	Delivery       Delivery `yaml:"delivery"`
}

// ReceiverSpec is one receiver.
type ReceiverSpec struct {
	Name    string            `yaml:"name"`
	Type    string            `yaml:"type"`
	URL     string            `yaml:"url"`     // webhook, wecom
	Headers map[string]string `yaml:"headers"` // webhook: extra request headers
	SMTP    string            `yaml:"smtp"`    // email: host:port
	From    string            `yaml:"from"`
	To      []string          `yaml:"to"`
	// Username and the name of the environment variable holding the password,
	// for SMTP servers that ask for a login; the password is never in the file.
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
}

// Route sends the alerts it matches to its receivers. Every route that
// matches contributes; an alert no route matches is not sent.
type Route struct {
	Match     Match    `yaml:"match"`
	Receivers []string `yaml:"receivers"`
}

// Match selects alerts; an empty list matches anything. unit matches any of
// the units an alert is addressed to (for a city alert, the task's lead
// units), by id, name or alias; level and kind take codes or Chinese names.
type Match struct {
	Unit   []string `yaml:"unit"`
	Family []string `yaml:"family"`
	Level  []string `yaml:"level"`
	Kind   []string `yaml:"kind"`
}

// Delivery sets the sender's retries.
type Delivery struct {
	MaxAttempts int           `yaml:"max_attempts"` // default 16
	MinBackoff  time.Duration `yaml:"min_backoff"`  // default 1s: the wait after the first failure
	MaxBackoff  time.Duration `yaml:"max_backoff"`  // default 1h
	Timeout     time.Duration `yaml:"timeout"`      // per attempt, default 10s
}

// ReadReceivers reads and checks a receivers file against the plan (unit names in routes).
func ReadReceivers(path string, p *plan.Plan) (*Receivers, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read receivers: %w", err)
	}
	r, err := ParseReceivers(b, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ParseReceivers decodes a receivers file strictly and reports every problem at once.
func ParseReceivers(b []byte, p *plan.Plan) (*Receivers, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var r Receivers
	if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode receivers: %w", err)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if r.APIVersion != "duban/v1" || r.Kind != "Receivers" {
		bad("the file must start with apiVersion: duban/v1 and kind: Receivers")
	}
	names := map[string]bool{}
	for i, rc := range r.Receivers {
		switch {
		case rc.Name == "":
			bad("receivers[%d]: name is required", i)
		case names[rc.Name]:
			bad("receivers[%d]: duplicate name %q", i, rc.Name)
		}
		names[rc.Name] = true
		switch rc.Type {
		case TypeWebhook, TypeWeCom:
			if u, err := url.Parse(rc.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("receiver %s: url must be an http or https URL", rc.Name)
			}
		case TypeEmail:
			if _, _, err := net.SplitHostPort(rc.SMTP); err != nil {
				bad("receiver %s: smtp must be host:port", rc.Name)
			}
			if rc.From == "" || len(rc.To) == 0 {
				bad("receiver %s: email needs from and to", rc.Name)
			}
		default:
			bad("receiver %s: type must be webhook, wecom or email, not %q", rc.Name, rc.Type)
		}
	}
	for i, rt := range r.Routes {
		if len(rt.Receivers) == 0 {
			bad("routes[%d]: no receivers", i)
		}
		for _, n := range rt.Receivers {
			if !names[n] {
				bad("routes[%d]: unknown receiver %q", i, n)
			}
		}
		if p != nil {
			// Units by id; a group stands for itself and each of its members.
			var ids []string
			for _, u := range rt.Match.Unit {
				unit, ok := p.Unit(u)
				if !ok {
					bad("routes[%d]: unknown unit %q", i, u)
					continue
				}
				ids = append(ids, unit.ID)
				if unit.Kind == plan.Group {
					ids = append(ids, unit.Members...)
				}
			}
			r.Routes[i].Match.Unit = ids
		}
		for k, l := range rt.Match.Level {
			if lv, ok := plan.ParseLevel(l); ok {
				r.Routes[i].Match.Level[k] = string(lv)
			} else {
				bad("routes[%d]: unknown level %q (reminder/提醒, follow_up/督办, briefing/通报)", i, l)
			}
		}
		for k, kind := range rt.Match.Kind {
			if kd, ok := parseKind(kind); ok {
				r.Routes[i].Match.Kind[k] = string(kd)
			} else {
				bad("routes[%d]: unknown kind %q", i, kind)
			}
		}
		for _, f := range rt.Match.Family {
			if f != string(plan.FamilyData) && f != string(plan.FamilyPerformance) && f != string(plan.FamilyDelivery) {
				bad("routes[%d]: unknown family %q (data, performance or delivery)", i, f)
			}
		}
	}
	if r.Fallback != "" && !names[r.Fallback] {
		bad("fallback: unknown receiver %q", r.Fallback)
	}
	if r.RepeatWorkdays < 0 || r.Delivery.MaxAttempts < 0 || r.Delivery.MinBackoff < 0 || r.Delivery.MaxBackoff < 0 {
		bad("repeat_workdays and delivery settings cannot be negative")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%d problems in receivers:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return &r, nil
}

func parseKind(s string) (plan.AlertKind, bool) {
	for _, k := range []plan.AlertKind{plan.ReportOverdue, plan.AlertLagging, plan.AlertCritical,
		plan.AlertMissed, plan.AlertAnomaly, plan.DeliveryFailed} {
		if s == string(k) || s == k.Label() {
			return k, true
		}
	}
	return "", false
}

// Router picks the receivers of an alert by the routes of a receivers file.
type Router struct {
	routes []Route
}

// NewRouter makes a router from a receivers file; a nil file routes nothing.
func NewRouter(r *Receivers) *Router {
	if r == nil {
		return &Router{}
	}
	return &Router{routes: r.Routes}
}

// Route lists the receivers of an alert, each once, in the order the routes name them.
func (r *Router) Route(a plan.Alert) []string {
	var out []string
	for _, rt := range r.routes {
		if !rt.Match.matches(a) {
			continue
		}
		for _, n := range rt.Receivers {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

func (m Match) matches(a plan.Alert) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	if !in(m.Family, string(a.Family)) || !in(m.Level, string(a.Level)) || !in(m.Kind, string(a.Kind)) {
		return false
	}
	if len(m.Unit) == 0 {
		return true
	}
	for _, u := range append([]string{a.Unit}, a.Notify...) {
		if u != "" && slices.Contains(m.Unit, u) {
			return true
		}
	}
	return false
}
