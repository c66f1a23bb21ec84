package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/duban-gov/duban/pkg/plan"
)

// snapshotRow is a row of the snapshots table.
type snapshotRow struct {
	ID          int64 `gorm:"primaryKey"`
	PlanID      string
	Day         string
	AsOf        time.Time
	Evaluations string
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
}

func (snapshotRow) TableName() string { return "snapshots" }

func (r snapshotRow) snapshot() (plan.Snapshot, error) {
	d, err := plan.ParseDate(r.Day)
	if err != nil {
		return plan.Snapshot{}, fmt.Errorf("snapshot %d: %w", r.ID, err)
	}
	return plan.Snapshot{PlanID: r.PlanID, AsOf: r.AsOf.UTC(), Day: d, Evaluations: []byte(r.Evaluations), CreatedAt: r.CreatedAt.UTC()}, nil
}

// SaveSnapshot keeps the evaluation of a plan as of s.AsOf, one per plan and
// day: a later as-of the same day replaces the day's snapshot, an earlier or
// equal one leaves it as it is, so that running a job again changes nothing.
// It reports whether it wrote anything.
func (db *DB) SaveSnapshot(ctx context.Context, s plan.Snapshot) (bool, error) {
	if s.PlanID == "" || s.Day.IsZero() {
		return false, plan.Errorf(plan.EINVALID, "快照缺少工作要点编号或日期")
	}
	row := snapshotRow{PlanID: s.PlanID, Day: s.Day.String(), AsOf: utc(s.AsOf),
		Evaluations: string(s.Evaluations), CreatedAt: utc(s.CreatedAt)}
	var wrote bool
	err := db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			wrote = true
			return nil
		}
		res = tx.Model(&snapshotRow{}).
			Where("plan_id = ? AND day = ? AND as_of < ?", row.PlanID, row.Day, row.AsOf).
			Updates(map[string]any{"as_of": row.AsOf, "evaluations": row.Evaluations, "created_at": row.CreatedAt})
		wrote = res.RowsAffected > 0
		return res.Error
	})
	if err != nil {
		return false, fmt.Errorf("save snapshot of %s on %s: %w", s.PlanID, s.Day, err)
	}
	return wrote, nil
}

// LatestSnapshot is the plan's snapshot of the latest day, or an error whose
// plan.ErrorCode is plan.ENOTFOUND.
func (db *DB) LatestSnapshot(ctx context.Context, planID string) (*plan.Snapshot, error) {
	var row snapshotRow
	err := db.r.WithContext(ctx).Where("plan_id = ?", planID).Order("day DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, plan.Errorf(plan.ENOTFOUND, "工作要点 %s 尚无评估快照", planID)
	}
	if err != nil {
		return nil, fmt.Errorf("latest snapshot of %s: %w", planID, err)
	}
	s, err := row.snapshot()
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Snapshots lists the plan's snapshots, oldest day first.
func (db *DB) Snapshots(ctx context.Context, planID string) ([]plan.Snapshot, error) {
	var rows []snapshotRow
	if err := db.r.WithContext(ctx).Where("plan_id = ?", planID).Order("day").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("snapshots of %s: %w", planID, err)
	}
	out := make([]plan.Snapshot, len(rows))
	for i, r := range rows {
		s, err := r.snapshot()
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
