package ingest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/plan"
)

// A clerk's own workbook, made without the template: merged title rows,
// full-width digits, numbers stored as text, aliases, a typed period, formulas
// with cached values, and formatting down thousands of blank rows.
func TestClerkWorkbook(t *testing.T) {
	p := shippedPlan(t)
	f := excelize.NewFile()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "自助机服务人次"))
	s := "自助机服务人次"
	set(t, f, s, "A1", "端州区粤智助自助机服务群众人次统计表")
	must(f.MergeCell(s, "A1", "C1"))
	set(t, f, s, "A2", "报送期:")
	set(t, f, s, "B2", "２０２２年９月")
	set(t, f, s, "A3", "地区")
	set(t, f, s, "B3", "截至本月累计 (人次)")
	set(t, f, s, "C3", "备注")
	set(t, f, s, "A4", " 端州 ")
	set(t, f, s, "B4", "３６，０００") // text, full width, thousands separator
	style, _ := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFF00"}}})
	must(f.SetRowStyle(s, 5, 3000, style)) // formatted blank rows

	_, _ = f.NewSheet("业务办理量")
	s = "业务办理量"
	set(t, f, s, "A1", "粤智助自助机累计业务办理量")
	set(t, f, s, "A2", "地区")
	set(t, f, s, "B2", "累计办理量(笔)")
	set(t, f, s, "A3", "端州区")
	set(t, f, s, "B3", 50000)
	must(f.SetCellFormula(s, "B3", "40000+10000")) // keeps 50000 as its cached value

	_, _ = f.NewSheet("覆盖情况")
	s = "覆盖情况"
	set(t, f, s, "A1", "行政村和镇(街道)粤智助自助机覆盖情况")
	set(t, f, s, "A2", "地区")
	set(t, f, s, "B2", "已覆盖村镇数")
	set(t, f, s, "C2", "村镇总数")
	set(t, f, s, "A3", "端州区")
	set(t, f, s, "B3", 45)
	set(t, f, s, "C3", 60)
	path := save(t, f, "端州区9月自助机.xlsx")

	res := read(t, p, path, Options{Unit: "端州"}, nil)
	if !res.OK() {
		t.Fatalf("rejected: %v", res.Errors)
	}
	if res.Unit != "duanzhou" || res.Period != sep2022 {
		t.Errorf("unit %s period %s", res.Unit, res.Period)
	}
	got := map[string]string{}
	for _, o := range res.Observations {
		switch {
		case o.Total != nil:
			got[o.Indicator] = fmt.Sprint(*o.Total)
		case o.Numerator != nil:
			got[o.Indicator] = fmt.Sprintf("%v/%v", *o.Numerator, *o.Denominator)
		}
	}
	want := map[string]string{"14.4-kiosk-services": "36000", "14.4-kiosk-transactions": "50000", "14.4-kiosk-coverage": "45/60"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Code != "number-as-text" || res.Warnings[0].Cell != "B4" {
		t.Errorf("warnings %v, want one number-as-text at B4", res.Warnings)
	}
}

// TestExcelTraps covers what excelize's formatted reads and defaults get wrong.
func TestExcelTraps(t *testing.T) {
	p := shippedPlan(t)
	tests := []struct {
		name    string
		build   func(f *excelize.File)
		opt     Options
		rejects bool
		check   func(t *testing.T, res *Result)
	}{{
		name: "percent format keeps its digits",
		build: func(f *excelize.File) {
			sh := "2-基层干部填表报数工作量压减比例"
			pct, _ := f.NewStyle(&excelize.Style{NumFmt: 9}) // 0%
			set(t, f, sh, "D4", 0.655)
			f.SetCellStyle(sh, "D4", "D4", pct)
		},
		check: func(t *testing.T, res *Result) {
			if v := value(res, "2-form-workload-cut"); v != 0.655 {
				t.Errorf("0.655 in a 0%% cell read as %v", v)
			}
		},
	}, {
		name: "thousands format keeps its decimals",
		build: func(f *excelize.File) {
			sh := "17-市级政务云资源规模"
			n, _ := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
			set(t, f, sh, "B4", 1234567.891)
			f.SetCellStyle(sh, "B4", "B4", n)
		},
		check: func(t *testing.T, res *Result) {
			if v := value(res, "17-cloud-cores"); v != 1234567.891 {
				t.Errorf("1234567.891 in a #,##0 cell read as %v", v)
			}
		},
	}, {
		name: "typed percentages",
		build: func(f *excelize.File) {
			set(t, f, "2-基层干部填表报数工作量压减比例", "D4", "６５％")
		},
		check: func(t *testing.T, res *Result) {
			if v := value(res, "2-form-workload-cut"); v != 0.65 {
				t.Errorf("６５％ read as %v", v)
			}
		},
	}, {
		name: "a date serial in the 1904 system",
		build: func(f *excelize.File) {
			yes := true
			f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes})
			sh := "19-共享数据3个工作日内完成对接的比例"
			set(t, f, sh, "A4", "GX-1")
			set(t, f, sh, "B4", 43347) // 2022-09-05 counted from 1904
			set(t, f, sh, "C4", "2022年9月6日")
		},
		check: func(t *testing.T, res *Result) {
			for _, o := range res.Observations {
				if o.Indicator == "19-sharing-within-3-days" {
					if o.Requested.String() != "2022-09-05" || o.Connected.String() != "2022-09-06" {
						t.Errorf("record %s → %s", o.Requested, o.Connected)
					}
					return
				}
			}
			t.Errorf("no record read")
		},
	}, {
		name: "a hidden row with data is read, with a warning",
		build: func(f *excelize.File) {
			sh := "19-共享数据3个工作日内完成对接的比例"
			set(t, f, sh, "A4", "GX-1")
			set(t, f, sh, "B4", "2022-09-01")
			set(t, f, sh, "A5", "GX-2")
			set(t, f, sh, "B5", "2022-09-02")
			f.SetRowVisible(sh, 5, false)
		},
		check: func(t *testing.T, res *Result) {
			if len(res.Warnings) != 1 || res.Warnings[0].Code != "hidden-row" || res.Warnings[0].Row != 5 {
				t.Errorf("warnings %v, want hidden-row on row 5", res.Warnings)
			}
		},
	}, {
		name: "the period typed as 2022.1 in a number cell is ambiguous",
		build: func(f *excelize.File) {
			set(t, f, "填报说明", "B4", 2022.1)
		},
		rejects: true,
		check: func(t *testing.T, res *Result) {
			if !hasError(res, "type-error", "填报说明", "B4") {
				t.Errorf("errors %v, want type-error at 填报说明!B4", res.Errors)
			}
		},
	}, {
		name:    "a sender who is not the template's unit",
		opt:     Options{Unit: "市医保局"},
		rejects: true,
		check: func(t *testing.T, res *Result) {
			if res.OK() || !strings.Contains(res.Errors[0].Message, "市政数局") {
				t.Errorf("errors %v, want a unit mismatch", res.Errors)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filledZhengshuju(t, p)
			if tt.build != nil {
				tt.build(f)
			}
			res := read(t, p, save(t, f, "zhengshuju.xlsx"), tt.opt, nil)
			if !tt.rejects && !res.OK() {
				t.Fatalf("rejected: %v", res.Errors)
			}
			tt.check(t, res)
		})
	}
}

