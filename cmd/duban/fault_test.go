package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/api"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// TestKillDuringIngest kills `duban serve` with SIGKILL while it ingests a
// 100,000-row file from the inbox — once while it reads the workbook, once
// while its transaction is writing the observations — and restarts it. The
// kill point is seen, not hoped for: the raw copy ingest keeps before reading
// marks the first, the database's write-ahead log growing past what the
// service had written before marks the second. After the kill the submission
// is wholly there or wholly absent and the file is still in the inbox; after
// the restart's catch-up scan it is ingested exactly once.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests a 100,000-row workbook twice over")
	}
	const rows = 100_000
	big := filepath.Join(t.TempDir(), "records.xlsx")
	recordsWorkbook(t, big, rows, "kill")
	sha := fileSHA(t, big)
	content, err := os.ReadFile(big)
	if err != nil {
		t.Fatal(err)
	}

	// phase tells, from the files the service writes, whether ingest has
	// reached the point to kill it at; base is the log's size when ingest started.
	tests := []struct {
		name  string
		reach func(walGrowth int64) bool
	}{
		{"while reading the workbook", func(walGrowth int64) bool { return walGrowth == 0 }},
		{"while writing the observations", func(walGrowth int64) bool { return walGrowth >= 2<<20 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			db := filepath.Join(data, "duban.db")
			unitDir := filepath.Join(data, "inbox", "zhengshuju")
			inboxFile := filepath.Join(unitDir, "records.xlsx")
			accepted := filepath.Join(unitDir, "accepted", "records.xlsx")
			rawCopy := filepath.Join(data, "raw", sha[:2], sha+".xlsx")
			if err := os.MkdirAll(unitDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(inboxFile, content, 0o644); err != nil {
				t.Fatal(err)
			}
			// Settled: dropped in a minute ago, so the catch-up scan takes it at once.
			old := time.Now().Add(-time.Minute)
			if err := os.Chtimes(inboxFile, old, old); err != nil {
				t.Fatal(err)
			}

			svc := startService(t, data, db, "2022-10-15")
			base := int64(-1)
			deadline := time.Now().Add(90 * time.Second)
			for {
				if _, err := os.Stat(rawCopy); err == nil {
					size := fileSize(db + "-wal")
					if base < 0 {
						base = size
					}
					if tt.reach(size - base) {
						break
					}
				}
				if _, err := os.Stat(inboxFile); err != nil {
					t.Fatalf("ingest finished before the kill point was reached (inbox file: %v)", err)
				}
				if !svc.running() || time.Now().After(deadline) {
					t.Fatalf("kill point not reached (running %v):\n%s", svc.running(), svc.logText())
				}
				time.Sleep(2 * time.Millisecond)
			}
			svc.kill()
			t.Logf("killed with the write-ahead log %d bytes past its size when ingest began", fileSize(db+"-wal")-base)

			// Wholly present or wholly absent, and the file still there to retry.
			subs, obs := storeState(t, db)
			switch {
			case len(subs) == 0 && obs == 0:
				if _, err := os.Stat(inboxFile); err != nil {
					t.Errorf("nothing was saved, and the file is gone from the inbox: %v", err)
				}
			case len(subs) == 1 && subs[0].SHA256 == sha && subs[0].Observations == rows && obs == rows:
				t.Log("the submission was committed before the kill")
				if !exists(inboxFile) && !exists(accepted) {
					t.Error("the committed file is neither in the inbox nor in accepted/")
				}
			default:
				t.Fatalf("after the kill: %d submissions %+v, %d observations; want none, or one with all %d",
					len(subs), subs, obs, rows)
			}

			// The restart's catch-up scan takes the file again, once.
			svc = startService(t, data, db, "2022-10-15")
			deadline = time.Now().Add(90 * time.Second)
			for exists(inboxFile) || !exists(accepted) {
				if !svc.running() || time.Now().After(deadline) {
					t.Fatalf("the file was not ingested after the restart:\n%s", svc.logText())
				}
				time.Sleep(50 * time.Millisecond)
			}
			// What is in accepted/ was committed first: kill again rather than
			// wait for the catch-up's evaluation of 100,000 records to finish.
			svc.kill()
			subs, obs = storeState(t, db)
			if len(subs) != 1 || subs[0].SHA256 != sha || subs[0].Outcome != plan.Accepted ||
				subs[0].Observations != rows || obs != rows {
				t.Errorf("after the restart: %d submissions %+v, %d observations; want one accepted with all %d",
					len(subs), subs, obs, rows)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(unitDir, "accepted", "records-*.xlsx")); len(leftovers) > 0 {
				t.Errorf("the file was taken more than once: %v", leftovers)
			}
		})
	}
}

