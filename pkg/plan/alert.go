package plan

import (
	"encoding/json"
	"strings"
	"time"
)

// AlertKind is what an alert (预警) is about.
type AlertKind string

// Alert kinds. report_overdue is about data that did not come; lagging,
// critical, missed and anomaly are about performance; delivery_failed is
// about a notification that could not be delivered.
const (
	ReportOverdue  AlertKind = "report_overdue"  // 逾期未报: a report is past its due working day
	AlertLagging   AlertKind = "lagging"         // 进度滞后
	AlertCritical  AlertKind = "critical"        // 严重滞后
	AlertMissed    AlertKind = "missed"          // 逾期未完成
	AlertAnomaly   AlertKind = "anomaly"         // 数据异常: a figure that contradicts its kind
	DeliveryFailed AlertKind = "delivery_failed" // 通知发送失败
)

// Label is the kind's Chinese name.
func (k AlertKind) Label() string {
	switch k {
	case ReportOverdue:
		return "逾期未报"
	case AlertLagging:
		return "进度滞后"
	case AlertCritical:
		return "严重滞后"
	case AlertMissed:
		return "逾期未完成"
	case AlertAnomaly:
		return "数据异常"
	case DeliveryFailed:
		return "通知发送失败"
	}
	return string(k)
}

// Family says who an alert is for: data alerts go to whoever files the
// figures, performance alerts to whoever must deliver them.
func (k AlertKind) Family() AlertFamily {
	switch k {
	case ReportOverdue:
		return FamilyData
	case DeliveryFailed:
		return FamilyDelivery
	}
	return FamilyPerformance
}

// AlertFamily groups alert kinds by who acts on them.
type AlertFamily string

// Alert families.
const (
	FamilyData        AlertFamily = "data"        // data late (逾期未报)
	FamilyPerformance AlertFamily = "performance" // lagging, critical, missed, anomaly
	FamilyDelivery    AlertFamily = "delivery"    // the alerting itself failed
)

// AlertLevel is how far an alert has escalated, counted in working days past its due date.
type AlertLevel string

// Escalation levels, lowest first.
const (
	Reminder AlertLevel = "reminder"  // 提醒, to the unit's contact
	FollowUp AlertLevel = "follow_up" // 督办, to the unit's head
	Briefing AlertLevel = "briefing"  // 通报, named in the supervision briefing, to the supervision office
)

// AlertLevels lists the levels, lowest first.
var AlertLevels = []AlertLevel{Reminder, FollowUp, Briefing}

// Rank orders levels: 1 for reminder up to 3 for briefing, 0 for none.
func (l AlertLevel) Rank() int {
	switch l {
	case Reminder:
		return 1
	case FollowUp:
		return 2
	case Briefing:
		return 3
	}
	return 0
}

// Label is the level's Chinese name.
func (l AlertLevel) Label() string {
	switch l {
	case Reminder:
		return "提醒"
	case FollowUp:
		return "督办"
	case Briefing:
		return "通报"
	}
	return string(l)
}

// ParseLevel reads a level by its code or Chinese name.
func ParseLevel(s string) (AlertLevel, bool) {
	for _, l := range AlertLevels {
		if s == string(l) || s == l.Label() {
			return l, true
		}
	}
	return "", false
}

// LevelAt is the level of an alert that is workdays working days past its due
// date under escalation e: 提醒 from the start, 督办 from FollowUp, 通报 from Briefing.
func (e Escalation) LevelAt(workdays int) AlertLevel {
	switch {
	case e.Briefing > 0 && workdays >= e.Briefing:
		return Briefing
	case e.FollowUp > 0 && workdays >= e.FollowUp:
		return FollowUp
	}
	return Reminder
}

// AlertState is whether an alert's condition holds.
type AlertState string

// Alert states.
const (
	Firing   AlertState = "firing"
	Resolved AlertState = "resolved"
)

