package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestServeEndToEnd starts the service the way `duban serve` does, on port 0
// with a fresh SQLite file and the shipped plan, and drives it over HTTP:
// uploads a good and a bad file, reads the board, the indicator, the briefing,
// creates a reporter token and has the reporter try another unit's file.
func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	// A copy of the shipped plan, so that the reload test can break it.
	planDir := filepath.Join(dir, "plan")
	if err := os.CopyFS(planDir, os.DirFS(shippedPlan)); err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: ServeConfig{Addr: "127.0.0.1:0", DataDir: dir, PlanDir: planDir,
		AsOf: "2022-10-15", Demo: true, Schedule: true}}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if m.DemoToken == "" || !strings.Contains(m.DashboardURL(), "/#token="+m.DemoToken) {
		t.Fatalf("demo token %q, dashboard %q", m.DemoToken, m.DashboardURL())
	}
	admin := m.DemoToken

	call := func(t *testing.T, method, path, token string, body io.Reader, ctype string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, m.URL()+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	upload := func(t *testing.T, token, file string) (int, map[string]any) {
		t.Helper()
		content, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		fw, _ := w.CreateFormFile("file", filepath.Base(file))
		fw.Write(content)
		w.Close()
		status, b := call(t, "POST", "/api/v1/submissions", token, &buf, w.FormDataContentType())
		var sub map[string]any
		if err := json.Unmarshal(b, &sub); err != nil {
			t.Fatalf("upload %s: %d %s", file, status, b)
		}
		return status, sub
	}

	if status, b := call(t, "GET", "/readyz", "", nil, ""); status != 200 {
		t.Fatalf("readyz %d %s", status, b)
	}
	if status, _ := call(t, "GET", "/api/v1/board", "", nil, ""); status != 401 {
		t.Errorf("board without a token: %d, want 401", status)
	}

	good := "../../fixtures/submissions/2022-09/yibao.xlsx"
	t.Run("good file accepted, then the same bytes are the same submission", func(t *testing.T) {
		status, sub := upload(t, admin, good)
		if status != 201 || sub["outcome"] != "accepted" || sub["unit"] != "yibao" {
			t.Fatalf("status %d, submission %v", status, sub)
		}
		again, sub2 := upload(t, admin, good)
		if again != 200 || sub2["id"] != sub["id"] {
			t.Errorf("second upload: status %d id %v, want 200 and id %v", again, sub2["id"], sub["id"])
		}
	})

	t.Run("bad file rejected with its cell", func(t *testing.T) {
		status, sub := upload(t, admin, "../../fixtures/bad/not-a-number.xlsx")
		errs, _ := sub["errors"].([]any)
		if status != 422 || sub["outcome"] != "rejected" || len(errs) == 0 {
			t.Fatalf("status %d, submission %v", status, sub)
		}
		first := errs[0].(map[string]any)
		if first["code"] != "type-error" || first["cell"] != "B4" {
			t.Errorf("first error %v, want type-error at B4", first)
		}
		id := int(sub["id"].(float64))
		status, b := call(t, "GET", "/api/v1/submissions/"+itoa(id), admin, nil, "")
		if status != 200 || !strings.Contains(string(b), "type-error") {
			t.Errorf("detail %d %s", status, b)
		}
	})

	t.Run("the board and the indicator show the upload", func(t *testing.T) {
		status, b := call(t, "GET", "/api/v1/board?as_of=2022-10-15", admin, nil, "")
		var board struct {
			AsOf   string         `json:"as_of"`
			Counts map[string]int `json:"counts"`
			Parts  []struct {
				Sections []struct {
					Tasks []struct{ ID, Status string }
				}
			}
		}
		if status != 200 || json.Unmarshal(b, &board) != nil || board.AsOf != "2022-10-15" {
			t.Fatalf("board %d %s", status, b)
		}
		tasks, total := 0, 0
		for _, p := range board.Parts {
			for _, s := range p.Sections {
				tasks += len(s.Tasks)
			}
		}
		for _, n := range board.Counts {
			total += n
		}
		if tasks != 61 || total != 61 {
			t.Errorf("board has %d tasks, counts add up to %d; want 61", tasks, total)
		}
		status, b = call(t, "GET", "/api/v1/indicators/15.5-voucher-activation", admin, nil, "")
		var ind struct {
			City struct {
				Period string  `json:"period"`
				Actual float64 `json:"actual"`
			}
			Units  []any
			Series []struct{ Period string }
		}
		if status != 200 || json.Unmarshal(b, &ind) != nil {
			t.Fatalf("indicator %d %s", status, b)
		}
		if ind.City.Period != "2022-09" || ind.City.Actual <= 0 || len(ind.Units) != 11 || len(ind.Series) == 0 {
			t.Errorf("indicator after the upload: %s", b)
		}
		// The day before the upload was received (the clock stands at 2022-10-15), nothing was known.
		_, b = call(t, "GET", "/api/v1/indicators/15.5-voucher-activation?as_of=2022-10-01", admin, nil, "")
		var before struct {
			City struct {
				Period string   `json:"period"`
				Actual *float64 `json:"actual"`
			}
		}
		if err := json.Unmarshal(b, &before); err != nil || before.City.Period != "" || before.City.Actual != nil {
			t.Errorf("as of 2022-10-01 the September figure is already known: %+v", before.City)
		}
	})

	t.Run("briefing opens as a workbook", func(t *testing.T) {
		status, b := call(t, "GET", "/api/v1/reports/briefing.xlsx?as_of=2022-10-15", admin, nil, "")
		if status != 200 {
			t.Fatalf("briefing %d %s", status, b)
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if got := strings.Join(f.GetSheetList(), ","); got != "概要,滞后任务,逾期未报,单位排名" {
			t.Errorf("sheets %s", got)
		}
	})

	t.Run("a reporter cannot upload another unit's file", func(t *testing.T) {
		status, b := call(t, "POST", "/api/v1/tokens", admin,
			strings.NewReader(`{"role":"reporter","unit":"市医保局"}`), "application/json")
		var tok struct{ Token string }
		if status != 201 || json.Unmarshal(b, &tok) != nil || tok.Token == "" {
			t.Fatalf("create token %d %s", status, b)
		}
		status, sub := upload(t, tok.Token, "../../fixtures/submissions/2022-09/duanzhou.xlsx")
		if status != 403 {
			t.Fatalf("reporter of 市医保局 uploading 端州区's file: %d %v, want 403", status, sub)
		}
		var page struct {
			Items []struct {
				FileName string `json:"file_name"`
			}
		}
		_, b = call(t, "GET", "/api/v1/submissions?limit=1000", admin, nil, "")
		json.Unmarshal(b, &page)
		for _, s := range page.Items {
			if s.FileName == "duanzhou.xlsx" {
				t.Errorf("the refused file was recorded: %s", b)
			}
		}
		if status, _ := call(t, "GET", "/api/v1/audit", tok.Token, nil, ""); status != 403 {
			t.Errorf("reporter reads the audit log: %d, want 403", status)
		}
	})

	t.Run("every write is audited", func(t *testing.T) {
		status, b := call(t, "GET", "/api/v1/audit?limit=100", admin, nil, "")
		var page struct {
			Items []struct{ Action, Actor, Remote string }
			Total int
		}
		if status != 200 || json.Unmarshal(b, &page) != nil {
			t.Fatalf("audit %d %s", status, b)
		}
		actions := map[string]int{}
		for _, e := range page.Items {
			actions[e.Action]++
			if e.Remote == "" && e.Actor != "serve --demo" {
				t.Errorf("entry without a remote address: %+v", e)
			}
		}
		if actions["upload"] != 4 || actions["token.create"] != 2 {
			t.Errorf("audit actions %v, want 4 uploads and 2 token.create", actions)
		}
		if err := m.DB.VerifyAudit(context.Background()); err != nil {
			t.Error(err)
		}
	})

	t.Run("metrics count requests and ingests", func(t *testing.T) {
		status, b := call(t, "GET", "/metrics", "", nil, "")
		for _, want := range []string{`duban_ingest_total{outcome="accepted",source="upload"} 1`,
			`duban_ingest_total{outcome="duplicate",source="upload"} 1`, "duban_http_requests_total", "duban_alerts_firing"} {
			if status != 200 || !strings.Contains(string(b), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})

	t.Run("a broken rule set leaves the old one in force", func(t *testing.T) {
		status, b := call(t, "POST", "/api/v1/admin/reload", admin, nil, "")
		if status != 200 || !strings.Contains(string(b), `"generation":2`) {
			t.Fatalf("reload %d %s", status, b)
		}
		if err := os.WriteFile(filepath.Join(planDir, "plan.yaml"), []byte("apiVersion: duban/v1\nkind: Plan\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		status, b = call(t, "POST", "/api/v1/admin/reload", admin, nil, "")
		if status != 409 || !strings.Contains(string(b), "conflict") {
			t.Errorf("reload of a broken plan: %d %s, want 409 conflict", status, b)
		}
		m.Reload() // as on SIGHUP: logs and keeps the old plan
		if _, gen := m.Plans.Current(); gen != 2 {
			t.Errorf("generation %d after failed reloads, want 2", gen)
		}
		if status, b := call(t, "GET", "/readyz", "", nil, ""); status != 200 || !strings.Contains(string(b), "last reload failed") {
			t.Errorf("readyz after a failed reload: %d %s", status, b)
		}
		if status, _ := call(t, "GET", "/api/v1/tasks/14.4", admin, nil, ""); status != 200 {
			t.Errorf("after a failed reload the old plan is gone: %d", status)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }
