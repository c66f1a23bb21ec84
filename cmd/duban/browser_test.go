package main

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
	"github.com/duban-gov/duban/pkg/web"
	"github.com/duban-gov/duban/pkg/web/webtest"
)

var screenshotDir = flag.String("screenshot", "", "also save the browser test's screenshots of the dashboard in this folder")

const (
	browserPlan = "../../rules/zhaoqing-2022"
	browserAsOf = "2022-10-15"
)

// TestDashboardInBrowser starts the service the way `make demo` does — the
// shipped plan, the sample submissions ingested, the clock stopped on
// 2022-10-15 — opens the dashboard in headless Chromium, and checks that what
// a supervisor sees is what the API says: every task's status on the battle
// map, a replayed day, a task's and an indicator's detail, and a bad file's
// errors cell by cell.
func TestDashboardInBrowser(t *testing.T) {
	ctx := webtest.Browser(t)

	dir := t.TempDir()
	dbPath := filepath.Join(dir, "duban.db")
	ingestFixtures(t, dbPath, filepath.Join(dir, "raw"))
	m := &Main{Config: ServeConfig{
		Addr: "127.0.0.1:0", DataDir: dir, DB: dbPath, PlanDir: browserPlan,
		AsOf: browserAsOf, Demo: true, Schedule: false,
	}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("start the service: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if m.DemoToken == "" {
		t.Fatal("--demo made no token")
	}

	t.Run("battle map shows every task with the API's status", func(t *testing.T) {
		want := boardLabels(t, m, "")
		if len(want) != 61 {
			t.Fatalf("the API's board has %d tasks, want 61", len(want))
		}
		var cells [][]string
		var asOf, title string
		webtest.Run(t, ctx,
			chromedp.Navigate(m.DashboardURL()),
			webtest.Wait(`document.getElementById('view').dataset.loaded === 'board'`),
			webtest.Eval(`[...document.querySelectorAll('#battle-map .cell')].map(c => [c.dataset.task, c.querySelector('.cell-status').textContent])`, &cells),
			webtest.Eval(`document.getElementById('as-of').value`, &asOf),
			webtest.Eval(`document.getElementById('plan-title').textContent`, &title),
		)
		checkCells(t, cells, want)
		if asOf != browserAsOf || !strings.Contains(title, "肇庆市数字政府改革建设2022年工作要点") {
			t.Errorf("header: as of %q, title %q", asOf, title)
		}
		webtest.Screenshot(t, ctx, "board.png", true, *screenshotDir)
	})

	t.Run("a past day replays", func(t *testing.T) {
		const day = "2022-06-30"
		want := boardLabels(t, m, day)
		var cells [][]string
		var search string
		webtest.Run(t, ctx,
			webtest.Eval(`(() => { const p = document.getElementById('as-of'); p.value = '`+day+`'; p.dispatchEvent(new Event('change')); return true })()`, new(bool)),
			webtest.Wait(`document.getElementById('view').dataset.loaded === 'board' && document.getElementById('view').dataset.asOf === '`+day+`'`),
			webtest.Eval(`[...document.querySelectorAll('#battle-map .cell')].map(c => [c.dataset.task, c.querySelector('.cell-status').textContent])`, &cells),
			webtest.Eval(`location.search`, &search),
		)
		checkCells(t, cells, want)
		if search != "?as_of="+day {
			t.Errorf("the address keeps %q, want ?as_of=%s", search, day)
		}
		webtest.Run(t, ctx,
			webtest.Eval(`(() => { const p = document.getElementById('as-of'); p.value = '`+browserAsOf+`'; p.dispatchEvent(new Event('change')); return true })()`, new(bool)),
			webtest.Wait(`document.getElementById('view').dataset.asOf === '`+browserAsOf+`'`),
		)
	})

	t.Run("task and indicator detail", func(t *testing.T) {
		var reason string
		var unitRows int
		var chart bool
		webtest.Run(t, ctx,
			chromedp.Click(chromedp.CSS(`.cell[data-task="14.4"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#task-detail .reason`)),
			webtest.Eval(`document.querySelector('#task-detail .reason').textContent`, &reason),
			chromedp.Click(chromedp.CSS(`#task-detail [data-indicator="14.4-kiosk-services"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#indicator-detail table.units`)),
			webtest.Eval(`document.querySelectorAll('#indicator-detail table.units tbody tr').length`, &unitRows),
		)
		if web.HasCharts() {
			webtest.Run(t, ctx, webtest.Wait(`!!document.querySelector('#indicator-detail .chart canvas')`))
			chart = true
		} else {
			webtest.Run(t, ctx, webtest.Eval(`!!document.querySelector('#indicator-detail .nochart')`, &chart))
		}
		if !strings.Contains(reason, "截至2022年9月") || unitRows != 11 || !chart {
			t.Errorf("task reason %q, %d unit rows (want the 11 regions), chart or its note shown: %v", reason, unitRows, chart)
		}
		webtest.Screenshot(t, ctx, "indicator.png", false, *screenshotDir)
		webtest.Run(t, ctx, chromedp.Click(chromedp.CSS(`#drawer-close`)))
	})

	t.Run("timeline", func(t *testing.T) {
		var rows, marks int
		webtest.Run(t, ctx,
			chromedp.Navigate(m.URL()+"/#/timeline"),
			webtest.Wait(`document.getElementById('view').dataset.loaded === 'timeline'`),
			webtest.Eval(`document.querySelectorAll('#timeline tbody tr[data-task]').length`, &rows),
			webtest.Eval(`document.querySelectorAll('#timeline .mark').length`, &marks),
		)
		if rows != 61 || marks < 61 {
			t.Errorf("timeline: %d task rows, %d marks", rows, marks)
		}
		webtest.Screenshot(t, ctx, "timeline.png", false, *screenshotDir)
	})

	t.Run("a bad file's errors, cell by cell", func(t *testing.T) {
		bad, err := filepath.Abs("../../fixtures/bad/not-a-number.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		var errs [][]string
		webtest.Run(t, ctx,
			chromedp.Navigate(m.URL()+"/#/upload"),
			webtest.Wait(`document.getElementById('view').dataset.loaded === 'upload'`),
			chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{bad}),
			chromedp.Click(chromedp.CSS(`#upload-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#upload-errors`)),
			webtest.Eval(`[...document.querySelectorAll('#upload-errors tbody tr')].map(tr => [tr.dataset.code, ...[...tr.cells].map(td => td.textContent)])`, &errs),
		)
		found := false
		for _, e := range errs {
			// code, sheet, cell, value, expected, message
			if len(e) == 6 && e[0] == "type-error" && e[2] == "B4" && strings.Contains(e[1], "14.4") && e[5] != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("the page lists %v; want a type-error at 14.4 …!B4", errs)
		}
		webtest.Screenshot(t, ctx, "upload.png", false, *screenshotDir)
	})
}

// ingestFixtures stores the sample submissions as `make demo` does, each month's
// files received a week after the month ends, so that past days replay.
func ingestFixtures(t *testing.T, dbPath, rawDir string) {
	t.Helper()
	p, err := plan.Load(browserPlan)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, err := filepath.Glob("../../fixtures/submissions/*/*.xlsx")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample submissions: %v", err)
	}
	sort.Strings(files) // month folders in order: cumulative totals are checked against the month before
	for _, f := range files {
		per, err := plan.ParsePeriod(filepath.Base(filepath.Dir(f)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		received := per.LastDay().AddDays(7).Start(p.Location).Add(10 * time.Hour)
		s, err := ingest.Ingest(context.Background(), p, db, f, ingest.Options{Source: "cli", Now: received, RawDir: rawDir})
		if err != nil {
			t.Fatalf("ingest %s: %v", f, err)
		}
		if s.Outcome != plan.Accepted {
			t.Fatalf("%s rejected: %v", f, s.Errors)
		}
	}
}

// boardLabels asks the API for the board (as of a day, or the service's clock
// with "") and answers each task's status label.
func boardLabels(t *testing.T, m *Main, asOf string) map[string]string {
	t.Helper()
	u := m.URL() + "/api/v1/board"
	if asOf != "" {
		u += "?as_of=" + asOf
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+m.DemoToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, res.Status)
	}
	var b struct {
		Parts []struct {
			Sections []struct {
				Tasks []struct {
					ID          string `json:"id"`
					StatusLabel string `json:"status_label"`
				} `json:"tasks"`
			} `json:"sections"`
		} `json:"parts"`
	}
	if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range b.Parts {
		for _, s := range p.Sections {
			for _, tk := range s.Tasks {
				out[tk.ID] = tk.StatusLabel
			}
		}
	}
	return out
}

func checkCells(t *testing.T, cells [][]string, want map[string]string) {
	t.Helper()
	if len(cells) != len(want) {
		t.Errorf("the battle map has %d cells, the API %d tasks", len(cells), len(want))
	}
	seen := map[string]bool{}
	for _, c := range cells {
		if len(c) != 2 {
			t.Fatalf("cell %v", c)
		}
		seen[c[0]] = true
		if w, ok := want[c[0]]; !ok || w != c[1] {
			t.Errorf("task %s shows %q; the API says %q", c[0], c[1], w)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("task %s is missing from the battle map", id)
		}
	}
}