func value(res *Result, ind string) float64 {
	for _, o := range res.Observations {
		if o.Indicator == ind && o.Value != nil {
			return *o.Value
		}
	}
	return -1
}

func hasError(res *Result, code, sheet, cell string) bool {
	for _, e := range res.Errors {
		if e.Code == code && e.Sheet == sheet && e.Cell == cell {
			return true
		}
	}
	return false
}

// filledZhengshuju is 市政数局's September template with every figure filled.
func filledZhengshuju(t *testing.T, p *plan.Plan) *excelize.File {
	t.Helper()
	f := templateFile(t, p, "zhengshuju", sep2022)
	for sheet, cells := range map[string]map[string]any{
		"2-基层干部填表报数工作量压减比例":       {"D4": 0.45},
		"14.2-行业专题服务提升行动数":        {"B4": 2},
		"14.2-活跃市场主体粤商通覆盖率":       {"B4": 48000, "C4": 52000},
		"14.2-粤商通肇庆专版月活用户数":       {"B4": 36000},
		"17-市级政务云资源规模":            {"B4": 16400},
		"19-实现秒享的共享需求比例":          {"B4": 150, "C4": 360},
		"19-实现证照和纸质材料免提交的政务服务事项数": {"B4": 1800},
	} {
		for cell, v := range cells {
			set(t, f, sheet, cell, v)
		}
	}
	_, ms := p.Reports("zhengshuju")
	for i := range ms {
		set(t, f, milestonesSheet, fmt.Sprintf("E%d", 4+i), "进行中")
	}
	return f
}

func TestUnknownRegionSuggests(t *testing.T) {
	p := shippedPlan(t)
	f := templateFile(t, p, "yibao", sep2022)
	sh := "15.5-医保电子凭证激活率"
	for i := 0; i < 11; i++ {
		set(t, f, sh, fmt.Sprintf("B%d", 4+i), 100)
		set(t, f, sh, fmt.Sprintf("C%d", 4+i), 200)
	}
	set(t, f, sh, "A4", "端洲区")
	set(t, f, "15.5-实现线上移动支付的二级以上医院数", "B4", 1)
	set(t, f, milestonesSheet, "E4", "进行中")
	res := read(t, p, save(t, f, "yibao.xlsx"), Options{}, nil)
	if !hasError(res, "foreign-key-error", sh, "A4") || !strings.Contains(res.Errors[0].Message, "端洲区」: 未知地区,是否为 端州区?") {
		t.Errorf("errors %v, want a suggestion of 端州区 at A4", res.Errors)
	}
	if len(res.Observations) != 0 {
		t.Errorf("a rejected file handed over %d observations", len(res.Observations))
	}
}

// TestLargeSubmissionMemory reads 100,000 data-sharing records and checks the
// heap never goes near 200 MB: rows are streamed, not loaded whole.
func TestLargeSubmissionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 100,000-row workbook")
	}
	p := shippedPlan(t)
	const n = 100_000
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"报送期", "2022-09"})
	sw.SetRow("A2", []any{"需求编号", "申请日期", "完成对接日期"})
	start := time.Date(2022, 9, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		req := start.AddDate(0, 0, i%28)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("GX-2022-%06d", i), req, req.AddDate(0, 0, 1+i%3)}); err != nil {
			t.Fatal(err)
		}
	}
	sw.Flush()
	f.SetSheetName("Sheet1", "共享数据对接")
	path := save(t, f, "records.xlsx")

	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	res := read(t, p, path, Options{Unit: "市政数局"}, nil)
	close(stop)
	wg.Wait()
	if !res.OK() {
		t.Fatalf("rejected: %v", res.Errors[:min(len(res.Errors), 5)])
	}
	if len(res.Observations) != n {
		t.Errorf("%d records read, want %d", len(res.Observations), n)
	}
	t.Logf("peak heap %d MB", peak>>20)
	if peak > 150<<20 {
		t.Errorf("peak heap %d MB reading %d rows, want well under 200 MB", peak>>20, n)
	}
}
