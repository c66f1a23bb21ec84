package web_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/duban-gov/duban/pkg/web"
)

var screenshotDir = flag.String("screenshot", "", "also save the browser test's screenshots in this folder")

const testToken = "fixture-token"

// fixtureAPI answers the few API calls the page makes from testdata/api, so
// that the page is tested on its own, apart from the real API's evaluations.
func fixtureAPI(t *testing.T) http.Handler {
	t.Helper()
	file := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, err := os.ReadFile(filepath.Join("testdata", "api", name))
			if err != nil {
				apiError(w, http.StatusNotFound, "not_found", "没有这项数据")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/me", file("me.json"))
	mux.Handle("GET /api/v1/board", file("board.json"))
	mux.Handle("GET /api/v1/units", file("units.json"))
	mux.HandleFunc("GET /api/v1/indicators/{id}", func(w http.ResponseWriter, r *http.Request) {
		file("indicator-"+filepath.Base(r.PathValue("id"))+".json")(w, r)
	})
	mux.HandleFunc("POST /api/v1/submissions", func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := r.FormFile("file"); err != nil {
			apiError(w, http.StatusBadRequest, "invalid", "缺少文件")
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", "api", "submission-rejected.json"))
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.Write(b)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "not_found", "没有这项数据")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			apiError(w, http.StatusUnauthorized, "unauthorized", "令牌无效")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// newBrowser starts headless Chromium, or skips (fails under CI) when it is not installed.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if _, statErr := os.Stat("/usr/bin/chromium"); statErr != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package")
			}
			t.Skip("chromium is not installed (apt-get install chromium): the browser test cannot run")
		}
		bin = "/usr/bin/chromium"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
		chromedp.Flag("lang", "zh-CN"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, which lives as long as ctx: no timeout on it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs browser steps with a time limit, so that a page that never gets
// where the test waits fails the test instead of hanging it.
func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for i, step := range steps {
		if err := chromedp.Do(ctx, step); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
	}
}

// eval evaluates a JavaScript expression into v.
func eval[T any](expr string, v *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := chromedp.Evaluate[T](expr)(ctx, tg)
		*v = r
		return err
	})
}

// waitFor waits until a JavaScript condition is true.
func waitFor(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[chromedp.Void](cond)(ctx, tg)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", cond, err)
		}
		return nil
	})
}