// storeState opens the database the way the service does (recovering its
// write-ahead log) and returns its submissions and how many observations it holds.
func storeState(t *testing.T, dsn string) ([]plan.Submission, int64) {
	t.Helper()
	db, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	subs, _, err := db.Submissions(ctx, store.SubmissionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.CountObservations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return subs, n
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestConcurrentUploads sends 50 uploads at once through the API of a
// service on a real SQLite file: ten copies of one file, twenty different
// files for the same unit and period, ten copies of another unit's file and
// ten other units' files. Every request is answered, none with a 5xx or
// "database is locked"; identical bytes make one submission; and the figure
// in force is that of the last accepted upload for the unit and period.
func TestConcurrentUploads(t *testing.T) {
	dir := t.TempDir()
	m := &Main{Config: ServeConfig{Addr: "127.0.0.1:0", DataDir: dir, PlanDir: shippedPlan,
		AsOf: "2022-10-15", Demo: true, Schedule: true}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	reporter, _, err := api.CreateToken(ctx, m.DB, m.Plans.Plan(), "reporter", "市医保局", "", "test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	svc := &service{t: t, url: m.URL(), exited: make(chan struct{})}

	const hospitalSheet = "15.5-实现线上移动支付的二级以上医院数"
	type upload struct {
		name    string
		content []byte
		token   string
		figure  float64 // the hospital count of a 市医保局 file; 0 for others
	}
	var uploads []upload
	same := fixtureVariant(t, "yibao.xlsx", hospitalSheet, "B4", 1)
	for i := 0; i < 10; i++ {
		tok := m.DemoToken
		if i%2 == 1 {
			tok = reporter
		}
		uploads = append(uploads, upload{"yibao.xlsx", same, tok, 1})
	}
	for k := 2; k <= 21; k++ {
		tok := m.DemoToken
		if k%2 == 1 {
			tok = reporter
		}
		uploads = append(uploads, upload{fmt.Sprintf("yibao-%d.xlsx", k), fixtureVariant(t, "yibao.xlsx", hospitalSheet, "B4", k), tok, float64(k)})
	}
	duanzhou, err := os.ReadFile("../../fixtures/submissions/2022-09/duanzhou.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		uploads = append(uploads, upload{"duanzhou.xlsx", duanzhou, m.DemoToken, 0})
	}
	for _, u := range []string{"caizheng", "canlian", "chengguan", "deqing", "dinghu", "fagai", "fengkai", "gaoxin", "gaoyao", "gongan"} {
		b, err := os.ReadFile("../../fixtures/submissions/2022-09/" + u + ".xlsx")
		if err != nil {
			t.Fatal(err)
		}
		uploads = append(uploads, upload{u + ".xlsx", b, m.DemoToken, 0})
	}
	if len(uploads) != 50 {
		t.Fatalf("%d uploads, want 50", len(uploads))
	}

	type answer struct {
		status int
		body   []byte
		err    error
	}
	answers := make([]answer, len(uploads))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, u := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, body, err := svc.upload(u.token, u.name, u.content, nil)
			answers[i] = answer{status, body, err}
		}()
	}
	close(start)
	wg.Wait()

	idOf := map[string]int64{} // sha256 → submission id
	figureOf := map[int64]float64{}
	for i, a := range answers {
		u := uploads[i]
		if a.err != nil {
			t.Errorf("upload %d (%s): %v", i, u.name, a.err)
			continue
		}
		if a.status != 200 && a.status != 201 || strings.Contains(string(a.body), "locked") {
			t.Errorf("upload %d (%s): %d %s", i, u.name, a.status, a.body)
			continue
		}
		var sub plan.Submission
		if err := json.Unmarshal(a.body, &sub); err != nil || sub.ID == 0 || sub.Outcome != plan.Accepted {
			t.Errorf("upload %d (%s): %s", i, u.name, a.body)
			continue
		}
		if id, ok := idOf[sub.SHA256]; ok && id != sub.ID {
			t.Errorf("the same bytes (%s) made submissions %d and %d", u.name, id, sub.ID)
		}
		idOf[sub.SHA256] = sub.ID
		if sub.Unit == "yibao" {
			figureOf[sub.ID] = u.figure
		}
	}

	subs, total, err := m.DB.Submissions(ctx, store.SubmissionFilter{PlanID: m.Plans.Plan().ID})
	if err != nil {
		t.Fatal(err)
	}
	const distinct = 1 + 20 + 1 + 10
	seen := map[string]bool{}
	for _, s := range subs {
		if seen[s.SHA256] {
			t.Errorf("two submissions of the same bytes %s", s.SHA256)
		}
		seen[s.SHA256] = true
	}
	if total != distinct || len(idOf) != distinct {
		t.Errorf("%d submissions stored, %d told apart in the answers; want %d", total, len(idOf), distinct)
	}

	// The latest accepted upload for 市医保局's September is in force: at one
	// instant (the clock is stopped), the one saved last.
	var latest int64
	for id := range figureOf {
		latest = max(latest, id)
	}
	status, body, err := svc.call("GET", "/api/v1/indicators/15.5-hospital-mobile-pay", m.DemoToken, nil, "")
	var ind struct {
		City struct {
			Period string   `json:"period"`
			Actual *float64 `json:"actual"`
		} `json:"city"`
	}
	if err != nil || status != 200 || json.Unmarshal(body, &ind) != nil {
		t.Fatalf("indicator: %d %s %v", status, body, err)
	}
	t.Logf("submission %d, the last of %d for 市医保局's September, holds %v", latest, len(figureOf), figureOf[latest])
	if ind.City.Period != "2022-09" || ind.City.Actual == nil || *ind.City.Actual != figureOf[latest] {
		t.Errorf("in force: %s; want the figure %v of submission %d, the last accepted", body, figureOf[latest], latest)
	}
}

// fixtureVariant is a September fixture with one cell changed, as bytes.
func fixtureVariant(t *testing.T, file, sheet, cell string, v any) []byte {
	t.Helper()
	f, err := excelize.OpenFile("../../fixtures/submissions/2022-09/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.SetCellValue(sheet, cell, v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
