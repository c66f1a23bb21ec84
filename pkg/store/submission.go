package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/duban-gov/duban/pkg/plan"
)

// submissionRow is a row of the submissions table.
type submissionRow struct {
	ID              int64 `gorm:"primaryKey"`
	PlanID          string
	SHA256          string `gorm:"column:sha256"`
	Unit            string
	Submitter       string
	Source          string
	FileName        string
	Size            int64
	ReceivedAt      time.Time
	TemplateID      string
	TemplateVersion int
	Period          string
	Outcome         string
	Errors          string
	Warnings        string
	Observations    int
	RawPath         string
}

func (submissionRow) TableName() string { return "submissions" }

func toSubmissionRow(s *plan.Submission) (submissionRow, error) {
	errs, err := json.Marshal(nonNil(s.Errors))
	if err != nil {
		return submissionRow{}, fmt.Errorf("encode errors: %w", err)
	}
	warns, err := json.Marshal(nonNil(s.Warnings))
	if err != nil {
		return submissionRow{}, fmt.Errorf("encode warnings: %w", err)
	}
	return submissionRow{
		ID:              s.ID,
		PlanID:          s.PlanID,
		SHA256:          s.SHA256,
		Unit:            s.Unit,
		Submitter:       s.Submitter,
		Source:          s.Source,
		FileName:        s.FileName,
		Size:            s.Size,
		ReceivedAt:      s.ReceivedAt,
		TemplateID:      s.TemplateID,
		TemplateVersion: s.TemplateVersion,
		Period:          s.Period.String(),
		Outcome:         string(s.Outcome),
		Errors:          string(errs),
		Warnings:        string(warns),
		Observations:    s.Observations,
		RawPath:         s.RawPath,
	}, nil
}

func (r submissionRow) submission() (plan.Submission, error) {
	s := plan.Submission{
		ID:              r.ID,
		SHA256:          r.SHA256,
		PlanID:          r.PlanID,
		Unit:            r.Unit,
		Submitter:       r.Submitter,
		Source:          r.Source,
		FileName:        r.FileName,
		Size:            r.Size,
		ReceivedAt:      r.ReceivedAt.UTC(),
		TemplateID:      r.TemplateID,
		TemplateVersion: r.TemplateVersion,
		Outcome:         plan.Outcome(r.Outcome),
		Observations:    r.Observations,
		RawPath:         r.RawPath,
	}
	if r.Period != "" {
		p, err := plan.ParsePeriod(r.Period)
		if err != nil {
			return s, fmt.Errorf("submission %d: %w", r.ID, err)
		}
		s.Period = p
	}
	if err := json.Unmarshal([]byte(r.Errors), &s.Errors); err != nil {
		return s, fmt.Errorf("submission %d: decode errors: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Warnings), &s.Warnings); err != nil {
		return s, fmt.Errorf("submission %d: decode warnings: %w", r.ID, err)
	}
	s.Errors, s.Warnings = nonNil(s.Errors), nonNil(s.Warnings)
	return s, nil
}

// nonNil makes an absent list an empty one, so that JSON shows [] rather than null.
func nonNil(l []plan.CellError) []plan.CellError {
	if l == nil {
		return []plan.CellError{}
	}
	return l
}

// SubmissionBySHA returns the earlier submission of these bytes (by their
// sha256, in hex) for this plan, or an error whose plan.ErrorCode is plan.ENOTFOUND.
func (db *DB) SubmissionBySHA(ctx context.Context, planID, sha string) (*plan.Submission, error) {
	var row submissionRow
	err := db.r.WithContext(ctx).Where("plan_id = ? AND sha256 = ?", planID, sha).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, plan.Errorf(plan.ENOTFOUND, "未找到该文件的报送记录(sha256 %s)", sha)
	}
	if err != nil {
		return nil, fmt.Errorf("find submission by sha256: %w", err)
	}
	s, err := row.submission()
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// Submission returns one submission by id, or an error whose plan.ErrorCode is plan.ENOTFOUND.
func (db *DB) Submission(ctx context.Context, id int64) (*plan.Submission, error) {
	var row submissionRow
	err := db.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, plan.Errorf(plan.ENOTFOUND, "报送记录 %d 不存在", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find submission %d: %w", id, err)
	}
	s, err := row.submission()
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// SaveSubmission records a submission and, only if it was accepted, its
// observations, in one transaction: all or nothing. The observations of a
// rejected submission are ignored. An observation without a period takes the
// submission's.
//
// It sets sub.ID and sub.Observations (the number of observations written), and
// makes sub.ReceivedAt UTC at microsecond precision, what both databases keep;
// a zero ReceivedAt becomes now. Saving bytes already saved for the plan
// (the same SHA256) fails with plan.ECONFLICT: look the earlier one up with
// SubmissionBySHA.
func (db *DB) SaveSubmission(ctx context.Context, sub *plan.Submission, obs []plan.Observation) error {
	switch {
	case sub.PlanID == "":
		return plan.Errorf(plan.EINVALID, "报送记录缺少工作要点编号")
	case sub.SHA256 == "":
		return plan.Errorf(plan.EINVALID, "报送记录缺少文件摘要(sha256)")
	case sub.Outcome != plan.Accepted && sub.Outcome != plan.Rejected:
		return plan.Errorf(plan.EINVALID, "报送结果 %q 无效", sub.Outcome)
	}
	if sub.Outcome != plan.Accepted {
		obs = nil
	}
	rows := make([]observationRow, len(obs))
	for i, o := range obs {
		if o.Period.IsZero() {
			o.Period = sub.Period
		}
		if o.Subject() == "" || o.Unit == "" || o.Period.IsZero() {
			return plan.Errorf(plan.EINVALID, "第 %d 条数据缺少指标、单位或报送期", i+1)
		}
		rows[i] = toObservationRow(sub.PlanID, o)
	}

	received := sub.ReceivedAt
	if received.IsZero() {
		received = time.Now()
	}
	received = received.UTC().Truncate(time.Microsecond)
	saved := *sub
	saved.ID = 0
	saved.ReceivedAt = received
	saved.Observations = len(rows)
	row, err := toSubmissionRow(&saved)
	if err != nil {
		return fmt.Errorf("save submission: %w", err)
	}

	err = db.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return plan.Errorf(plan.ECONFLICT, "该文件已报送过(sha256 %s)", sub.SHA256)
			}
			return fmt.Errorf("insert submission: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		for i := range rows {
			rows[i].SubmissionID = row.ID
		}
		if err := db.insertObservations(ctx, tx, rows); err != nil {
			return fmt.Errorf("insert observations: %w", err)
		}
		return nil
	})
	if err != nil {
		if plan.ErrorCode(err) == plan.ECONFLICT {
			return err
		}
		return fmt.Errorf("save submission %s: %w", sub.SHA256, err)
	}
	sub.ID = row.ID
	sub.ReceivedAt = received
	sub.Observations = len(rows)
	return nil
}