// screenshot saves the page (full, or only the window when a panel is open) as a PNG.
func screenshot(t *testing.T, ctx context.Context, name string, full bool) {
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
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type boardFixture struct {
	Counts map[string]int `json:"counts"`
	Parts  []struct {
		Sections []struct {
			Tasks []struct {
				ID          string `json:"id"`
				Status      string `json:"status"`
				StatusLabel string `json:"status_label"`
				Lead        []struct {
					ID string `json:"id"`
				} `json:"lead"`
			} `json:"tasks"`
		} `json:"sections"`
	} `json:"parts"`
}

// TestPageWithFixtures opens the page against fixture answers, with the chart
// library withheld, and checks the battle map, a filter, a detail panel, the
// chart's fallback and an upload's cell-by-cell errors.
func TestPageWithFixtures(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/api/", fixtureAPI(t))
	mux.Handle("/vendor/echarts.min.js", http.NotFoundHandler()) // as on a build without make web
	mux.Handle("/", web.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var board boardFixture
	b, err := os.ReadFile("testdata/api/board.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &board); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	ledByYibao := 0
	for _, p := range board.Parts {
		for _, s := range p.Sections {
			for _, tk := range s.Tasks {
				want[tk.ID] = tk.StatusLabel
				for _, u := range tk.Lead {
					if u.ID == "yibao" {
						ledByYibao++
					}
				}
			}
		}
	}
	if len(want) != 61 || ledByYibao == 0 {
		t.Fatalf("fixture has %d tasks, %d led by 市医保局", len(want), ledByYibao)
	}

	ctx := newBrowser(t)

	t.Run("without a token the page asks for one", func(t *testing.T) {
		var alone bool
		run(t, ctx,
			chromedp.Navigate(srv.URL+"/"),
			waitFor(`!document.getElementById('login').hidden`),
			eval(`document.getElementById('view').hidden && document.querySelectorAll('.cell').length === 0`, &alone),
		)
		if !alone {
			t.Fatal("the login form is not shown alone")
		}
	})

	t.Run("battle map", func(t *testing.T) {
		var cells [][]string
		var hash, stored string
		var counts map[string]float64
		run(t, ctx,
			chromedp.Navigate(srv.URL+"/#token="+testToken),
			waitFor(`document.getElementById('view').dataset.loaded === 'board'`),
			eval(`[...document.querySelectorAll('#battle-map .cell')].map(c => [c.dataset.task, c.querySelector('.cell-status').textContent, getComputedStyle(c).backgroundColor])`, &cells),
			eval(`location.hash`, &hash),
			eval(`localStorage.getItem('duban.token')`, &stored),
			eval(`Object.fromEntries([...document.querySelectorAll('[data-count]')].map(e => [e.dataset.count, +e.textContent]))`, &counts),
		)
		if hash != "#/board" || stored != testToken {
			t.Errorf("token not moved from the address to storage: hash %q, stored %q", hash, stored)
		}
		if len(cells) != len(want) {
			t.Fatalf("%d cells, want %d", len(cells), len(want))
		}
		colour := map[string]string{}
		for _, c := range cells {
			if want[c[0]] != c[1] {
				t.Errorf("task %s shows %q, want %q", c[0], c[1], want[c[0]])
			}
			if prev, ok := colour[c[1]]; ok && prev != c[2] {
				t.Errorf("%s drawn in two colours: %s and %s", c[1], prev, c[2])
			}
			colour[c[1]] = c[2]
		}
		if colour["严重滞后"] != "rgb(229, 57, 53)" || colour["已完成"] != "rgb(46, 125, 50)" {
			t.Errorf("status colours: %v", colour)
		}
		for s, n := range board.Counts {
			if int(counts[s]) != n {
				t.Errorf("count strip %s = %v, want %d", s, counts[s], n)
			}
		}
		screenshot(t, ctx, "fixture-board.png", true)
	})

	t.Run("filters", func(t *testing.T) {
		var byLead, byStatus int
		var shown string
		run(t, ctx,
			chromedp.SetValue(chromedp.CSS(`#filter-lead`), "yibao"),
			eval(`document.getElementById('filter-lead').dispatchEvent(new Event('change'))`, new(bool)),
			eval(`document.querySelectorAll('.cell[data-match="1"]').length`, &byLead),
			chromedp.Click(chromedp.CSS(`.toolbar .btn`)),
			chromedp.Click(chromedp.CSS(`.chip[data-status="critical"]`)),
			eval(`document.querySelectorAll('.cell[data-match="1"]').length`, &byStatus),
			eval(`document.getElementById('shown').textContent`, &shown),
			chromedp.Click(chromedp.CSS(`button.all`)),
		)
		if byLead != ledByYibao {
			t.Errorf("市医保局 filter shows %d tasks, want %d", byLead, ledByYibao)
		}
		if byStatus != board.Counts["critical"] || !strings.Contains(shown, fmt.Sprint(byStatus)) {
			t.Errorf("严重滞后 filter shows %d (%q), want %d", byStatus, shown, board.Counts["critical"])
		}
	})

	t.Run("task and indicator detail without charts", func(t *testing.T) {
		var reason, noChart string
		var unitRows int
		run(t, ctx,
			chromedp.Click(chromedp.CSS(`.cell[data-task="14.4"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#task-detail`)),
			eval(`document.querySelector('#task-detail .reason').textContent`, &reason),
			chromedp.Click(chromedp.CSS(`#task-detail [data-indicator="14.4-kiosk-services"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#indicator-detail`)),
			eval(`document.querySelector('#indicator-detail .nochart').textContent`, &noChart),
			eval(`document.querySelectorAll('#indicator-detail table.units tbody tr').length`, &unitRows),
		)
		if reason == "" || !strings.Contains(noChart, "图表组件") || unitRows != 11 {
			t.Errorf("detail: reason %q, chart note %q, %d unit rows (want 11 regions)", reason, noChart, unitRows)
		}
		screenshot(t, ctx, "fixture-indicator.png", false)
		run(t, ctx, chromedp.Click(chromedp.CSS(`#drawer-close`)))
	})

	t.Run("upload shows a rejected file's cell errors", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "端州区-2022-09.xlsx")
		if err := os.WriteFile(bad, []byte("PK not really a workbook"), 0o644); err != nil {
			t.Fatal(err)
		}
		var cells []string
		run(t, ctx,
			chromedp.Navigate(srv.URL+"/#/upload"),
			waitFor(`document.getElementById('view').dataset.loaded === 'upload'`),
			chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{bad}),
			chromedp.Click(chromedp.CSS(`#upload-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#upload-errors`)),
			eval(`[...document.querySelectorAll('#upload-errors td.cellref')].map(td => td.textContent)`, &cells),
		)
		if strings.Join(cells, ",") != "D5,D6,E7" {
			t.Errorf("error cells %v, want D5,D6,E7", cells)
		}
		screenshot(t, ctx, "fixture-upload.png", false)
	})
}
