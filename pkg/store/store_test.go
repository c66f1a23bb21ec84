package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
	"github.com/duban-gov/duban/pkg/store/storetest"
)

const planID = "zhaoqing-2022"

var shanghai = mustLoadLocation("Asia/Shanghai")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// testDSN is a database of the test's own (storetest.DSN).
func testDSN(tb testing.TB) string { return storetest.DSN(tb) }

func mustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	return mustOpenDSN(tb, testDSN(tb))
}

func mustOpenDSN(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	db, err := store.Open(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func num(v float64) *float64 { return &v }

func period(tb testing.TB, s string) plan.Period {
	tb.Helper()
	p, err := plan.ParsePeriod(s)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func date(tb testing.TB, s string) plan.Date {
	tb.Helper()
	d, err := plan.ParseDate(s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// at is an instant on 2022-10-dd hh:00 in Shanghai.
func at(day, hour int) time.Time { return time.Date(2022, 10, day, hour, 0, 0, 0, shanghai) }

// submission is an accepted submission of September from 端州区, received at t.
func submission(sha string, t time.Time) *plan.Submission {
	return &plan.Submission{
		PlanID:     planID,
		SHA256:     sha,
		Unit:       "duanzhou",
		Source:     "upload",
		FileName:   "duanzhou-2022-09.xlsx",
		Size:       1024,
		ReceivedAt: t,
		TemplateID: "regions",
		Period:     plan.Period{Year: 2022, Month: time.September},
		Outcome:    plan.Accepted,
	}
}

func mustSave(tb testing.TB, db *store.DB, sub *plan.Submission, obs ...plan.Observation) *plan.Submission {
	tb.Helper()
	if err := db.SaveSubmission(context.Background(), sub, obs); err != nil {
		tb.Fatal(err)
	}
	return sub
}

func countRows(tb testing.TB, db *store.DB) (submissions int, observations int64) {
	tb.Helper()
	ctx := context.Background()
	_, total, err := db.Submissions(ctx, store.SubmissionFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	n, err := db.CountObservations(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return total, n
}

func TestOpenTwiceMigratesOnce(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	first, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	want := store.SQLite
	if strings.HasPrefix(dsn, "postgres") {
		want = store.Postgres
	}
	if got := first.Dialect(); got != want {
		t.Errorf("Dialect() = %q, want %q", got, want)
	}
	v1, err := first.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 < 1 {
		t.Fatalf("schema version after first open = %d, want ≥ 1", v1)
	}
	sub := mustSave(t, first, submission("aa", at(8, 9)),
		plan.Observation{Indicator: "14.4-kiosk-services", Unit: "duanzhou", Value: num(12000)})
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := mustOpenDSN(t, dsn)
	v2, err := second.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v2 != v1 {
		t.Errorf("schema version after second open = %d, want %d", v2, v1)
	}
	got, err := second.Submission(ctx, sub.ID)
	if err != nil {
		t.Fatalf("submission saved before reopening: %v", err)
	}
	if got.SHA256 != "aa" || got.Observations != 1 {
		t.Errorf("after reopening got %+v", got)
	}
	if n, err := second.CountObservations(ctx); err != nil || n != 1 {
		t.Errorf("CountObservations() = %d, %v; want 1", n, err)
	}
}

func TestSaveSubmissionRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	received := time.Date(2022, 10, 9, 16, 30, 5, 123456789, shanghai)
	sub := &plan.Submission{
		PlanID:          planID,
		SHA256:          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Unit:            "yibao",
		Submitter:       "张三",
		Source:          "inbox",
		FileName:        "市医保局2022年9月.xlsx",
		Size:            20480,
		ReceivedAt:      received,
		TemplateID:      "yibao",
		TemplateVersion: 3,
		Period:          period(t, "2022-09"),
		Outcome:         plan.Accepted,
		Warnings:        []plan.CellError{{Code: "format-error", Sheet: "数据", Cell: "D7", Value: "65%", Expected: "0.65", Message: "数据!D7 按百分数读取为0.65"}},
		RawPath:         "raw/9f/9f86d081.xlsx",
	}
	obs := []plan.Observation{
		{Indicator: "15.5-voucher-activation", Unit: "duanzhou", Numerator: num(310000), Denominator: num(480000)},
		{Indicator: "15.5-hospital-mobile-pay", Unit: "yibao", Value: num(1), Total: num(1)},
		{Milestone: "15.5-e-prescription", Unit: "yibao", State: plan.StateDone, Date: date(t, "2022-08-15"), Evidence: "肇医保〔2022〕12号"},
		{Indicator: "19-sharing-within-3-days", Unit: "zhengshuju", Period: period(t, "2022-08"),
			Requested: date(t, "2022-08-29"), Connected: date(t, "2022-09-01")},
	}
	if err := db.SaveSubmission(ctx, sub, obs); err != nil {
		t.Fatal(err)
	}
	if sub.ID == 0 || sub.Observations != len(obs) {
		t.Fatalf("after save ID = %d, Observations = %d; want an id and %d", sub.ID, sub.Observations, len(obs))
	}
	wantAt := received.UTC().Truncate(time.Microsecond)
	if !sub.ReceivedAt.Equal(wantAt) || sub.ReceivedAt.Location() != time.UTC {
		t.Errorf("sub.ReceivedAt = %v, want %v in UTC", sub.ReceivedAt, wantAt)
	}

	want := *sub
	want.Errors = []plan.CellError{}
	for name, get := range map[string]func() (*plan.Submission, error){
		"by id":  func() (*plan.Submission, error) { return db.Submission(ctx, sub.ID) },
		"by sha": func() (*plan.Submission, error) { return db.SubmissionBySHA(ctx, planID, sub.SHA256) },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if got.ReceivedAt.Location() != time.UTC {
				t.Errorf("ReceivedAt in %v, want UTC", got.ReceivedAt.Location())
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("got\n%+v\nwant\n%+v", *got, want)
			}
		})
	}

	got, err := db.Observations(ctx, planID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(sub.ID)
	wantObs := make([]plan.Observation, len(obs))
	for i, o := range obs {
		if o.Period.IsZero() {
			o.Period = sub.Period // an observation without a period takes the submission's
		}
		o.Submission = id
		wantObs[i] = o
	}
	// Observations come ordered by indicator (a milestone's is empty), milestone, unit, period.
	wantObs = []plan.Observation{wantObs[2], wantObs[1], wantObs[0], wantObs[3]}
	if !reflect.DeepEqual(got, wantObs) {
		t.Errorf("Observations() =\n%+v\nwant\n%+v", got, wantObs)
	}
}

func TestSaveSubmissionAllOrNothing(t *testing.T) {
	valid := plan.Observation{Indicator: "14.4-kiosk-services", Unit: "duanzhou", Value: num(12000)}
	// A state the schema refuses: the insert of the observations fails after
	// the submission row is already written in the same transaction.
	bad := plan.Observation{Milestone: "16.1-implementation-plan", Unit: "zhujian", State: "finished"}
	many := func(n, badAt int) []plan.Observation {
		obs := make([]plan.Observation, n)
		for i := range obs {
			obs[i] = valid
			obs[i].Unit = fmt.Sprintf("unit-%d", i)
		}
		obs[badAt] = bad
		return obs
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		ctx  context.Context
		obs  []plan.Observation
		code string
	}{
		{"constraint on the last observation", context.Background(), []plan.Observation{valid, valid, bad}, plan.EINTERNAL},
		{"constraint in the second batch", context.Background(), many(1200, 1100), plan.EINTERNAL},
		{"cancelled context", cancelled, []plan.Observation{valid}, plan.EINTERNAL},
		{"observation without a unit", context.Background(), []plan.Observation{valid, {Indicator: "x"}}, plan.EINVALID},
		{"observation without a subject", context.Background(), []plan.Observation{{Unit: "duanzhou"}}, plan.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			sub := submission("ab", at(8, 9))
			err := db.SaveSubmission(tt.ctx, sub, tt.obs)
			if err == nil {
				t.Fatal("SaveSubmission succeeded, want an error")
			}
			if code := plan.ErrorCode(err); code != tt.code {
				t.Errorf("error code %q, want %q (%v)", code, tt.code, err)
			}
			if sub.ID != 0 {
				t.Errorf("sub.ID = %d after a failed save, want 0", sub.ID)
			}
			if subs, obs := countRows(t, db); subs != 0 || obs != 0 {
				t.Errorf("after a failed save: %d submissions, %d observations; want none", subs, obs)
			}
			// The same bytes can still be saved once the problem is fixed.
			mustSave(t, db, sub, valid)
			if subs, obs := countRows(t, db); subs != 1 || obs != 1 {
				t.Errorf("after the retry: %d submissions, %d observations; want 1 and 1", subs, obs)
			}
		})
	}
}

func TestSameBytesAreOneSubmission(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	obs := plan.Observation{Indicator: "14.4-kiosk-services", Unit: "duanzhou", Value: num(12000)}
	first := mustSave(t, db, submission("cafe", at(8, 9)), obs)

	again := submission("cafe", at(9, 9))
	err := db.SaveSubmission(ctx, again, []plan.Observation{obs})
	if code := plan.ErrorCode(err); code != plan.ECONFLICT {
		t.Fatalf("second save of the same bytes: %v (code %q), want %q", err, code, plan.ECONFLICT)
	}
	if again.ID != 0 {
		t.Errorf("conflicting save set ID %d", again.ID)
	}
	if subs, n := countRows(t, db); subs != 1 || n != 1 {
		t.Errorf("after the conflict: %d submissions, %d observations; want 1 and 1", subs, n)
	}

	otherPlan := submission("cafe", at(9, 9))
	otherPlan.PlanID = "zhaoqing-2023"
	mustSave(t, db, otherPlan, obs)

	tests := []struct {
		name, plan, sha string
		wantID          int64
		code            string
	}{
		{"earlier submission", planID, "cafe", first.ID, ""},
		{"same bytes in another plan", "zhaoqing-2023", "cafe", otherPlan.ID, ""},
		{"unknown bytes", planID, "beef", 0, plan.ENOTFOUND},
		{"unknown plan", "nowhere", "cafe", 0, plan.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.SubmissionBySHA(ctx, tt.plan, tt.sha)
			if tt.code != "" {
				if code := plan.ErrorCode(err); code != tt.code {
					t.Fatalf("SubmissionBySHA: %v (code %q), want code %q", err, code, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.wantID {
				t.Errorf("SubmissionBySHA id = %d, want %d", got.ID, tt.wantID)
			}
		})
	}

	if _, err := db.Submission(ctx, first.ID+100); plan.ErrorCode(err) != plan.ENOTFOUND {
		t.Errorf("Submission(unknown id): %v, want code %q", err, plan.ENOTFOUND)
	}
}

func TestRejectedSubmissionKeepsRecordNotObservations(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	sub := submission("bad1", at(8, 9))
	sub.Outcome = plan.Rejected
	sub.Errors = []plan.CellError{
		{Code: "type-error", Sheet: "数据", Cell: "C7", Row: 7, Value: "十二万", Expected: "数字", Message: "数据!C7 应为数字,读到“十二万”"},
		{Code: "missing-cell", Sheet: "数据", Cell: "D9", Row: 9, Message: "数据!D9 不能为空"},
	}
	obs := []plan.Observation{{Indicator: "14.4-kiosk-services", Unit: "duanzhou", Value: num(12000)}}
	mustSave(t, db, sub, obs...)
	if sub.Observations != 0 {
		t.Errorf("rejected submission counts %d observations, want 0", sub.Observations)
	}
	got, err := db.Submission(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != plan.Rejected || !reflect.DeepEqual(got.Errors, sub.Errors) {
		t.Errorf("rejected submission read back as %q with errors %+v, want %+v", got.Outcome, got.Errors, sub.Errors)
	}
	if n, err := db.CountObservations(ctx); err != nil || n != 0 {
		t.Errorf("CountObservations() = %d, %v; want 0", n, err)
	}
	in, err := db.Observations(ctx, planID, time.Time{})
	if err != nil || len(in) != 0 {
		t.Errorf("Observations() = %v, %v; want none", in, err)
	}
}

// summary groups observations by subject/unit/period, each written as
// value@submission or, for a lead-time record, requested→connected@submission.
func summary(obs []plan.Observation) map[string][]string {
	out := map[string][]string{}
	for _, o := range obs {
		key := o.Subject() + "/" + o.Unit + "/" + o.Period.String()
		var v string
		switch {
		case o.Value != nil:
			v = fmt.Sprintf("%g@%s", *o.Value, o.Submission)
		default:
			v = fmt.Sprintf("%s→%s@%s", o.Requested, o.Connected, o.Submission)
		}
		out[key] = append(out[key], v)
	}
	return out
}

func TestLaterSubmissionSupersedes(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	const kiosk, sharing = "14.4-kiosk-services", "19-sharing-within-3-days"
	sep := plan.Period{Year: 2022, Month: time.September}
	record := func(req, conn string) plan.Observation {
		return plan.Observation{Indicator: sharing, Unit: "zhengshuju", Requested: date(t, req), Connected: date(t, conn)}
	}

	// 8 Oct: 端州 reports 100 services and 5 in Dinghu's row; 市政数局 three sharing records.
	a := mustSave(t, db, submission("a", at(8, 9)),
		plan.Observation{Indicator: kiosk, Unit: "duanzhou", Value: num(100)},
		plan.Observation{Indicator: kiosk, Unit: "dinghu", Value: num(5)})
	c := mustSave(t, db, submission("c", at(8, 10)),
		record("2022-09-01", "2022-09-02"), record("2022-09-05", "2022-09-09"), record("2022-09-20", "2022-09-21"))
	// 10 Oct: 端州 corrects its figure to 120; 市政数局 resends two records only.
	b := mustSave(t, db, submission("b", at(10, 9)),
		plan.Observation{Indicator: kiosk, Unit: "duanzhou", Value: num(120)})
	d := mustSave(t, db, submission("d", at(10, 10)),
		record("2022-09-01", "2022-09-02"), record("2022-09-20", "2022-09-22"))
	// A rejected file later still does not supersede anything.
	rej := submission("r", at(11, 9))
	rej.Outcome = plan.Rejected
	mustSave(t, db, rej, plan.Observation{Indicator: kiosk, Unit: "duanzhou", Value: num(999)})

	id := func(s *plan.Submission) string { return fmt.Sprint(s.ID) }
	tests := []struct {
		name string
		asOf time.Time
		want map[string][]string
	}{
		{"before anything arrived", at(8, 8), map[string][]string{}},
		{"after the first", at(8, 9), map[string][]string{
			"14.4-kiosk-services/duanzhou/2022-09": {"100@" + id(a)},
			"14.4-kiosk-services/dinghu/2022-09":   {"5@" + id(a)},
		}},
		{"before the corrections", at(9, 12), map[string][]string{
			"14.4-kiosk-services/duanzhou/2022-09": {"100@" + id(a)},
			"14.4-kiosk-services/dinghu/2022-09":   {"5@" + id(a)},
			"19-sharing-within-3-days/zhengshuju/2022-09": {
				"2022-09-01→2022-09-02@" + id(c), "2022-09-05→2022-09-09@" + id(c), "2022-09-20→2022-09-21@" + id(c)},
		}},
		{"as known now", time.Time{}, map[string][]string{
			"14.4-kiosk-services/duanzhou/2022-09": {"120@" + id(b)},
			"14.4-kiosk-services/dinghu/2022-09":   {"5@" + id(a)},
			"19-sharing-within-3-days/zhengshuju/2022-09": {
				"2022-09-01→2022-09-02@" + id(d), "2022-09-20→2022-09-22@" + id(d)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Observations(ctx, planID, tt.asOf)
			if err != nil {
				t.Fatal(err)
			}
			if s := summary(got); !reflect.DeepEqual(s, tt.want) {
				t.Errorf("Observations(%v) =\n%v\nwant\n%v", tt.asOf, s, tt.want)
			}
		})
	}

	history := []struct {
		subject, unit string
		want          []string
	}{
		{kiosk, "duanzhou", []string{"100@" + id(a), "120@" + id(b)}},
		{kiosk, "dinghu", []string{"5@" + id(a)}},
		{sharing, "zhengshuju", []string{
			"2022-09-01→2022-09-02@" + id(c), "2022-09-05→2022-09-09@" + id(c), "2022-09-20→2022-09-21@" + id(c),
			"2022-09-01→2022-09-02@" + id(d), "2022-09-20→2022-09-22@" + id(d)}},
		{kiosk, "gaoyao", nil},
	}
	for _, h := range history {
		t.Run("history "+h.subject+" "+h.unit, func(t *testing.T) {
			got, err := db.ObservationHistory(ctx, planID, h.subject, h.unit, sep)
			if err != nil {
				t.Fatal(err)
			}
			if s := summary(got)[h.subject+"/"+h.unit+"/2022-09"]; !reflect.DeepEqual(s, h.want) {
				t.Errorf("ObservationHistory = %v, want %v", s, h.want)
			}
		})
	}

	if n, err := db.CountObservations(ctx); err != nil || n != 8 {
		t.Errorf("CountObservations() = %d, %v; want 8 (superseded rows stay)", n, err)
	}
}

func TestSameInstantHigherIDWins(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	obs := func(v float64) plan.Observation {
		return plan.Observation{Indicator: "17-cloud-cores", Unit: "zhengshuju", Value: num(v)}
	}
	mustSave(t, db, submission("x1", at(8, 9)), obs(1))
	second := mustSave(t, db, submission("x2", at(8, 9)), obs(2))
	got, err := db.Observations(ctx, planID, at(8, 9))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || *got[0].Value != 2 || got[0].Submission != fmt.Sprint(second.ID) {
		t.Errorf("Observations() = %+v, want only the value 2 of submission %d", got, second.ID)
	}
}

func TestPriorTotal(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	const kiosk = "14.4-kiosk-services"
	obs := func(unit, per string, total *float64) plan.Observation {
		return plan.Observation{Indicator: kiosk, Unit: unit, Period: period(t, per), Value: num(1), Total: total}
	}
	mustSave(t, db, submission("p6", at(1, 9)), obs("duanzhou", "2022-06", num(30000)))
	mustSave(t, db, submission("p7", at(2, 9)), obs("duanzhou", "2022-07", num(41000)))
	mustSave(t, db, submission("p7b", at(3, 9)), obs("duanzhou", "2022-07", num(42000))) // a correction
	mustSave(t, db, submission("p8", at(4, 9)), obs("duanzhou", "2022-08", nil))         // no running total
	mustSave(t, db, submission("d7", at(5, 9)), obs("dinghu", "2022-07", num(7000)))
	mustSave(t, db, submission("d8", at(6, 9)), obs("dinghu", "2022-08", num(8000)))
	// A later correction of 鼎湖's August drops the total: the earlier one is no longer in force.
	mustSave(t, db, submission("d8b", at(7, 9)), obs("dinghu", "2022-08", nil))

	tests := []struct {
		name, indicator, unit, before string
		want                          float64
		wantPeriod                    string
		ok                            bool
	}{
		{"latest correction counts", kiosk, "duanzhou", "2022-08", 42000, "2022-07", true},
		{"skips a period without a total", kiosk, "duanzhou", "2022-09", 42000, "2022-07", true},
		{"strictly before", kiosk, "duanzhou", "2022-07", 30000, "2022-06", true},
		{"nothing earlier", kiosk, "duanzhou", "2022-06", 0, "", false},
		{"superseded total not used", kiosk, "dinghu", "2022-09", 7000, "2022-07", true},
		{"other unit", kiosk, "gaoyao", "2022-09", 0, "", false},
		{"other indicator", "14.4-kiosk-transactions", "duanzhou", "2022-09", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, per, ok, err := db.PriorTotal(ctx, planID, tt.indicator, tt.unit, period(t, tt.before))
			if err != nil {
				t.Fatal(err)
			}
			if total != tt.want || per.String() != tt.wantPeriod || ok != tt.ok {
				t.Errorf("PriorTotal = %v, %v, %v; want %v, %v, %v", total, per, ok, tt.want, tt.wantPeriod, tt.ok)
			}
		})
	}
}

func TestSubmissionsFilterAndPages(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	// Seven submissions, received an hour apart; every third one rejected,
	// the odd ones from 鼎湖, the last two for October.
	var ids []int64
	for i := range 7 {
		s := submission(fmt.Sprintf("s%d", i), at(8, 9+i))
		if i%2 == 1 {
			s.Unit = "dinghu"
		}
		if i%3 == 2 {
			s.Outcome = plan.Rejected
		}
		if i >= 5 {
			s.Period = plan.Period{Year: 2022, Month: time.October}
		}
		ids = append(ids, mustSave(t, db, s).ID)
	}
	other := submission("o", at(8, 20))
	other.PlanID = "zhaoqing-2023"
	mustSave(t, db, other)

	tests := []struct {
		name      string
		filter    store.SubmissionFilter
		wantIdx   []int // into ids, newest first
		wantTotal int
	}{
		{"all of the plan", store.SubmissionFilter{PlanID: planID}, []int{6, 5, 4, 3, 2, 1, 0}, 7},
		{"first page", store.SubmissionFilter{PlanID: planID, Limit: 3}, []int{6, 5, 4}, 7},
		{"second page", store.SubmissionFilter{PlanID: planID, Limit: 3, Offset: 3}, []int{3, 2, 1}, 7},
		{"last page", store.SubmissionFilter{PlanID: planID, Limit: 3, Offset: 6}, []int{0}, 7},
		{"past the end", store.SubmissionFilter{PlanID: planID, Limit: 3, Offset: 9}, []int{}, 7},
		{"one unit", store.SubmissionFilter{PlanID: planID, Unit: "dinghu"}, []int{5, 3, 1}, 3},
		{"rejected", store.SubmissionFilter{PlanID: planID, Outcome: plan.Rejected}, []int{5, 2}, 2},
		{"one period", store.SubmissionFilter{PlanID: planID, Period: plan.Period{Year: 2022, Month: time.October}}, []int{6, 5}, 2},
		{"unit, outcome and page", store.SubmissionFilter{PlanID: planID, Unit: "duanzhou", Outcome: plan.Accepted, Limit: 2, Offset: 1}, []int{4, 0}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := db.Submissions(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			gotIDs := []int64{}
			for _, s := range got {
				gotIDs = append(gotIDs, s.ID)
			}
			wantIDs := []int64{}
			for _, i := range tt.wantIdx {
				wantIDs = append(wantIDs, ids[i])
			}
			if !reflect.DeepEqual(gotIDs, wantIDs) || total != tt.wantTotal {
				t.Errorf("Submissions() = %v (total %d), want %v (total %d)", gotIDs, total, wantIDs, tt.wantTotal)
			}
		})
	}

	if _, _, err := db.Submissions(ctx, store.SubmissionFilter{Limit: -1}); plan.ErrorCode(err) != plan.EINVALID {
		t.Errorf("negative limit: %v, want code %q", err, plan.EINVALID)
	}
}

// TestConcurrentWritersAndReaders guards the SQLite set-up: uploads arriving
// together while the board reads must queue, never fail with "database is locked".
func TestConcurrentWritersAndReaders(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	const writers, perWriter, readers = 6, 8, 4
	errs := make(chan error, writers*perWriter+readers)
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				sub := submission(fmt.Sprintf("w%d-%d", w, i), time.Now())
				sub.Unit = fmt.Sprintf("unit-%d", w)
				obs := []plan.Observation{
					{Indicator: "14.4-kiosk-services", Unit: sub.Unit, Value: num(float64(i))},
					{Indicator: "14.4-kiosk-transactions", Unit: sub.Unit, Value: num(float64(i))},
				}
				if err := db.SaveSubmission(ctx, sub, obs); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
				}
			}
		}()
	}
	var rg sync.WaitGroup
	reads := make([]int, readers)
	for r := range readers {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := db.Observations(ctx, planID, time.Time{}); err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				reads[r]++
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if subs, n := countRows(t, db); subs != writers*perWriter || n != 2*writers*perWriter {
		t.Errorf("%d submissions and %d observations, want %d and %d", subs, n, writers*perWriter, 2*writers*perWriter)
	}
	// Each unit's figures in force are those of its last submission.
	got, err := db.Observations(ctx, planID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2*writers {
		t.Errorf("%d observations in force, want %d", len(got), 2*writers)
	}
	for _, o := range got {
		if *o.Value != perWriter-1 {
			t.Errorf("%s %s in force = %v, want %d", o.Indicator, o.Unit, *o.Value, perWriter-1)
		}
	}
	for r, n := range reads {
		if n == 0 {
			t.Errorf("reader %d never completed a read", r)
		}
	}
}

// TestOpenTogether guards replicas (or a server and a CLI) starting at the
// same moment on a new database: each must migrate or see the migration done.
func TestOpenTogether(t *testing.T) {
	dsn := testDSN(t)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(dsn)
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = db.Close()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	db := mustOpenDSN(t, dsn)
	if v, err := db.SchemaVersion(context.Background()); err != nil || v < 1 {
		t.Errorf("SchemaVersion() = %d, %v", v, err)
	}
}