// SubmissionFilter selects submissions; zero fields select everything.
// Limit 0 means no limit.
type SubmissionFilter struct {
	PlanID  string
	Unit    string
	Outcome plan.Outcome
	Period  plan.Period
	Limit   int
	Offset  int
}

// Submissions lists the submissions the filter selects, newest first, one page
// of them, and how many there are in all.
func (db *DB) Submissions(ctx context.Context, f SubmissionFilter) ([]plan.Submission, int, error) {
	if f.Limit < 0 || f.Offset < 0 {
		return nil, 0, plan.Errorf(plan.EINVALID, "分页参数无效(limit %d, offset %d)", f.Limit, f.Offset)
	}
	q := db.r.WithContext(ctx).Model(&submissionRow{})
	if f.PlanID != "" {
		q = q.Where("plan_id = ?", f.PlanID)
	}
	if f.Unit != "" {
		q = q.Where("unit = ?", f.Unit)
	}
	if f.Outcome != "" {
		q = q.Where("outcome = ?", string(f.Outcome))
	}
	if !f.Period.IsZero() {
		q = q.Where("period = ?", f.Period.String())
	}
	// A fresh session, so that counting does not leave its marks on the page query.
	q = q.Session(&gorm.Session{})
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count submissions: %w", err)
	}
	page := q.Order("received_at DESC").Order("id DESC").Offset(f.Offset)
	if f.Limit > 0 {
		page = page.Limit(f.Limit)
	}
	var rows []submissionRow
	if err := page.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list submissions: %w", err)
	}
	out := make([]plan.Submission, len(rows))
	for i, r := range rows {
		s, err := r.submission()
		if err != nil {
			return nil, 0, err
		}
		out[i] = s
	}
	return out, int(total), nil
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// SubmissionStamp says which submissions of a plan had been received by
// cutoff: how many, and the highest id. A cached evaluation stays good while
// the stamp of its cutoff is unchanged — a new submission, or one received
// later catching up with the cutoff, changes it.
func (db *DB) SubmissionStamp(ctx context.Context, planID string, cutoff time.Time) (count, maxID int64, err error) {
	var row struct {
		N   int64
		Max *int64
	}
	err = db.r.WithContext(ctx).Model(&submissionRow{}).
		Select("COUNT(*) AS n, MAX(id) AS max").
		Where("plan_id = ? AND received_at <= ?", planID, cutoff.UTC()).
		Scan(&row).Error
	if err != nil {
		return 0, 0, fmt.Errorf("submission stamp of %s: %w", planID, err)
	}
	if row.Max != nil {
		maxID = *row.Max
	}
	return row.N, maxID, nil
}
