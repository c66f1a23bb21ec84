package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
)

// TestTemplateYibao checks that 市医保局's template holds exactly the
// indicators and milestones it reports, with its rows pre-filled, dropdowns,
// numeric validation, protected sheets and a very hidden _meta.
func TestTemplateYibao(t *testing.T) {
	p := loadShipped(t)
	var buf bytes.Buffer
	sep := plan.Period{Year: 2022, Month: time.September}
	if err := ingest.Template(p, "市医保局", sep, &buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	inds, ms := p.Reports("yibao")
	var want []string
	for _, ind := range inds {
		want = append(want, ind.ID)
	}
	if len(ms) > 0 {
		want = append(want, "milestones")
	}
	// What each data sheet carries, by its hidden marker cell.
	var got []string
	sheetOf := map[string]string{}
	for _, name := range f.GetSheetList() {
		v, _ := f.GetCellValue(name, "Z1")
		if id, ok := strings.CutPrefix(v, "duban:"); ok {
			got = append(got, id)
			sheetOf[id] = name
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("template sheets carry %v, want %v", got, want)
	}
	if len(want) != 3 || !slices.Contains(want, "15.5-voucher-activation") || !slices.Contains(want, "15.5-hospital-mobile-pay") {
		t.Errorf("市医保局 should report activation, hospital payment and its milestones, got %v", want)
	}

	// _meta: very hidden, naming plan, template, version, unit and period.
	if vis, _ := f.GetSheetVisible("_meta"); vis {
		t.Errorf("_meta is visible")
	}
	meta, _ := f.GetRows("_meta")
	kv := map[string]string{}
	for _, r := range meta {
		if len(r) >= 2 && r[0] != "sheet" {
			kv[r[0]] = r[1]
		}
	}
	for k, v := range map[string]string{"plan": "zhaoqing-2022", "template_id": "duban-zhaoqing-2022-yibao", "template_version": "1", "unit": "yibao", "period": "2022-09"} {
		if kv[k] != v {
			t.Errorf("_meta %s = %q, want %q", k, kv[k], v)
		}
	}

	// The activation sheet: one row per region, a region dropdown, numeric checks, protection.
	vs := sheetOf["15.5-voucher-activation"]
	rows, _ := f.GetRows(vs)
	var regions []string
	for _, r := range rows[3:] {
		if len(r) > 0 && r[0] != "" {
			regions = append(regions, r[0])
		}
	}
	ind, _ := p.Indicator("15.5-voucher-activation")
	if len(regions) != len(ind.RowUnits) || regions[0] != "端州区" {
		t.Errorf("activation rows %v, want the %d regions", regions, len(ind.RowUnits))
	}
	dvs, err := f.GetDataValidations(vs)
	if err != nil {
		t.Fatal(err)
	}
	var list, decimal bool
	for _, dv := range dvs {
		list = list || dv.Type == "list" && strings.Contains(dv.Formula1, "端州区")
		decimal = decimal || dv.Type == "decimal" || dv.Type == "whole"
	}
	if !list || !decimal {
		t.Errorf("activation sheet validations: region dropdown %v, numeric %v", list, decimal)
	}
	if prot, err := f.GetSheetProtection(vs); err != nil || !prot.SelectLockedCells {
		t.Errorf("activation sheet not protected: %+v %v", prot, err)
	}
	if v, _ := f.GetCellValue("填报说明", "B3"); v != "市医保局" {
		t.Errorf("instructions name %q, want 市医保局", v)
	}
	msRows, _ := f.GetRows(sheetOf["milestones"])
	if len(msRows) < 4 || msRows[3][0] != ms[0].ID {
		t.Errorf("milestone rows %v", msRows)
	}
	dvs, _ = f.GetDataValidations(sheetOf["milestones"])
	if len(dvs) == 0 || !strings.Contains(dvs[0].Formula1, "已完成") {
		t.Errorf("milestone state dropdown missing: %+v", dvs)
	}

	// Filled in by a clerk, uploaded, it evaluates.
	for i := range regions {
		f.SetCellValue(vs, fmt.Sprintf("B%d", 4+i), 300000+i*1000)
		f.SetCellValue(vs, fmt.Sprintf("C%d", 4+i), 480000)
	}
	f.SetCellValue(sheetOf["15.5-hospital-mobile-pay"], "B4", 1)
	f.SetCellValue(sheetOf["milestones"], "E4", "已完成")
	f.SetCellValue(sheetOf["milestones"], "F4", time.Date(2022, 8, 15, 0, 0, 0, 0, time.UTC))
	f.SetCellValue(sheetOf["milestones"], "G4", "肇医保〔2022〕12号")
	path := filepath.Join(t.TempDir(), "yibao-2022-09.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	db, raw := openStore(t)
	sub := ingestFile(t, p, db, raw, path)
	if sub.Outcome != plan.Accepted || sub.Observations != len(regions)+2 {
		t.Fatalf("outcome %s with %d observations, errors %v", sub.Outcome, sub.Observations, sub.Errors)
	}
	asOf := time.Date(2022, 10, 15, 23, 0, 0, 0, p.Location)
	obs, err := db.Observations(context.Background(), p.ID, asOf)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]plan.Status{}
	for _, ev := range evaluate.Evaluate(p, obs, asOf) {
		if ev.UnitID == "" {
			statuses[ev.Indicator+ev.Milestone] = ev.Status
		}
	}
	if s := statuses["15.5-hospital-mobile-pay"]; s != plan.Achieved {
		t.Errorf("hospital payment %s, want achieved", s)
	}
	if s := statuses["15.5-e-prescription"]; s != plan.Achieved {
		t.Errorf("e-prescription %s, want achieved", s)
	}
	if s := statuses["15.5-voucher-activation"]; s == plan.NoData || s == "" {
		t.Errorf("activation %q: the uploaded figures were not evaluated", s)
	}
}
