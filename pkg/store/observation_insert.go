package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// insertBatch is how many observation rows one INSERT carries: 15 columns
// each, well under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const insertBatch = 256

// observationColumns are the columns an observation row is inserted with, in
// the order gorm inserted them; the id comes from the database.
const observationColumns = "submission_id, plan_id, indicator, milestone, unit, period, value, total, numerator, denominator, requested, connected, state, date, evidence"

// insertObservations inserts rows in order, inside tx, through one prepared
// multi-row INSERT reused for every full batch. gorm's CreateInBatches
// built each batch's SQL by reflection and read every id back; a profile of
// a 100,000-row submission had that as a third of the whole ingest.
func (db *DB) insertObservations(ctx context.Context, tx *gorm.DB, rows []observationRow) error {
	pool := tx.Statement.ConnPool
	var full *sql.Stmt
	args := make([]any, 0, insertBatch*15)
	for len(rows) > 0 {
		n := min(len(rows), insertBatch)
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r.SubmissionID, r.PlanID, r.Indicator, r.Milestone, r.Unit, r.Period,
				r.Value, r.Total, r.Numerator, r.Denominator, r.Requested, r.Connected, r.State, r.Date, r.Evidence)
		}
		var err error
		if n == insertBatch {
			if full == nil {
				if full, err = pool.PrepareContext(ctx, db.insertSQL(n)); err != nil {
					return fmt.Errorf("prepare insert: %w", err)
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = pool.ExecContext(ctx, db.insertSQL(n), args...)
		}
		if err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// insertSQL is the INSERT of n observation rows in the dialect's placeholders.
func (db *DB) insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO observations (" + observationColumns + ") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range 15 {
			if j > 0 {
				b.WriteByte(',')
			}
			p++
			if db.dialect == Postgres {
				b.WriteString("$" + strconv.Itoa(p))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
