package api_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/api"
	"github.com/duban-gov/duban/pkg/plan"
)

// TestEvaluationFollowsSubmissions: reads of one day reuse an evaluation, and
// a submission saved in between is seen by the next read all the same.
func TestEvaluationFollowsSubmissions(t *testing.T) {
	e := newEnv(t, 0)
	e.srv.StampTTL = -1 // the saves below go straight to the store, not through an upload
	ctx := context.Background()
	cores := func() any {
		t.Helper()
		resp, body := e.do(request{method: "GET", path: "/api/v1/indicators/17-cloud-cores"}, e.tokens["viewer"])
		if resp.StatusCode != 200 {
			t.Fatalf("indicator: %d %s", resp.StatusCode, body)
		}
		var d struct {
			City struct {
				Actual any `json:"actual"`
			} `json:"city"`
		}
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatal(err)
		}
		return d.City.Actual
	}
	save := func(sha string, v float64) {
		t.Helper()
		sub := &plan.Submission{PlanID: e.p.ID, SHA256: sha, Unit: "zhengshuju", Source: "cli", FileName: sha + ".xlsx",
			ReceivedAt: e.now.Add(-time.Hour), Period: plan.Period{Year: 2022, Month: 9}, Outcome: plan.Accepted}
		obs := []plan.Observation{{Indicator: "17-cloud-cores", Unit: "zhengshuju", Period: plan.Period{Year: 2022, Month: 9}, Value: &v}}
		if err := e.db.SaveSubmission(ctx, sub, obs); err != nil {
			t.Fatal(err)
		}
	}
	if got := cores(); got != nil {
		t.Fatalf("cloud cores before any report = %v", got)
	}
	save("first", 15000)
	if got := cores(); got != 15000.0 {
		t.Fatalf("after the first report: %v, want 15000", got)
	}
	if got := cores(); got != 15000.0 {
		t.Fatalf("read again: %v, want 15000", got)
	}
	save("second", 16000)
	if got := cores(); got != 16000.0 {
		t.Errorf("after a correction: %v, want 16000 (a stale evaluation was reused)", got)
	}
}

// TestUploadIsSeenAtOnce: a read made just before an upload does not hide the
// upload from the read just after it.
func TestUploadIsSeenAtOnce(t *testing.T) {
	e := newEnv(t, 0)
	e.srv.StampTTL = time.Hour // only the upload itself may make the next read look again
	actual := func() any {
		t.Helper()
		resp, body := e.do(request{method: "GET", path: "/api/v1/indicators/15.5-voucher-activation"}, e.tokens["viewer"])
		if resp.StatusCode != 200 {
			t.Fatalf("indicator: %d %s", resp.StatusCode, body)
		}
		var d struct {
			City struct {
				Actual any `json:"actual"`
			} `json:"city"`
		}
		json.Unmarshal(body, &d)
		return d.City.Actual
	}
	if got := actual(); got != nil {
		t.Fatalf("before the upload: %v", got)
	}
	content, err := os.ReadFile("../../fixtures/submissions/2022-09/yibao.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := e.do(request{method: "POST", path: "/api/v1/submissions", body: fileBody(nil, "yibao.xlsx", content)}, e.tokens["admin"])
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	if got := actual(); got == nil {
		t.Error("the read after the upload still shows no figure")
	}
}

// TestRevokedTokenStopsAtOnce: a token used a moment ago stops working as soon
// as it is revoked through the API, though its look-up was cached.
func TestRevokedTokenStopsAtOnce(t *testing.T) {
	e := newEnv(t, 0)
	secret, tok, err := api.CreateToken(context.Background(), e.db, e.p, "viewer", "", "soon-gone", "test", e.now)
	if err != nil {
		t.Fatal(err)
	}
	me := request{method: "GET", path: "/api/v1/me"}
	if resp, body := e.do(me, secret); resp.StatusCode != 200 {
		t.Fatalf("before revoking: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.do(request{method: "DELETE", path: "/api/v1/tokens/" + strconv.FormatInt(tok.ID, 10)}, e.tokens["admin"]); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.do(me, secret); resp.StatusCode != 401 {
		t.Errorf("after revoking: %d, want 401", resp.StatusCode)
	}
}
