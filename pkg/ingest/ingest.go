// Package ingest reads the Excel workbooks units submit — from templates it
// writes, or from a clerk's own workbook — checks every cell against the
// plan, and saves an all-or-nothing submission; it also writes the templates.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// Store is where submissions go; *store.DB implements it.
type Store interface {
	// SubmissionBySHA finds an earlier submission of the same bytes; plan.ENOTFOUND if none.
	SubmissionBySHA(ctx context.Context, planID, sha string) (*plan.Submission, error)
	// PriorTotal is the running total accepted for a cumulative indicator and unit before a period.
	PriorTotal(ctx context.Context, planID, indicator, unit string, before plan.Period) (float64, plan.Period, bool, error)
	// SaveSubmission saves a submission and its observations in one transaction.
	SaveSubmission(ctx context.Context, sub *plan.Submission, obs []plan.Observation) error
}

// Options describe one file as it was received.
type Options struct {
	Unit      string    // the unit the sender is known to be (a reporter's token, an inbox folder, --unit); "" = from the file
	Submitter string    // who sent it
	Source    string    // upload | inbox | cli
	FileName  string    // the name it came with
	Now       time.Time // when it was received (for "period in the future"); nothing inside reads the clock
	RawDir    string    // where raw bytes are kept, content-addressed: RawDir/ab/<sha256>.xlsx
	MaxBytes  int64     // the largest file accepted; 0 means DefaultMaxBytes
}

// Ingest reads one file, validates it against p, keeps the raw bytes, and
// saves the submission (accepted with its observations, or rejected with
// every error) through st. The same bytes again return the earlier
// submission. A returned error means it could not run; a rejected file is a
// Submission with Outcome Rejected and Errors.
func Ingest(ctx context.Context, p *plan.Plan, st Store, path string, opt Options) (*plan.Submission, error) {
	sum, size, err := hashFile(path)
	if err != nil {
		return nil, err
	}
	prev, err := st.SubmissionBySHA(ctx, p.ID, sum)
	switch {
	case err == nil:
		return prev, nil
	case plan.ErrorCode(err) != plan.ENOTFOUND:
		return nil, fmt.Errorf("look up submission %s: %w", sum, err)
	}
	if opt.FileName == "" {
		opt.FileName = filepath.Base(path)
	}
	limit := opt.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	sub := &plan.Submission{
		SHA256: sum, PlanID: p.ID, Unit: "", Submitter: opt.Submitter, Source: opt.Source,
		FileName: opt.FileName, Size: size, ReceivedAt: opt.Now,
	}
	if opt.RawDir != "" && size <= limit {
		if sub.RawPath, err = keepRaw(path, opt.RawDir, sum, opt.FileName); err != nil {
			return nil, err
		}
	}
	prior := func(ctx context.Context, indicator, unit string, before plan.Period) (float64, plan.Period, bool, error) {
		return st.PriorTotal(ctx, p.ID, indicator, unit, before)
	}
	res, err := Read(ctx, p, path, opt, prior)
	if err != nil {
		return nil, err
	}
	sub.Unit = res.Unit
	if sub.Unit == "" && opt.Unit != "" {
		if u, ok := p.Unit(opt.Unit); ok {
			sub.Unit = u.ID
		}
	}
	sub.TemplateID, sub.TemplateVersion, sub.Period = res.TemplateID, res.TemplateVersion, res.Period
	sub.Errors, sub.Warnings = res.Errors, res.Warnings
	sub.Outcome = plan.Accepted
	obs := res.Observations
	if !res.OK() {
		sub.Outcome, obs = plan.Rejected, nil
	}
	if err := st.SaveSubmission(ctx, sub, obs); err != nil {
		if plan.ErrorCode(err) == plan.ECONFLICT {
			// Someone saved the same bytes meanwhile: theirs is the submission.
			if prev, err2 := st.SubmissionBySHA(ctx, p.ID, sum); err2 == nil {
				return prev, nil
			}
		}
		return nil, fmt.Errorf("save submission of %s: %w", opt.FileName, err)
	}
	return sub, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// keepRaw copies the file to dir/ab/<sha256><ext>, once, and returns that path.
func keepRaw(path, dir, sum, name string) (string, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".xls" && ext != ".xlsm" {
		ext = ".xlsx"
	}
	dst := filepath.Join(dir, sum[:2], sum+ext)
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("keep raw file: %w", err)
	}
	src, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("keep raw file: %w", err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".raw-*")
	if err != nil {
		return "", fmt.Errorf("keep raw file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return "", fmt.Errorf("keep raw file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("keep raw file: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("keep raw file: %w", err)
	}
	return dst, nil
}
