package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

const fixtures = "../../fixtures"

// afterSeptember is when the fixtures are taken to arrive: the demo's as-of.
var afterSeptember = time.Date(2022, 10, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func loadShipped(tb testing.TB) *plan.Plan {
	tb.Helper()
	p, err := plan.Load("../../rules/zhaoqing-2022")
	if err != nil {
		tb.Fatalf("load shipped plan: %v", err)
	}
	return p
}

func openStore(tb testing.TB) (*store.DB, string) {
	tb.Helper()
	dir := tb.TempDir()
	db, err := store.Open(filepath.Join(dir, "duban.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, filepath.Join(dir, "raw")
}

func ingestFile(tb testing.TB, p *plan.Plan, db *store.DB, raw, path string) *plan.Submission {
	tb.Helper()
	sub, err := ingest.Ingest(context.Background(), p, db, path, ingest.Options{
		Source: "cli", Now: afterSeptember, RawDir: raw, FileName: filepath.Base(path),
	})
	if err != nil {
		tb.Fatalf("Ingest(%s): %v", path, err)
	}
	return sub
}

func countObs(tb testing.TB, db *store.DB) int64 {
	tb.Helper()
	n, err := db.CountObservations(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestGoodFixtures ingests every month of every unit, in order: each must be
// accepted, none may warn, and September must cover every unit that files.
func TestGoodFixtures(t *testing.T) {
	p := loadShipped(t)
	db, raw := openStore(t)
	months, _ := filepath.Glob(filepath.Join(fixtures, "submissions", "2022-*"))
	sort.Strings(months)
	if len(months) != 9 {
		t.Fatalf("%d months of fixtures, want 9 (January to September)", len(months))
	}
	units := map[string]bool{}
	for _, dir := range months {
		files, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
		for _, f := range files {
			sub := ingestFile(t, p, db, raw, f)
			if sub.Outcome != plan.Accepted {
				t.Errorf("%s rejected: %v", f, sub.Errors)
				continue
			}
			if len(sub.Warnings) > 0 {
				t.Errorf("%s: warnings %v", f, sub.Warnings)
			}
			if want := filepath.Base(dir); sub.Period.String() != want {
				t.Errorf("%s: period %s, want %s", f, sub.Period, want)
			}
			units[sub.Unit] = true
		}
	}
	// Every reporting unit appears, except the one whose silence is part of the story.
	for _, u := range p.ReportingUnits() {
		if !units[u] && u != "shuiwu" {
			t.Errorf("no fixture for %s", u)
		}
	}
	if units["shuiwu"] {
		t.Errorf("市税务局 should never report in the story")
	}
	if n := countObs(t, db); n < 1000 {
		t.Errorf("%d observations from the fixtures, want a full nine months", n)
	}
}

// TestBadFixtures feeds each bad file through Ingest and checks it is
// rejected with the right code at the right cell, writes no observation, and
// is still recorded with its raw bytes.
func TestBadFixtures(t *testing.T) {
	p := loadShipped(t)
	const (
		voucher  = "15.5-医保电子凭证激活率"
		hospital = "15.5-实现线上移动支付的二级以上医院数"
		services = "14.4-粤智助自助机服务群众人次"
		trans    = "14.4-粤智助自助机累计业务办理量"
		records  = "19-共享数据3个工作日内完成对接的比例"
	)
	tests := []struct {
		file, before      string
		code, sheet, cell string
	}{
		{"unknown-region.xlsx", "", "foreign-key-error", voucher, "A4"},
		{"negative-count.xlsx", "", "constraint-error", hospital, "B4"},
		{"numerator-over-denominator.xlsx", "", "constraint-error", voucher, "B6"},
		{"duplicate-row.xlsx", "", "duplicate-row", voucher, "A7"},
		{"cumulative-decrease.xlsx", "submissions/2022-08/duanzhou.xlsx", "constraint-error", services, "B4"},
		{"missing-cell.xlsx", "", "missing-cell", trans, "B4"},
		{"not-a-number.xlsx", "", "type-error", services, "B4"},
		{"blank-header.xlsx", "", "blank-header", services, "B3"},
		{"formula-no-cache.xlsx", "", "format-error", services, "B4"},
		{"period-in-future.xlsx", "", "constraint-error", "填报说明", "B4"},
		{"period-outside-plan.xlsx", "", "constraint-error", "填报说明", "B4"},
		{"period-mismatch.xlsx", "", "constraint-error", hospital, "D2"},
		{"wrong-unit-indicator.xlsx", "", "constraint-error", services, "Z1"},
		{"unknown-indicator.xlsx", "", "foreign-key-error", hospital, "Z1"},
		{"bad-date.xlsx", "", "type-error", records, "B5"},
		{"invalid-state.xlsx", "", "type-error", "工作节点", "E4"},
		{"connected-before-requested.xlsx", "", "constraint-error", records, "C4"},
		{"encrypted.xlsx", "", "format-error", "", ""},
		{"legacy-xls.xls", "", "format-error", "", ""},
		{"not-a-zip.xlsx", "", "format-error", "", ""},
		{"truncated.xlsx", "", "format-error", "", ""},
		{"zip-bomb.xlsx", "", "compression-error", "", ""},
	}
	files, _ := filepath.Glob(filepath.Join(fixtures, "bad", "*.xls*"))
	if len(files) != len(tests) {
		t.Errorf("%d bad fixtures on disk, %d in this table: keep them in step", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			db, raw := openStore(t)
			if tt.before != "" {
				if sub := ingestFile(t, p, db, raw, filepath.Join(fixtures, tt.before)); sub.Outcome != plan.Accepted {
					t.Fatalf("%s rejected: %v", tt.before, sub.Errors)
				}
			}
			before := countObs(t, db)
			sub := ingestFile(t, p, db, raw, filepath.Join(fixtures, "bad", tt.file))
			if sub.Outcome != plan.Rejected {
				t.Fatalf("outcome %s, want rejected", sub.Outcome)
			}
			found := false
			for _, e := range sub.Errors {
				if e.Code == tt.code && e.Sheet == tt.sheet && e.Cell == tt.cell {
					found = true
				}
				if e.Message == "" {
					t.Errorf("error without a message: %+v", e)
				}
			}
			if !found {
				t.Errorf("no %s at %s!%s among %+v", tt.code, tt.sheet, tt.cell, sub.Errors)
			}
			if after := countObs(t, db); after != before {
				t.Errorf("observations went from %d to %d for a rejected file", before, after)
			}
			if _, err := db.SubmissionBySHA(context.Background(), p.ID, sub.SHA256); err != nil {
				t.Errorf("rejected submission not recorded: %v", err)
			}
			if sub.RawPath == "" {
				t.Errorf("raw bytes not kept")
			} else if _, err := os.Stat(sub.RawPath); err != nil {
				t.Errorf("raw file: %v", err)
			}
		})
	}
}

// TestIngestTwice checks that the same bytes make one submission.
func TestIngestTwice(t *testing.T) {
	p := loadShipped(t)
	db, raw := openStore(t)
	for _, name := range []string{"submissions/2022-09/yibao.xlsx", "bad/negative-count.xlsx"} {
		path := filepath.Join(fixtures, name)
		first := ingestFile(t, p, db, raw, path)
		n := countObs(t, db)
		second := ingestFile(t, p, db, raw, path)
		if second.ID != first.ID || second.Outcome != first.Outcome {
			t.Errorf("%s: second ingest gave submission %d (%s), want %d (%s)", name, second.ID, second.Outcome, first.ID, first.Outcome)
		}
		if m := countObs(t, db); m != n {
			t.Errorf("%s: observations %d after the second ingest, want %d", name, m, n)
		}
		subs, total, err := db.Submissions(context.Background(), store.SubmissionFilter{PlanID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(subs) {
			t.Fatalf("total %d, listed %d", total, len(subs))
		}
	}
	_, total, err := db.Submissions(context.Background(), store.SubmissionFilter{PlanID: p.ID})
	if err != nil || total != 2 {
		t.Errorf("%d submissions for two distinct files sent twice each (err %v), want 2", total, err)
	}
}
