package ingest

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/plan"
)

var (
	shippedOnce sync.Once
	shipped     *plan.Plan
	shippedErr  error
)

// shippedPlan loads the plan the repository ships.
func shippedPlan(tb testing.TB) *plan.Plan {
	tb.Helper()
	shippedOnce.Do(func() { shipped, shippedErr = plan.Load("../../rules/zhaoqing-2022") })
	if shippedErr != nil {
		tb.Fatalf("load shipped plan: %v", shippedErr)
	}
	return shipped
}

var sep2022 = plan.Period{Year: 2022, Month: time.September}

// received is when test files arrive: mid-October 2022, Beijing time.
var received = time.Date(2022, 10, 10, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// templateFile opens a fresh template for a unit, ready to be filled.
func templateFile(tb testing.TB, p *plan.Plan, unit string, per plan.Period) *excelize.File {
	tb.Helper()
	var buf bytes.Buffer
	if err := Template(p, unit, per, &buf); err != nil {
		tb.Fatalf("Template(%s): %v", unit, err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		tb.Fatalf("open template: %v", err)
	}
	return f
}

// save writes f into the test's temporary folder.
func save(tb testing.TB, f *excelize.File, name string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := f.SaveAs(path); err != nil {
		tb.Fatalf("save %s: %v", name, err)
	}
	f.Close()
	return path
}

func set(tb testing.TB, f *excelize.File, sheet, cell string, v any) {
	tb.Helper()
	if err := f.SetCellValue(sheet, cell, v); err != nil {
		tb.Fatalf("set %s!%s: %v", sheet, cell, err)
	}
}

func read(tb testing.TB, p *plan.Plan, path string, opt Options, prior PriorFunc) *Result {
	tb.Helper()
	if opt.Now.IsZero() {
		opt.Now = received
	}
	res, err := Read(context.Background(), p, path, opt, prior)
	if err != nil {
		tb.Fatalf("Read(%s): %v", filepath.Base(path), err)
	}
	return res
}
