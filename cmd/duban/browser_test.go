package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
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
	ctx := newBrowser(t)

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
		browse(t, ctx,
			chromedp.Navigate(m.DashboardURL()),
			pageWait(`document.getElementById('view').dataset.loaded === 'board'`),
			pageEval(`[...document.querySelectorAll('#battle-map .cell')].map(c => [c.dataset.task, c.querySelector('.cell-status').textContent])`, &cells),
			pageEval(`document.getElementById('as-of').value`, &asOf),
			pageEval(`document.getElementById('plan-title').textContent`, &title),
		)
		checkCells(t, cells, want)
		if asOf != browserAsOf || !strings.Contains(title, "肇庆市数字政府改革建设2022年工作要点") {
			t.Errorf("header: as of %q, title %q", asOf, title)
		}
		saveScreenshot(t, ctx, "board.png", true)
	})

	t.Run("a past day replays", func(t *testing.T) {
		const day = "2022-06-30"
		want := boardLabels(t, m, day)
		var cells [][]string
		var search string
		browse(t, ctx,
			pageEval(`(() => { const p = document.getElementById('as-of'); p.value = '`+day+`'; p.dispatchEvent(new Event('change')); return true })()`, new(bool)),
			pageWait(`document.getElementById('view').dataset.loaded === 'board' && document.getElementById('view').dataset.asOf === '`+day+`'`),
			pageEval(`[...document.querySelectorAll('#battle-map .cell')].map(c => [c.dataset.task, c.querySelector('.cell-status').textContent])`, &cells),
			pageEval(`location.search`, &search),
		)
		checkCells(t, cells, want)
		if search != "?as_of="+day {
			t.Errorf("the address keeps %q, want ?as_of=%s", search, day)
		}
		browse(t, ctx,
			pageEval(`(() => { const p = document.getElementById('as-of'); p.value = '`+browserAsOf+`'; p.dispatchEvent(new Event('change')); return true })()`, new(bool)),
			pageWait(`document.getElementById('view').dataset.asOf === '`+browserAsOf+`'`),
		)
	})

	t.Run("task and indicator detail", func(t *testing.T) {
		var reason string
		var unitRows int
		var chart bool
		browse(t, ctx,
			chromedp.Click(chromedp.CSS(`.cell[data-task="14.4"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#task-detail .reason`)),
			pageEval(`document.querySelector('#task-detail .reason').textContent`, &reason),
			chromedp.Click(chromedp.CSS(`#task-detail [data-indicator="14.4-kiosk-services"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#indicator-detail table.units`)),
			pageEval(`document.querySelectorAll('#indicator-detail table.units tbody tr').length`, &unitRows),
		)
		if web.HasCharts() {
			browse(t, ctx, pageWait(`!!document.querySelector('#indicator-detail .chart canvas')`))
			chart = true
		} else {
			browse(t, ctx, pageEval(`!!document.querySelector('#indicator-detail .nochart')`, &chart))
		}
		if !strings.Contains(reason, "截至2022年9月") || unitRows != 11 || !chart {
			t.Errorf("task reason %q, %d unit rows (want the 11 regions), chart or its note shown: %v", reason, unitRows, chart)
		}
		saveScreenshot(t, ctx, "indicator.png", false)
		browse(t, ctx, chromedp.Click(chromedp.CSS(`#drawer-close`)))
	})

	t.Run("timeline", func(t *testing.T) {
		var rows, marks int
		browse(t, ctx,
			chromedp.Navigate(m.URL()+"/#/timeline"),
			pageWait(`document.getElementById('view').dataset.loaded === 'timeline'`),
			pageEval(`document.querySelectorAll('#timeline tbody tr[data-task]').length`, &rows),
			pageEval(`document.querySelectorAll('#timeline .mark').length`, &marks),
		)
		if rows != 61 || marks < 61 {
			t.Errorf("timeline: %d task rows, %d marks", rows, marks)
		}
		saveScreenshot(t, ctx, "timeline.png", false)
	})

	t.Run("a bad file's errors, cell by cell", func(t *testing.T) {
		bad, err := filepath.Abs("../../fixtures/bad/not-a-number.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		var errs [][]string
		browse(t, ctx,
			chromedp.Navigate(m.URL()+"/#/upload"),
			pageWait(`document.getElementById('view').dataset.loaded === 'upload'`),
			chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{bad}),
			chromedp.Click(chromedp.CSS(`#upload-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#upload-errors`)),
			pageEval(`[...document.querySelectorAll('#upload-errors tbody tr')].map(tr => [tr.dataset.code, ...[...tr.cells].map(td => td.textContent)])`, &errs),
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
		saveScreenshot(t, ctx, "upload.png", false)
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

// newBrowser starts headless Chromium (Debian's chromium package), or skips when
// it is not installed — except under CI, where a missing browser is a failure.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package")
		}
		t.Skip("chromium is not installed (apt-get install chromium): the dashboard's browser test did not run")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, which lives as long as ctx: no time limit on it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// browse runs steps in order, each within a time limit, and names the step that failed.
func browse(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, step := range steps {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Do(sctx, step)
		cancel()
		if err != nil {
			t.Fatalf("browser step %d: %v", i+1, err)
		}
	}
}

// pageEval evaluates a JavaScript expression in the page into v.
func pageEval[T any](expr string, v *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := chromedp.Evaluate[T](expr)(ctx, tg)
		if err != nil {
			return fmt.Errorf("%s: %w", expr, err)
		}
		*v = r
		return nil
	})
}

// pageWait waits until a JavaScript condition holds in the page.
func pageWait(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Poll[chromedp.Void](cond)(ctx, tg); err != nil {
			return fmt.Errorf("waiting for %s: %w", cond, err)
		}
		return nil
	})
}

// saveScreenshot keeps a PNG of the page (whole, or the window when a panel is
// open) in the test's temporary folder and, with -screenshot DIR, in DIR.
func saveScreenshot(t *testing.T, ctx context.Context, name string, full bool) {
	t.Helper()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dirs := []string{t.TempDir()}
	if *screenshotDir != "" {
		dirs = append(dirs, *screenshotDir)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
