package web_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/duban-gov/duban/pkg/web"
	"github.com/duban-gov/duban/pkg/web/webtest"
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

	ctx := webtest.Browser(t)

	t.Run("without a token the page asks for one", func(t *testing.T) {
		var alone bool
		webtest.Run(t, ctx,
			chromedp.Navigate(srv.URL+"/"),
			webtest.Wait(`!document.getElementById('login').hidden`),
			webtest.Eval(`document.getElementById('view').hidden && document.querySelectorAll('.cell').length === 0`, &alone),
		)
		if !alone {
			t.Fatal("the login form is not shown alone")
		}
	})

	t.Run("battle map", func(t *testing.T) {
		var cells [][]string
		var hash, stored string
		var counts map[string]float64
		webtest.Run(t, ctx,
			chromedp.Navigate(srv.URL+"/#token="+testToken),
			webtest.Wait(`document.getElementById('view').dataset.loaded === 'board'`),
			webtest.Eval(`[...document.querySelectorAll('#battle-map .cell')].map(c => [c.dataset.task, c.querySelector('.cell-status').textContent, getComputedStyle(c).backgroundColor])`, &cells),
			webtest.Eval(`location.hash`, &hash),
			webtest.Eval(`localStorage.getItem('duban.token')`, &stored),
			webtest.Eval(`Object.fromEntries([...document.querySelectorAll('[data-count]')].map(e => [e.dataset.count, +e.textContent]))`, &counts),
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
		webtest.Screenshot(t, ctx, "fixture-board.png", true, *screenshotDir)
	})

	t.Run("filters", func(t *testing.T) {
		var byLead, byStatus int
		var shown string
		webtest.Run(t, ctx,
			chromedp.SetValue(chromedp.CSS(`#filter-lead`), "yibao"),
			webtest.Eval(`document.getElementById('filter-lead').dispatchEvent(new Event('change'))`, new(bool)),
			webtest.Eval(`document.querySelectorAll('.cell[data-match="1"]').length`, &byLead),
			chromedp.Click(chromedp.CSS(`.toolbar .btn`)),
			chromedp.Click(chromedp.CSS(`.chip[data-status="critical"]`)),
			webtest.Eval(`document.querySelectorAll('.cell[data-match="1"]').length`, &byStatus),
			webtest.Eval(`document.getElementById('shown').textContent`, &shown),
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
		webtest.Run(t, ctx,
			chromedp.Click(chromedp.CSS(`.cell[data-task="14.4"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#task-detail`)),
			webtest.Eval(`document.querySelector('#task-detail .reason').textContent`, &reason),
			chromedp.Click(chromedp.CSS(`#task-detail [data-indicator="14.4-kiosk-services"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#indicator-detail`)),
			webtest.Eval(`document.querySelector('#indicator-detail .nochart').textContent`, &noChart),
			webtest.Eval(`document.querySelectorAll('#indicator-detail table.units tbody tr').length`, &unitRows),
		)
		if reason == "" || !strings.Contains(noChart, "图表组件") || unitRows != 11 {
			t.Errorf("detail: reason %q, chart note %q, %d unit rows (want 11 regions)", reason, noChart, unitRows)
		}
		webtest.Screenshot(t, ctx, "fixture-indicator.png", false, *screenshotDir)
		webtest.Run(t, ctx, chromedp.Click(chromedp.CSS(`#drawer-close`)))
	})

	t.Run("upload shows a rejected file's cell errors", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "端州区-2022-09.xlsx")
		if err := os.WriteFile(bad, []byte("PK not really a workbook"), 0o644); err != nil {
			t.Fatal(err)
		}
		var cells []string
		webtest.Run(t, ctx,
			chromedp.Navigate(srv.URL+"/#/upload"),
			webtest.Wait(`document.getElementById('view').dataset.loaded === 'upload'`),
			chromedp.SetUploadFiles(chromedp.CSS(`#upload-file`), []string{bad}),
			chromedp.Click(chromedp.CSS(`#upload-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#upload-errors`)),
			webtest.Eval(`[...document.querySelectorAll('#upload-errors td.cellref')].map(td => td.textContent)`, &cells),
		)
		if strings.Join(cells, ",") != "D5,D6,E7" {
			t.Errorf("error cells %v, want D5,D6,E7", cells)
		}
		webtest.Screenshot(t, ctx, "fixture-upload.png", false, *screenshotDir)
	})
}