// Alert (预警) is one condition a supervisor must chase: a report not filed, a
// figure behind its trajectory, a target missed, a figure that cannot be right.
// The same condition is one alert however often it is evaluated: Key is stable.
type Alert struct {
	Key     string      `json:"key"`
	PlanID  string      `json:"plan"`
	Kind    AlertKind   `json:"kind"`
	Family  AlertFamily `json:"family"`
	Subject string      `json:"subject"`          // indicator or milestone id (for delivery_failed: the failed notification's key)
	Task    string      `json:"task,omitempty"`   // task id
	Unit    string      `json:"unit,omitempty"`   // unit id; "" for the city figure
	Period  Period      `json:"period,omitzero"`  // the period concerned, where the condition is about one
	Code    string      `json:"code,omitempty"`   // anomaly code
	Name    string      `json:"name,omitempty"`   // indicator name or milestone deliverable
	Notify  []string    `json:"notify,omitempty"` // unit ids to address: the unit, or the task's lead units for the city
	Level   AlertLevel  `json:"level"`
	// Since is the due date from which working days overdue are counted.
	Since Date `json:"since,omitzero"`
	// Overdue is the number of working days after Since up to the as-of day.
	Overdue  int        `json:"overdue_workdays"`
	State    AlertState `json:"state"`
	Reason   string     `json:"reason"`             // one Chinese sentence
	CatchUp  string     `json:"catch_up,omitempty"` // what it would take to catch up, in Chinese
	Occurred int        `json:"occurrence"`         // how many times it has fired: a resolved alert that fires again starts a new occurrence

	FirstFiredAt  time.Time `json:"first_fired_at,omitzero"`
	LastChangedAt time.Time `json:"last_changed_at,omitzero"`
	ResolvedAt    time.Time `json:"resolved_at,omitzero"`

	AcknowledgedBy string    `json:"acknowledged_by,omitempty"`
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	AckComment     string    `json:"ack_comment,omitempty"`
	SilencedUntil  Date      `json:"silenced_until,omitzero"` // no notification through the end of this day

	// NotifiedLevel is the level last notified in this occurrence ("" when none yet).
	NotifiedLevel AlertLevel `json:"notified_level,omitempty"`
	// NotifiedOn is the as-of day of the last notification in this occurrence.
	NotifiedOn Date `json:"notified_on,omitzero"`
}

// AlertKey is the stable key of an alert: kind, subject, unit and period.
func AlertKey(kind AlertKind, subject, unit string, per Period) string {
	return strings.Join([]string{string(kind), subject, unit, per.String()}, "|")
}

// Acknowledged reports whether a person has acknowledged the alert's current occurrence.
func (a Alert) Acknowledged() bool { return a.AcknowledgedBy != "" }

// Silenced reports whether the alert is silenced on day d.
func (a Alert) Silenced(d Date) bool { return !a.SilencedUntil.IsZero() && !d.After(a.SilencedUntil) }

// Why says why a notification was sent.
type Why string

// Reasons for a notification.
const (
	WhyNew       Why = "new"       // the alert fired
	WhyEscalated Why = "escalated" // it moved up a level
	WhyRepeated  Why = "repeated"  // it is still firing at the same level
	WhyResolved  Why = "resolved"  // its condition cleared
)

// Label is the reason's Chinese name.
func (w Why) Label() string {
	switch w {
	case WhyNew:
		return "新预警"
	case WhyEscalated:
		return "预警升级"
	case WhyRepeated:
		return "持续预警"
	case WhyResolved:
		return "预警解除"
	}
	return string(w)
}

// NotificationState is where a notification is in the outbox.
type NotificationState string

// Notification states: pending until a receiver accepts it (sent) or the
// attempts run out (dead, a dead letter that raises delivery_failed).
const (
	Pending NotificationState = "pending"
	Sent    NotificationState = "sent"
	Dead    NotificationState = "dead"
)

// Notification is one message about an alert for one receiver, kept in the
// outbox until the receiver accepts it. Receivers see Key as the idempotency
// key: the same notification delivered twice carries the same key.
type Notification struct {
	ID            int64             `json:"id"`
	Key           string            `json:"idempotency_key"`
	AlertKey      string            `json:"alert_key"`
	Receiver      string            `json:"receiver"`
	Why           Why               `json:"why"`
	Payload       json.RawMessage   `json:"payload"`
	Attempts      int               `json:"attempts"`
	NextAttemptAt time.Time         `json:"next_attempt_at"`
	State         NotificationState `json:"state"`
	LastError     string            `json:"last_error,omitempty"`
	SentAt        time.Time         `json:"sent_at,omitzero"`
	CreatedAt     time.Time         `json:"created_at"`
	ClaimedBy     string            `json:"claimed_by,omitempty"`
	ClaimedAt     time.Time         `json:"claimed_at,omitzero"`
}

// Snapshot is the evaluation of a plan as of one instant, kept so that the
// board and the alerts can be explained later. Evaluations is JSON: the
// evaluator's output, which this package does not know.
type Snapshot struct {
	PlanID      string          `json:"plan"`
	AsOf        time.Time       `json:"as_of"`
	Day         Date            `json:"day"` // the as-of day in the plan's time zone: one snapshot per day
	Evaluations json.RawMessage `json:"evaluations"`
	CreatedAt   time.Time       `json:"created_at"`
}
