package report_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/report"
)

func mustLoad(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.Load("../../rules/zhaoqing-2022")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func at(p *plan.Plan, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, p.Location)
	if err != nil {
		panic(err)
	}
	return t
}

func per(s string) plan.Period {
	p, err := plan.ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

func TestReports(t *testing.T) {
	p := mustLoad(t)
	asOf := plan.Date{Year: 2022, Month: 10, Day: 15}.End(p.Location)
	subs := []plan.Submission{
		// 2022-08 falls due on 2022-09-07 (five working days after 31 August).
		{ID: 1, Unit: "zhengshuju", Period: per("2022-08"), Outcome: plan.Accepted, ReceivedAt: at(p, "2022-09-07 23:59")},
		// 2022-09 falls due on 2022-10-12: National Day, then the make-up weekend of 8 and 9 October.
		{ID: 2, Unit: "zhengshuju", Period: per("2022-09"), Outcome: plan.Accepted, ReceivedAt: at(p, "2022-10-13 08:00")},
		{ID: 3, Unit: "zhengshuju", Period: per("2022-09"), Outcome: plan.Accepted, ReceivedAt: at(p, "2022-10-14 08:00")},
		{ID: 4, Unit: "zhengshuju", Period: per("2022-07"), Outcome: plan.Rejected, ReceivedAt: at(p, "2022-08-01 08:00")},
		{ID: 5, Unit: "zhengshuju", Period: per("2022-06"), Outcome: plan.Accepted, ReceivedAt: at(p, "2022-10-16 08:00")},
		{ID: 6, Unit: "yibao", Period: per("2022-05"), Outcome: plan.Accepted, ReceivedAt: at(p, "2022-06-01 08:00")},
	}
	lines := report.Reports(p, "zhengshuju", subs, asOf)
	if len(lines) != 9 {
		t.Fatalf("got %d report lines, want 9 (January to September): %+v", len(lines), lines)
	}
	byPeriod := map[string]report.ReportLine{}
	for _, l := range lines {
		byPeriod[l.Period.String()] = l
	}
	tests := []struct {
		period, state, due string
		submission         int64
	}{
		{"2022-08", report.OnTime, "2022-09-07", 1},
		{"2022-09", report.Late, "2022-10-12", 2},
		{"2022-07", report.Missing, "", 0}, // rejected is not a report
		{"2022-06", report.Missing, "", 0}, // received after as_of: not known yet
		{"2022-05", report.Missing, "", 0}, // another unit's
	}
	for _, tt := range tests {
		t.Run(tt.period, func(t *testing.T) {
			l := byPeriod[tt.period]
			if l.State != tt.state || l.Submission != tt.submission {
				t.Errorf("%s: state %s submission %d, want %s %d", tt.period, l.State, l.Submission, tt.state, tt.submission)
			}
			if tt.due != "" && l.Due.String() != tt.due {
				t.Errorf("%s: due %s, want %s", tt.period, l.Due, tt.due)
			}
		})
	}
	c := report.CountReports(lines)
	if c != (report.ReportCounts{Due: 9, OnTime: 1, Late: 1, Missing: 7}) {
		t.Errorf("counts %+v", c)
	}
	// On the due day itself the September report is not yet owed.
	if got := report.Reports(p, "zhengshuju", nil, at(p, "2022-10-12 18:00")); len(got) != 8 {
		t.Errorf("as of noon on the due day: %d lines, want 8", len(got))
	}
}

func TestRank(t *testing.T) {
	p := &plan.Plan{Units: []*plan.Unit{{ID: "a", Name: "甲"}, {ID: "b", Name: "乙"}, {ID: "c", Name: "丙"}, {ID: "d", Name: "丁"}}}
	p.Reindex()
	ev := func(unit string, s plan.Status) evaluate.Evaluation {
		return evaluate.Evaluation{UnitID: unit, Unit: p.UnitName(unit), Status: s}
	}
	evs := []evaluate.Evaluation{
		{Status: plan.Lagging}, // the city figure ranks nobody
		ev("a", plan.Lagging), ev("a", plan.OnTrack),
		ev("b", plan.Achieved), ev("b", plan.OnTrack),
		ev("c", plan.OnTrack), ev("c", plan.Critical),
		ev("d", plan.NoData),
	}
	got := report.Rank(p, evs, nil, time.Now())
	want := []struct {
		unit  string
		rank  int
		share float64
	}{{"b", 1, 1}, {"a", 2, 0.5}, {"c", 2, 0.5}, {"d", 4, 0}}
	if len(got) != len(want) {
		t.Fatalf("got %d rankings, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Unit.ID != w.unit || got[i].Rank != w.rank || got[i].Share != w.share {
			t.Errorf("place %d: %s rank %d share %v; want %s rank %d share %v",
				i, got[i].Unit.ID, got[i].Rank, got[i].Share, w.unit, w.rank, w.share)
		}
	}
}

func TestBriefing(t *testing.T) {
	p := mustLoad(t)
	ind, ok := p.Indicator("14.4-kiosk-services")
	if !ok {
		t.Fatal("no 14.4-kiosk-services in the shipped plan")
	}
	// Names a clerk could have typed that a spreadsheet would take for formulas.
	hostile := []string{"=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(1)"}
	for i, name := range hostile {
		u, _ := p.Unit(ind.RowUnits[i+1])
		u.Name = name
	}
	laggard, _ := p.Unit(ind.RowUnits[0])
	var obs []plan.Observation
	for m := 1; m <= 9; m++ {
		for i, u := range ind.RowUnits {
			v := 9000.0
			if i == 0 {
				v = 500 // far behind its share
			}
			obs = append(obs, plan.Observation{Indicator: ind.ID, Unit: u,
				Period: plan.Period{Year: 2022, Month: time.Month(m)}, Value: &v})
		}
	}
	asOf := plan.Date{Year: 2022, Month: 10, Day: 15}.End(p.Location)
	evs := evaluate.Evaluate(p, obs, asOf)
	subs := []plan.Submission{{ID: 1, Unit: ind.RowUnits[0], Period: per("2022-09"), Outcome: plan.Accepted,
		ReceivedAt: at(p, "2022-10-14 10:00")}}

	var buf bytes.Buffer
	if err := report.Briefing(&buf, p, evs, subs, asOf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	wantSheets := []string{report.SheetSummary, report.SheetLagging, report.SheetOverdue, report.SheetRanking}
	if got := f.GetSheetList(); !equal(got, wantSheets) {
		t.Fatalf("sheets %v, want %v", got, wantSheets)
	}

	t.Run("lagging unit listed", func(t *testing.T) {
		rows, err := f.GetRows(report.SheetLagging)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows[2:] {
			if len(r) > 4 && r[1] == laggard.Name && r[3] == ind.Name && (r[4] == "严重滞后" || r[4] == "进度滞后") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s's %s is not listed as lagging: %q", laggard.Name, ind.Name, rows)
		}
	})

	t.Run("late report listed", func(t *testing.T) {
		rows, _ := f.GetRows(report.SheetOverdue)
		found := false
		for _, r := range rows[2:] {
			if len(r) > 4 && r[1] == laggard.Name && r[2] == "2022年9月" && r[4] == "逾期报送" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s's September report, received after 12 October, is not listed as late: %q", laggard.Name, rows)
		}
	})

	t.Run("formulas neutralised", func(t *testing.T) {
		seen := map[string]bool{}
		for _, sheet := range wantSheets {
			rows, _ := f.GetRows(sheet)
			for r, row := range rows {
				for c, v := range row {
					if v == "" || !bytes.ContainsAny([]byte{v[0]}, "=+-@") {
						continue
					}
					cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
					typ, err := f.GetCellType(sheet, cell)
					if err != nil {
						t.Fatal(err)
					}
					if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
						t.Errorf("%s!%s %q has cell type %v, want a string", sheet, cell, v, typ)
					}
					if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
						t.Errorf("%s!%s %q is the formula %q", sheet, cell, v, formula)
					}
					seen[v] = true
				}
			}
		}
		for _, name := range hostile {
			if !seen[name] {
				t.Errorf("%q appears nowhere in the briefing, so the check proves nothing for it", name)
			}
		}
	})

	t.Run("print setup", func(t *testing.T) {
		for _, sheet := range wantSheets {
			layout, err := f.GetPageLayout(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 {
				t.Errorf("%s: page layout %+v, want landscape fitted to one page wide", sheet, layout)
			}
			panes, err := f.GetPanes(sheet)
			if err != nil || !panes.Freeze || panes.YSplit != 2 {
				t.Errorf("%s: panes %+v, want the two header rows frozen", sheet, panes)
			}
			if w, _ := f.GetColWidth(sheet, "B"); w < 10 {
				t.Errorf("%s: column B is %v wide, want it set", sheet, w)
			}
		}
		names := f.GetDefinedName()
		titles := 0
		for _, n := range names {
			if n.Name == "_xlnm.Print_Titles" {
				titles++
			}
		}
		if titles != len(wantSheets) {
			t.Errorf("%d sheets repeat their header when printed, want %d", titles, len(wantSheets))
		}
	})

	t.Run("status colours", func(t *testing.T) {
		rows, _ := f.GetRows(report.SheetLagging)
		for r, row := range rows[2:] {
			if len(row) < 5 {
				continue
			}
			cell := "E" + itoa(r+3)
			style, _ := f.GetCellStyle(report.SheetLagging, cell)
			st, err := f.GetStyle(style)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Fill.Color) == 0 || st.Fill.Color[0] == "" {
				t.Errorf("%s %q has no fill colour", cell, row[4])
			}
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
