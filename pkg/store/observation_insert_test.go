package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// TestInsertObservationsAsGorm saves the same submissions through
// SaveSubmission and through gorm's CreateInBatches, which it replaced, and
// wants the same rows, ids included, on either side of each batch boundary.
func TestInsertObservationsAsGorm(t *testing.T) {
	for _, n := range []int{1, insertBatch - 1, insertBatch, insertBatch + 1, 3*insertBatch + 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			ctx := context.Background()
			fast := openTemp(t, "fast.db")
			gormDB := openTemp(t, "gorm.db")
			for k := range 2 {
				sub := &plan.Submission{SHA256: fmt.Sprintf("%064d", k), PlanID: "p", Unit: "u", Outcome: plan.Accepted,
					Period: plan.Period{Year: 2022, Month: time.Month(k + 1)}, ReceivedAt: time.Date(2022, 2+time.Month(k), 3, 10, 0, 0, 0, time.UTC)}
				obs := sampleObservations(n)
				copySub := *sub
				if err := fast.SaveSubmission(ctx, sub, obs); err != nil {
					t.Fatal(err)
				}
				saveWithGorm(t, gormDB, &copySub, obs)
			}
			want, got := dumpObservations(t, gormDB), dumpObservations(t, fast)
			if len(got) != 2*n || !reflect.DeepEqual(got, want) {
				t.Fatalf("rows differ: %d saved, gorm saved %d\nfirst: %+v\ngorm:  %+v", len(got), len(want), got[0], want[0])
			}
		})
	}
}

func openTemp(tb testing.TB, name string) *DB {
	tb.Helper()
	db, err := Open(filepath.Join(tb.TempDir(), name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// sampleObservations mixes every shape an observation row takes.
func sampleObservations(n int) []plan.Observation {
	out := make([]plan.Observation, n)
	for i := range out {
		v, w := float64(i)+0.25, float64(2*i)
		o := plan.Observation{Indicator: fmt.Sprintf("ind-%d", i%7), Unit: fmt.Sprintf("u%05d", i)}
		switch i % 5 {
		case 0:
			o.Value = &v
		case 1:
			o.Total = &w
		case 2:
			o.Numerator, o.Denominator = &v, &w
		case 3:
			o.Requested, o.Connected = plan.Date{Year: 2022, Month: 1, Day: 1 + i%28}, plan.Date{Year: 2022, Month: 2, Day: 1 + i%27}
		case 4:
			o.Indicator, o.Milestone, o.State = "", fmt.Sprintf("m-%d", i), plan.StateDone
			o.Date, o.Evidence = plan.Date{Year: 2022, Month: 3, Day: 9}, "文号〔2022〕"+fmt.Sprint(i)
		}
		out[i] = o
	}
	return out
}

// saveWithGorm is SaveSubmission as it was, with gorm's batch insert.
func saveWithGorm(tb testing.TB, db *DB, sub *plan.Submission, obs []plan.Observation) {
	tb.Helper()
	saved := *sub
	saved.ReceivedAt = saved.ReceivedAt.UTC().Truncate(time.Microsecond)
	saved.Observations = len(obs)
	row, err := toSubmissionRow(&saved)
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.w.Create(&row).Error; err != nil {
		tb.Fatal(err)
	}
	rows := make([]observationRow, len(obs))
	for i, o := range obs {
		o.Period = sub.Period
		rows[i] = toObservationRow(sub.PlanID, o)
		rows[i].SubmissionID = row.ID
	}
	if err := db.w.CreateInBatches(rows, 500).Error; err != nil {
		tb.Fatal(err)
	}
}

func dumpObservations(tb testing.TB, db *DB) []observationRow {
	tb.Helper()
	var rows []observationRow
	if err := db.r.Order("id").Find(&rows).Error; err != nil {
		tb.Fatal(err)
	}
	return rows
}

// TestObservationsScanAsGorm reads the observations in force with the
// scanner that replaced gorm's Scan and with gorm's Scan, and wants the same.
func TestObservationsScanAsGorm(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t, "scan.db")
	for k := range 3 {
		sub := &plan.Submission{SHA256: fmt.Sprintf("%064d", k), PlanID: "p", Unit: "u", Outcome: plan.Accepted,
			Period: plan.Period{Year: 2022, Month: time.Month(1 + k%2)}, ReceivedAt: time.Date(2022, 3, 3+k, 10, 0, 0, 0, time.UTC)}
		if err := db.SaveSubmission(ctx, sub, sampleObservations(300+100*k)); err != nil {
			t.Fatal(err)
		}
	}
	for _, asOf := range []time.Time{{}, time.Date(2022, 3, 4, 12, 0, 0, 0, time.UTC), time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)} {
		got, err := db.Observations(ctx, "p", asOf)
		if err != nil {
			t.Fatal(err)
		}
		var rows []observationRow
		if err := db.inForce(db.r.WithContext(ctx), "p", asOf, "", "").Select("o.*").
			Order("o.indicator, o.milestone, o.unit, o.period, o.id").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		want, err := observations(rows)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("as of %v: %d observations scanned, gorm scanned %d", asOf, len(got), len(want))
		}
		if asOf.IsZero() && len(got) < 500 {
			t.Errorf("only %d observations in force: the test compares too little", len(got))
		}
	}
}
