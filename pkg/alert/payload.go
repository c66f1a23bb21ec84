package alert

import (
	"fmt"
	"strings"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// Payload is the JSON body a generic webhook receives, and what the WeCom
// and e-mail receivers render. docs/alerts.md documents it; add fields, never
// rename them.
type Payload struct {
	IdempotencyKey string       `json:"idempotency_key"`
	Why            plan.Why     `json:"why"`
	WhyLabel       string       `json:"why_label"`
	Plan           string       `json:"plan"`
	PlanTitle      string       `json:"plan_title"`
	Title          string       `json:"title"` // one line: 【督办】市政数局 逾期未报 …
	Alert          PayloadAlert `json:"alert"`
}

// PayloadAlert is the alert as a notification shows it.
type PayloadAlert struct {
	Key             string           `json:"key"`
	Kind            plan.AlertKind   `json:"kind"`
	KindLabel       string           `json:"kind_label"`
	Family          plan.AlertFamily `json:"family"`
	Level           plan.AlertLevel  `json:"level"`
	LevelLabel      string           `json:"level_label"`
	State           plan.AlertState  `json:"state"`
	Subject         string           `json:"subject"`
	Name            string           `json:"name,omitempty"`
	Task            string           `json:"task,omitempty"`
	Unit            string           `json:"unit,omitempty"`
	UnitName        string           `json:"unit_name"`
	Notify          []string         `json:"notify,omitempty"`
	Period          string           `json:"period,omitempty"`
	Since           string           `json:"since,omitempty"`
	OverdueWorkdays int              `json:"overdue_workdays"`
	Reason          string           `json:"reason"`
	CatchUp         string           `json:"catch_up,omitempty"`
	FirstFiredAt    time.Time        `json:"first_fired_at"`
	ResolvedAt      *time.Time       `json:"resolved_at,omitempty"`
	AcknowledgedBy  string           `json:"acknowledged_by,omitempty"`
	AckComment      string           `json:"ack_comment,omitempty"`
}

// NewPayload describes one event for receivers.
func NewPayload(p *plan.Plan, e Event, key string) Payload {
	a := e.Alert
	unitName := "全市"
	if a.Unit != "" {
		unitName = p.UnitName(a.Unit)
	}
	pa := PayloadAlert{
		Key: a.Key, Kind: a.Kind, KindLabel: a.Kind.Label(), Family: a.Family,
		Level: a.Level, LevelLabel: a.Level.Label(), State: a.State,
		Subject: a.Subject, Name: a.Name, Task: a.Task, Unit: a.Unit, UnitName: unitName, Notify: a.Notify,
		Period: a.Period.String(), Since: a.Since.String(), OverdueWorkdays: a.Overdue,
		Reason: a.Reason, CatchUp: a.CatchUp, FirstFiredAt: a.FirstFiredAt.UTC(),
		AcknowledgedBy: a.AcknowledgedBy, AckComment: a.AckComment,
	}
	if !a.ResolvedAt.IsZero() {
		t := a.ResolvedAt.UTC()
		pa.ResolvedAt = &t
	}
	subject := a.Name
	if subject == "" {
		subject = a.Subject
	}
	title := fmt.Sprintf("【%s·%s】%s %s:%s", a.Level.Label(), e.Why.Label(), unitName, a.Kind.Label(), subject)
	if a.Task != "" {
		title = fmt.Sprintf("【%s·%s】%s %s:任务%s %s", a.Level.Label(), e.Why.Label(), unitName, a.Kind.Label(), a.Task, subject)
	}
	return Payload{
		IdempotencyKey: key, Why: e.Why, WhyLabel: e.Why.Label(),
		Plan: p.ID, PlanTitle: p.Title, Title: title, Alert: pa,
	}
}

// Text renders the payload as plain text, for e-mail.
func (m Payload) Text() string {
	var b strings.Builder
	a := m.Alert
	fmt.Fprintf(&b, "%s\n\n", m.Title)
	fmt.Fprintf(&b, "通知原因:%s\n", m.WhyLabel)
	fmt.Fprintf(&b, "预警类型:%s(%s)\n", a.KindLabel, a.Kind)
	fmt.Fprintf(&b, "预警级别:%s\n", a.LevelLabel)
	fmt.Fprintf(&b, "责任单位:%s\n", a.UnitName)
	if a.Since != "" {
		fmt.Fprintf(&b, "起算日期:%s,已逾期%d个工作日\n", a.Since, a.OverdueWorkdays)
	}
	fmt.Fprintf(&b, "情况说明:%s\n", a.Reason)
	if a.CatchUp != "" && a.State == plan.Firing {
		fmt.Fprintf(&b, "整改要求:%s\n", a.CatchUp)
	}
	fmt.Fprintf(&b, "\n%s\n通知编号:%s\n", m.PlanTitle, m.IdempotencyKey)
	return b.String()
}

// Markdown renders the payload as a WeCom markdown message.
func (m Payload) Markdown() string {
	var b strings.Builder
	a := m.Alert
	color := "warning"
	if a.State == plan.Resolved {
		color = "info"
	}
	fmt.Fprintf(&b, "**<font color=\"%s\">%s</font>**\n", color, m.Title)
	fmt.Fprintf(&b, "> 通知原因:%s\n", m.WhyLabel)
	fmt.Fprintf(&b, "> 预警级别:<font color=\"%s\">%s</font>\n", color, a.LevelLabel)
	fmt.Fprintf(&b, "> 责任单位:%s\n", a.UnitName)
	if a.Since != "" {
		fmt.Fprintf(&b, "> 已逾期:%d个工作日(自%s起算)\n", a.OverdueWorkdays, a.Since)
	}
	fmt.Fprintf(&b, "> 情况说明:%s\n", a.Reason)
	if a.CatchUp != "" && a.State == plan.Firing {
		fmt.Fprintf(&b, "> 整改要求:%s\n", a.CatchUp)
	}
	fmt.Fprintf(&b, "<font color=\"comment\">通知编号 %s</font>", m.IdempotencyKey)
	return b.String()
}
