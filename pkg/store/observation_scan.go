package store

import (
	"database/sql"
	"time"

	"gorm.io/gorm"

	"github.com/duban-gov/duban/pkg/plan"
)

// observationSelect lists an observation row's columns in the order
// scanObservations reads them.
const observationSelect = "o.id, o.submission_id, o.plan_id, o.indicator, o.milestone, o.unit, o.period, " +
	"o.value, o.total, o.numerator, o.denominator, o.requested, o.connected, o.state, o.date, o.evidence"

// scanObservations reads observation rows selected as observationSelect and
// closes them. gorm's Scan found each column's field by reflection, row by
// row: on a million observations that was as long as the query itself.
func scanObservations(rows *sql.Rows) ([]plan.Observation, error) {
	defer rows.Close()
	var out []plan.Observation
	for rows.Next() {
		var r observationRow
		if err := rows.Scan(&r.ID, &r.SubmissionID, &r.PlanID, &r.Indicator, &r.Milestone, &r.Unit, &r.Period,
			&r.Value, &r.Total, &r.Numerator, &r.Denominator, &r.Requested, &r.Connected, &r.State, &r.Date, &r.Evidence); err != nil {
			return nil, err
		}
		o, err := r.observation()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		out = []plan.Observation{}
	}
	return out, nil
}

// candidates selects, as observationSelect, every observation row of a
// plan's accepted submissions received by asOf (all of them for a zero
// asOf), each key's rows from its latest submission first.
func (db *DB) candidates(g *gorm.DB, planID string, asOf time.Time) *gorm.DB {
	q := g.Table("observations AS o").
		Joins("JOIN submissions s ON s.id = o.submission_id").
		Where("o.plan_id = ? AND s.outcome = ?", planID, string(plan.Accepted))
	if !asOf.IsZero() {
		q = q.Where("s.received_at <= ?", asOf.UTC())
	}
	return q.Select(observationSelect).
		Order("o.indicator, o.milestone, o.unit, o.period, s.received_at DESC, o.submission_id DESC, o.id")
}

// scanInForce keeps, of the candidates, the rows in force: for each key
// (subject, unit, period), the rows of its first submission, which is the
// latest received (the higher id at the same instant), as inForce picks them.
// Choosing while reading spares the database a window over every row; the
// rows come out ordered by key, then id, as Observations promises.
func scanInForce(rows *sql.Rows) ([]plan.Observation, error) {
	defer rows.Close()
	var out []plan.Observation
	var key [4]string
	winner := int64(-1)
	for rows.Next() {
		var r observationRow
		if err := rows.Scan(&r.ID, &r.SubmissionID, &r.PlanID, &r.Indicator, &r.Milestone, &r.Unit, &r.Period,
			&r.Value, &r.Total, &r.Numerator, &r.Denominator, &r.Requested, &r.Connected, &r.State, &r.Date, &r.Evidence); err != nil {
			return nil, err
		}
		if k := [4]string{r.Indicator, r.Milestone, r.Unit, r.Period}; k != key || winner < 0 {
			key, winner = k, r.SubmissionID
		}
		if r.SubmissionID != winner {
			continue
		}
		o, err := r.observation()
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if out == nil {
		out = []plan.Observation{}
	}
	return out, nil
}
