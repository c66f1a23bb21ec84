package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/api"
	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

const shippedPlan = "../../rules/zhaoqing-2022"

// env is a server on a real SQLite file with the shipped plan, a token per
// role, one firing alert and one submission of the reporter's unit.
type env struct {
	t        *testing.T
	srv      *api.Server
	db       *store.DB
	p        *plan.Plan
	tokens   map[string]string // role → secret; also "revoked"
	alertKey string
	subID    int64
	victim   int64 // a token to revoke
	now      time.Time
}

const reporterUnit = "yibao" // 市医保局

func newEnv(t *testing.T, maxUpload int64) *env {
	t.Helper()
	ctx := context.Background()
	plans, err := api.NewPlans(shippedPlan, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := plans.Plan()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "duban.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := plan.Date{Year: 2022, Month: 10, Day: 15}.End(p.Location).Add(-time.Hour)
	e := &env{t: t, db: db, p: p, tokens: map[string]string{}, now: now}
	for _, role := range []string{"admin", "supervisor", "reporter", "viewer", "revoked"} {
		r, unit := role, ""
		if role == "reporter" {
			unit = reporterUnit
		}
		if role == "revoked" {
			r = "admin"
		}
		secret, tok, err := api.CreateToken(ctx, db, p, r, unit, role, "test", now)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = secret
		if role == "revoked" {
			if _, err := db.RevokeToken(ctx, tok.ID, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, victim, err := api.CreateToken(ctx, db, p, "viewer", "", "victim", "test", now)
	if err != nil {
		t.Fatal(err)
	}
	e.victim = victim.ID

	e.alertKey = plan.AlertKey(plan.AlertLagging, "15.5-voucher-activation", "guangning", plan.Period{Year: 2022, Month: 9})
	_, err = db.SyncAlerts(ctx, p.ID, func([]plan.Alert) ([]plan.Alert, []plan.Notification, error) {
		return []plan.Alert{{Key: e.alertKey, PlanID: p.ID, Kind: plan.AlertLagging, Family: plan.FamilyPerformance,
			Subject: "15.5-voucher-activation", Task: "15.5", Unit: "guangning", Period: plan.Period{Year: 2022, Month: 9},
			Level: plan.Reminder, State: plan.Firing, Reason: "激活率落后", Occurred: 1,
			FirstFiredAt: now.Add(-48 * time.Hour), LastChangedAt: now.Add(-48 * time.Hour)}}, nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := &plan.Submission{PlanID: p.ID, SHA256: "seeded", Unit: reporterUnit, Source: "cli", FileName: "yibao.xlsx",
		ReceivedAt: now.Add(-72 * time.Hour), Period: plan.Period{Year: 2022, Month: 9}, Outcome: plan.Accepted}
	if err := db.SaveSubmission(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	e.subID = sub.ID

	e.srv = &api.Server{Plans: plans, DB: db, Alerts: db, Now: func() time.Time { return now },
		MaxUpload: maxUpload, UploadDir: filepath.Join(dir, "uploads"), Template: ingest.Template,
		FileUnit: func(ctx context.Context, p *plan.Plan, path string) (string, error) {
			res, err := ingest.Read(ctx, p, path, ingest.Options{Now: now}, nil)
			if err != nil {
				return "", err
			}
			return res.Unit, nil
		},
		Ingest: func(ctx context.Context, p *plan.Plan, path string, u api.Upload) (*plan.Submission, error) {
			return ingest.Ingest(ctx, p, db, path, ingest.Options{Unit: u.Unit, Submitter: u.Submitter, Source: "upload",
				FileName: u.FileName, Now: u.Now, RawDir: filepath.Join(dir, "raw"), MaxBytes: u.MaxBytes})
		}}
	return e
}

// request is one call to make.
type request struct {
	method, path string
	body         func() (io.Reader, string) // body and content type
}

func jsonBody(v any) func() (io.Reader, string) {
	return func() (io.Reader, string) {
		b, _ := json.Marshal(v)
		return bytes.NewReader(b), "application/json"
	}
}

func fileBody(fields map[string]string, name string, content []byte) func() (io.Reader, string) {
	return func() (io.Reader, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, v := range fields {
			w.WriteField(k, v)
		}
		fw, _ := w.CreateFormFile("file", name)
		fw.Write(content)
		w.Close()
		return &buf, w.FormDataContentType()
	}
}

// do makes a request with a bearer token ("" for none) and returns the response and its body.
func (e *env) do(r request, token string) (*http.Response, []byte) {
	e.t.Helper()
	var body io.Reader
	req := httptest.NewRequest(r.method, r.path, nil)
	if r.body != nil {
		var ctype string
		body, ctype = r.body()
		req = httptest.NewRequest(r.method, r.path, body)
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.App().Test(req, 30_000)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// errorCode reads the code of an error answer.
func errorCode(b []byte) string {
	var body struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(b, &body)
	return body.Error.Code
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t, 0)
	key := url.PathEscape(e.alertKey)
	sub := "/api/v1/submissions/" + itoa(e.subID)
	n := 0
	upload := func() func() (io.Reader, string) {
		n++ // different bytes each time: not a duplicate
		return fileBody(nil, "x.xlsx", []byte("not a workbook "+itoa(int64(n))))
	}
	const (
		all      = "admin supervisor reporter viewer"
		admin    = "admin"
		alerters = "admin supervisor"
		uploader = "admin reporter"
	)
	tests := []struct {
		req     request
		allowed string // roles allowed
		status  int    // what an allowed role gets
	}{
		{request{"GET", "/api/v1/me", nil}, all, 200},
		{request{"GET", "/api/v1/plan?as_of=2022-10-15", nil}, all, 200},
		{request{"GET", "/api/v1/tasks", nil}, all, 200},
		{request{"GET", "/api/v1/tasks/14.4", nil}, all, 200},
		{request{"GET", "/api/v1/indicators", nil}, all, 200},
		{request{"GET", "/api/v1/indicators/14.4-kiosk-services", nil}, all, 200},
		{request{"GET", "/api/v1/milestones", nil}, all, 200},
		{request{"GET", "/api/v1/milestones/16.1-implementation-plan", nil}, all, 200},
		{request{"GET", "/api/v1/units", nil}, all, 200},
		{request{"GET", "/api/v1/units/yibao/scorecard", nil}, all, 200},
		{request{"GET", "/api/v1/board", nil}, all, 200},
		{request{"GET", "/api/v1/timeline", nil}, all, 200},
		{request{"GET", "/api/v1/rankings", nil}, all, 200},
		{request{"GET", "/api/v1/alerts", nil}, all, 200},
		{request{"POST", "/api/v1/alerts/" + key + "/ack", jsonBody(map[string]string{"comment": "已督办"})}, alerters, 200},
		{request{"POST", "/api/v1/alerts/" + key + "/silence", jsonBody(map[string]string{"until": "2022-10-20"})}, alerters, 200},
		{request{"GET", "/api/v1/submissions", nil}, all, 200},
		{request{"POST", "/api/v1/submissions", nil}, uploader, 422},
		{request{"GET", sub, nil}, all, 200},
		{request{"GET", "/api/v1/templates/yibao?period=2022-09", nil}, all, 200},
		{request{"GET", "/api/v1/reports/briefing.xlsx?as_of=2022-10-15", nil}, alerters, 200},
		{request{"GET", "/api/v1/audit", nil}, admin, 200},
		{request{"GET", "/api/v1/tokens", nil}, admin, 200},
		{request{"POST", "/api/v1/tokens", jsonBody(map[string]string{"role": "viewer", "name": "新查看者"})}, admin, 201},
		{request{"DELETE", "/api/v1/tokens/" + itoa(e.victim), nil}, admin, 204},
		{request{"POST", "/api/v1/admin/reload", nil}, admin, 200},
		{request{"GET", "/healthz", nil}, "", 200},
		{request{"GET", "/readyz", nil}, "", 200},
		{request{"GET", "/metrics", nil}, "", 200},
	}
	for _, tt := range tests {
		open := tt.allowed == ""
		callers := []struct{ name, token string }{
			{"no token", ""}, {"wrong token", "not-a-token"}, {"revoked token", e.tokens["revoked"]},
			{"admin", e.tokens["admin"]}, {"supervisor", e.tokens["supervisor"]},
			{"reporter", e.tokens["reporter"]}, {"viewer", e.tokens["viewer"]},
		}
		for _, who := range callers {
			t.Run(tt.req.method+" "+tt.req.path+" as "+who.name, func(t *testing.T) {
				want := tt.status
				switch {
				case open:
				case who.token == "" || who.name == "wrong token" || who.name == "revoked token":
					want = http.StatusUnauthorized
				case !strings.Contains(tt.allowed, who.name):
					want = http.StatusForbidden
				}
				r := tt.req
				if r.method == "POST" && r.path == "/api/v1/submissions" {
					r.body = upload()
				}
				resp, body := e.do(r, who.token)
				if resp.StatusCode != want {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
				}
				if want == 401 && errorCode(body) != plan.EUNAUTHORIZED || want == 403 && errorCode(body) != plan.EFORBIDDEN {
					t.Errorf("error body %s, want code for %d", body, want)
				}
			})
		}
	}
}

func TestReporterStaysInItsUnit(t *testing.T) {
	e := newEnv(t, 0)
	rep := e.tokens["reporter"]
	other := &plan.Submission{PlanID: e.p.ID, SHA256: "other", Unit: "duanzhou", Source: "cli",
		ReceivedAt: e.now.Add(-time.Hour), Period: plan.Period{Year: 2022, Month: 9}, Outcome: plan.Accepted}
	if err := e.db.SaveSubmission(context.Background(), other, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    request
		status int
	}{
		{"upload for another unit", request{"POST", "/api/v1/submissions",
			fileBody(map[string]string{"unit": "端州区"}, "x.xlsx", []byte("anything"))}, 403},
		{"another unit's submissions", request{"GET", "/api/v1/submissions?unit=duanzhou", nil}, 403},
		{"another unit's submission", request{"GET", "/api/v1/submissions/" + itoa(other.ID), nil}, 403},
		{"another unit's template", request{"GET", "/api/v1/templates/duanzhou", nil}, 403},
		{"another unit's alerts", request{"GET", "/api/v1/alerts?unit=guangning", nil}, 403},
		{"another unit's file", request{"POST", "/api/v1/submissions",
			fileBody(nil, "duanzhou.xlsx", mustRead(t, "../../fixtures/submissions/2022-09/duanzhou.xlsx"))}, 403},
		{"its own template", request{"GET", "/api/v1/templates/市医保局", nil}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(tt.req, rep)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
		})
	}
	// The reporter's list holds only its own unit's submissions.
	_, body := e.do(request{"GET", "/api/v1/submissions", nil}, rep)
	var page struct {
		Items []plan.Submission
		Total int
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || page.Items[0].Unit != reporterUnit {
		t.Errorf("reporter sees %+v", page)
	}
	// The refused upload is in the audit log, with who and from where.
	_, body = e.do(request{"GET", "/api/v1/audit?action=upload", nil}, e.tokens["admin"])
	var audit struct {
		Items []store.AuditEntry
	}
	json.Unmarshal(body, &audit)
	if len(audit.Items) != 2 || audit.Items[0].Status != 403 || audit.Items[0].Actor != "reporter" || audit.Items[0].Remote == "" {
		t.Errorf("audit of the refused upload: %s", body)
	}
}

func TestUploadSizeLimit(t *testing.T) {
	e := newEnv(t, 1024)
	resp, body := e.do(request{"POST", "/api/v1/submissions",
		fileBody(nil, "big.xlsx", bytes.Repeat([]byte("x"), 4096))}, e.tokens["admin"])
	if resp.StatusCode != http.StatusRequestEntityTooLarge || errorCode(body) != plan.ETOOLARGE {
		t.Fatalf("status %d %s, want 413 too_large", resp.StatusCode, body)
	}
}

func TestErrorsAreJSON(t *testing.T) {
	e := newEnv(t, 0)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/indicators/no-such", 404, plan.ENOTFOUND},
		{"/api/v1/board?as_of=2022-13-01", 400, plan.EINVALID},
		{"/api/v1/tasks?limit=0", 400, plan.EINVALID},
		{"/api/v1/nowhere", 404, plan.ENOTFOUND},
		{"/api/v1/submissions/abc", 400, plan.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := e.do(request{"GET", tt.path, nil}, e.tokens["admin"])
			if resp.StatusCode != tt.status || errorCode(body) != tt.code {
				t.Errorf("status %d %s, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
