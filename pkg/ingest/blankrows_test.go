package ingest

import (
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestFormattedToTheLastRow reads a sheet whose blank rows are formatted down
// to row 1,048,576: reading stops after a run of blank rows instead of walking
// every one, and a figure below that run is never reached.
func TestFormattedToTheLastRow(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a million-row sheet")
	}
	p := shippedPlan(t)
	f := excelize.NewFile()
	style, _ := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFFF00"}}})
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"报送期", "2022-09"})
	sw.SetRow("A2", []any{"需求编号", "申请日期", "完成对接日期"})
	sw.SetRow("A3", []any{"GX-1", "2022-09-01", "2022-09-02"})
	for r := 4; r <= excelize.TotalRows; r++ {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		var vals []any
		if r == 100_000 {
			vals = []any{"GX-2", "2022-09-03"} // past the blank run: never reached
		}
		if err := sw.SetRow(cell, vals, excelize.RowOpts{StyleID: style}); err != nil {
			t.Fatal(err)
		}
	}
	sw.Flush()
	f.SetSheetName("Sheet1", "共享数据对接")
	res := read(t, p, save(t, f, "formatted.xlsx"), Options{Unit: "zhengshuju"}, nil)
	if !res.OK() || len(res.Observations) != 1 {
		t.Fatalf("errors %v, %d observations; want one record", res.Errors, len(res.Observations))
	}
}
