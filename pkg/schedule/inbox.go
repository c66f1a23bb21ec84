package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
)

// Inbox folder layout: <data>/inbox/<unit id or name>/<file>.xlsx; a file
// once read goes to accepted/ or rejected/ under its unit's folder.
const (
	inboxDir    = "inbox"
	acceptedDir = "accepted"
	rejectedDir = "rejected"
)

// DefaultSettle is how long a file must have been left alone before it is read.
const DefaultSettle = 5 * time.Second

// IngestFunc ingests one file; ingest.Ingest bound to a plan and store.
type IngestFunc func(ctx context.Context, path string, opt ingest.Options) (*plan.Submission, error)

// InboxResult says what one scan did.
type InboxResult struct {
	Accepted []string // file names moved to accepted/
	Rejected []string // file names moved to rejected/
	Waiting  []string // files still being written, left for the next scan
	Failed   []string // files that could not be ingested (left in place)
}

// fileSeen is what a scan saw of a file, to tell whether it is still growing.
type fileSeen struct {
	size  int64
	mtime time.Time
}

// inbox scans the inbox folder. It remembers between scans what it saw, so
// that a file still being copied in is left for the next scan.
type inbox struct {
	dir    string // <data>/inbox
	raw    string // where raw bytes are kept
	settle time.Duration
	wall   func() time.Time // file times are wall-clock times, whatever the job's as-of
	seen   map[string]fileSeen
}

// scan ingests every settled .xlsx file under a unit folder and moves it to
// accepted/ or rejected/, with its error report beside a rejected one.
func (b *inbox) scan(ctx context.Context, p *plan.Plan, ingestFn IngestFunc, now time.Time) (InboxResult, error) {
	var res InboxResult
	units, err := os.ReadDir(b.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("read inbox: %w", err)
	}
	seen := map[string]fileSeen{}
	for _, ud := range units {
		if !ud.IsDir() {
			continue
		}
		unitDir := filepath.Join(b.dir, ud.Name())
		files, err := os.ReadDir(unitDir)
		if err != nil {
			return res, fmt.Errorf("read inbox %s: %w", ud.Name(), err)
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Name() < files[j].Name() })
		for _, f := range files {
			name := f.Name()
			if !f.Type().IsRegular() || !strings.EqualFold(filepath.Ext(name), ".xlsx") ||
				strings.HasPrefix(name, "~$") || strings.HasPrefix(name, ".") {
				continue
			}
			path := filepath.Join(unitDir, name)
			info, err := f.Info()
			if err != nil {
				continue // gone since the listing
			}
			cur := fileSeen{info.Size(), info.ModTime()}
			seen[path] = cur
			prev, known := b.seen[path]
			steady := known && prev == cur
			if !steady && b.wall().Sub(cur.mtime) < b.settle {
				res.Waiting = append(res.Waiting, path)
				continue
			}
			if err := ctx.Err(); err != nil {
				return res, err
			}
			outcome, err := b.take(ctx, p, ingestFn, ud.Name(), path, now)
			if err != nil {
				res.Failed = append(res.Failed, path)
				continue
			}
			delete(seen, path)
			if outcome == plan.Accepted {
				res.Accepted = append(res.Accepted, name)
			} else {
				res.Rejected = append(res.Rejected, name)
			}
		}
	}
	b.seen = seen
	return res, nil
}

// take ingests one file and moves it out of the way.
func (b *inbox) take(ctx context.Context, p *plan.Plan, ingestFn IngestFunc, folder, path string, now time.Time) (plan.Outcome, error) {
	name := filepath.Base(path)
	unitDir := filepath.Dir(path)
	u, ok := p.Unit(folder)
	if !ok {
		errs := []plan.CellError{{Code: "unknown-unit", Value: folder,
			Message: fmt.Sprintf("收件箱目录“%s”不是已知单位:请放入以单位编号或名称命名的目录", folder)}}
		return plan.Rejected, b.move(path, unitDir, rejectedDir, name, &plan.Submission{FileName: name, Outcome: plan.Rejected, Errors: errs})
	}
	sub, err := ingestFn(ctx, path, ingest.Options{
		Unit: u.ID, Source: "inbox", FileName: name, Now: now, RawDir: b.raw,
	})
	if err != nil {
		return "", err
	}
	dest := acceptedDir
	if sub.Outcome != plan.Accepted {
		dest = rejectedDir
	}
	return sub.Outcome, b.move(path, unitDir, dest, name, sub)
}

// move puts the file in unitDir/dest under a safe name, never over another,
// with its report beside it when rejected.
func (b *inbox) move(path, unitDir, dest, name string, sub *plan.Submission) error {
	dir := filepath.Join(unitDir, dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	base := safeName(strings.TrimSuffix(name, filepath.Ext(name)))
	target := filepath.Join(dir, base+".xlsx")
	for i := 2; exists(target); i++ {
		target = filepath.Join(dir, fmt.Sprintf("%s-%d.xlsx", base, i))
	}
	if sub.Outcome != plan.Accepted {
		stem := strings.TrimSuffix(target, ".xlsx")
		if err := writeReport(stem, sub); err != nil {
			return err
		}
	}
	if err := os.Rename(path, target); err != nil {
		return fmt.Errorf("inbox: move %s: %w", name, err)
	}
	return nil
}

func writeReport(stem string, sub *plan.Submission) error {
	body, err := json.MarshalIndent(map[string]any{
		"file": sub.FileName, "outcome": sub.Outcome, "sha256": sub.SHA256, "unit": sub.Unit,
		"period": sub.Period, "errors": sub.Errors, "warnings": sub.Warnings,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("inbox: encode report: %w", err)
	}
	if err := os.WriteFile(stem+".xlsx.errors.json", append(body, '\n'), 0o644); err != nil {
		return fmt.Errorf("inbox: write report: %w", err)
	}
	var txt strings.Builder
	fmt.Fprintf(&txt, "文件“%s”未通过校验,共%d处错误,请修改后重新报送:\n", sub.FileName, len(sub.Errors))
	for i, e := range sub.Errors {
		where := e.Sheet
		if e.Cell != "" {
			where += "!" + e.Cell
		}
		if where != "" {
			where = "[" + where + "] "
		}
		fmt.Fprintf(&txt, "%d. %s%s\n", i+1, where, e.Message)
	}
	if err := os.WriteFile(stem+".xlsx.errors.txt", []byte(txt.String()), 0o644); err != nil {
		return fmt.Errorf("inbox: write report: %w", err)
	}
	return nil
}

// safeName keeps a file name's letters, digits and a few marks, so that a
// name cannot climb out of its folder or hide.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' ||
			r == '(' || r == ')' || r == '\uff08' || r == '\uff09':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		out = "file"
	}
	return out
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
