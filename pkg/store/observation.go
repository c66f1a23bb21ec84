package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/duban-gov/duban/pkg/plan"
)

// observationRow is a row of the observations table. Rows are only ever
// inserted: a later submission supersedes a row, it never updates it.
type observationRow struct {
	ID           int64 `gorm:"primaryKey"`
	SubmissionID int64
	PlanID       string
	Indicator    string
	Milestone    string
	Unit         string
	Period       string
	Value        *float64
	Total        *float64
	Numerator    *float64
	Denominator  *float64
	Requested    *string
	Connected    *string
	State        string
	Date         *string
	Evidence     string
}

func (observationRow) TableName() string { return "observations" }

func toObservationRow(planID string, o plan.Observation) observationRow {
	return observationRow{
		PlanID:      planID,
		Indicator:   o.Indicator,
		Milestone:   o.Milestone,
		Unit:        o.Unit,
		Period:      o.Period.String(),
		Value:       o.Value,
		Total:       o.Total,
		Numerator:   o.Numerator,
		Denominator: o.Denominator,
		Requested:   dateText(o.Requested),
		Connected:   dateText(o.Connected),
		State:       string(o.State),
		Date:        dateText(o.Date),
		Evidence:    o.Evidence,
	}
}

func dateText(d plan.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

func parseDateText(s *string) (plan.Date, error) {
	if s == nil || *s == "" {
		return plan.Date{}, nil
	}
	return plan.ParseDate(*s)
}

func (r observationRow) observation() (plan.Observation, error) {
	o := plan.Observation{
		Indicator:   r.Indicator,
		Milestone:   r.Milestone,
		Unit:        r.Unit,
		Value:       r.Value,
		Total:       r.Total,
		Numerator:   r.Numerator,
		Denominator: r.Denominator,
		State:       plan.MilestoneState(r.State),
		Evidence:    r.Evidence,
		Submission:  idString(r.SubmissionID),
	}
	var err error
	if o.Period, err = plan.ParsePeriod(r.Period); err != nil {
		return o, fmt.Errorf("observation %d: %w", r.ID, err)
	}
	if o.Requested, err = parseDateText(r.Requested); err != nil {
		return o, fmt.Errorf("observation %d: requested: %w", r.ID, err)
	}
	if o.Connected, err = parseDateText(r.Connected); err != nil {
		return o, fmt.Errorf("observation %d: connected: %w", r.ID, err)
	}
	if o.Date, err = parseDateText(r.Date); err != nil {
		return o, fmt.Errorf("observation %d: date: %w", r.ID, err)
	}
	return o, nil
}

func observations(rows []observationRow) ([]plan.Observation, error) {
	out := make([]plan.Observation, len(rows))
	for i, r := range rows {
		o, err := r.observation()
		if err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

// inForce selects the observation rows (as o) of a plan that are in force as
// known at asOf: rows of accepted submissions received by then, for which no
// such submission received later (or at the same instant with a higher id)
// has rows with the same subject, unit and period. Replacing by key, not by
// row, is what lets a lead-time record set shrink.
//
// The winner of each key is worked out once, over the distinct (key,
// submission) pairs, and joined back: a per-row NOT EXISTS would scan every
// row of the same key for each row, which is quadratic in a submission of
// 100,000 records under one key. indicator and unit, when not empty, narrow
// both sides to one indicator and unit.
func (db *DB) inForce(g *gorm.DB, planID string, asOf time.Time, indicator, unit string) *gorm.DB {
	keys := g.Session(&gorm.Session{NewDB: true}).Table("observations AS k").
		Joins("JOIN submissions ks ON ks.id = k.submission_id").
		Where("k.plan_id = ? AND ks.outcome = ?", planID, string(plan.Accepted))
	q := g.Table("observations AS o").Where("o.plan_id = ?", planID)
	if !asOf.IsZero() {
		keys = keys.Where("ks.received_at <= ?", asOf.UTC())
	}
	if indicator != "" {
		keys = keys.Where("k.indicator = ?", indicator)
		q = q.Where("o.indicator = ?", indicator)
	}
	if unit != "" {
		keys = keys.Where("k.unit = ?", unit)
		q = q.Where("o.unit = ?", unit)
	}
	keys = keys.Select(`k.indicator, k.milestone, k.unit, k.period, k.submission_id,
		ROW_NUMBER() OVER (PARTITION BY k.indicator, k.milestone, k.unit, k.period
			ORDER BY ks.received_at DESC, k.submission_id DESC) AS rn`).
		Group("k.indicator, k.milestone, k.unit, k.period, k.submission_id, ks.received_at")
	return q.Joins(`JOIN (?) w ON w.rn = 1 AND w.submission_id = o.submission_id
		AND w.indicator = o.indicator AND w.milestone = o.milestone AND w.unit = o.unit AND w.period = o.period`, keys)
}

// Observations returns the observations of a plan in force as known at asOf
// (a zero asOf: as known now): those of accepted submissions received at or
// before asOf and, for each (indicator or milestone, unit, period), only those
// of the latest such submission. A lead-time key's whole set of records is
// replaced that way. Each observation carries its submission's id.
func (db *DB) Observations(ctx context.Context, planID string, asOf time.Time) ([]plan.Observation, error) {
	rows, err := db.candidates(db.r.WithContext(ctx), planID, asOf).Rows()
	if err != nil {
		return nil, fmt.Errorf("observations of %s: %w", planID, err)
	}
	obs, err := scanInForce(rows)
	if err != nil {
		return nil, fmt.Errorf("observations of %s: %w", planID, err)
	}
	return obs, nil
}

// ObservationHistory lists every observation ever accepted for one subject
// (an indicator or milestone id), unit and period, superseded ones included,
// oldest first, each with its submission's id.
func (db *DB) ObservationHistory(ctx context.Context, planID, subject, unit string, period plan.Period) ([]plan.Observation, error) {
	var rows []observationRow
	err := db.r.WithContext(ctx).Table("observations AS o").
		Joins("JOIN submissions s ON s.id = o.submission_id").
		Where("o.plan_id = ? AND (o.indicator = ? OR o.milestone = ?) AND o.unit = ? AND o.period = ?",
			planID, subject, subject, unit, period.String()).
		Select("o.*").
		Order("s.received_at, s.id, o.id").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("history of %s %s %s: %w", subject, unit, period, err)
	}
	return observations(rows)
}

// PriorTotal is the running total (Observation.Total) in force, as known now,
// for an indicator and unit in the latest period before `before` that has one,
// and that period; ok is false if there is none. The caller compares the
// period with the one it expects: a gap means the increment spans several periods.
func (db *DB) PriorTotal(ctx context.Context, planID, indicator, unit string, before plan.Period) (total float64, period plan.Period, ok bool, err error) {
	var rows []observationRow
	err = db.inForce(db.r.WithContext(ctx), planID, time.Time{}, indicator, unit).
		Where("o.milestone = '' AND o.period < ? AND o.total IS NOT NULL", before.String()).
		Select("o.*").
		Order("o.period DESC, o.id DESC").
		Limit(1).
		Scan(&rows).Error
	if err != nil {
		return 0, plan.Period{}, false, fmt.Errorf("prior total of %s %s before %s: %w", indicator, unit, before, err)
	}
	if len(rows) == 0 {
		return 0, plan.Period{}, false, nil
	}
	o, err := rows[0].observation()
	if err != nil {
		return 0, plan.Period{}, false, err
	}
	return *o.Total, o.Period, true, nil
}

// CountObservations counts every observation row, superseded ones included.
func (db *DB) CountObservations(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.WithContext(ctx).Model(&observationRow{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count observations: %w", err)
	}
	return n, nil
}
