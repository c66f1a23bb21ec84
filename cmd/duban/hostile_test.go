package main

import (
	"archive/zip"
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/fixtures/hostile"
	"github.com/duban-gov/duban/pkg/plan"
)

// TestHostileFiles puts a corpus of hostile files, built at test time,
// through a running `duban serve`: uploads that are not workbooks, zip bombs,
// an XML entity bomb and an external entity in a worksheet, a path-climbing
// file name, a formula where a figure belongs; inbox files whose names try
// to climb out of their folder, and symbolic links out of the inbox. Each is
// refused with a clear error, leaving the observations as they were, and the
// service answers /healthz after each. Then what is harmless is shown to be
// harmless: a row 10,000 columns wide and formula-like text in a milestone's
// evidence are taken as data, and that text reaches the Excel briefing as
// text, never as a formula.
func TestHostileFiles(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "srv", "data")
	db := filepath.Join(data, "duban.db")
	outside := filepath.Join(root, "outside")
	good := readFile(t, "../../fixtures/submissions/2022-09/yibao.xlsx")
	const hospitals = "15.5-实现线上移动支付的二级以上医院数"
	hospitalPart, err := hostile.SheetPart(good, hospitals)
	if err != nil {
		t.Fatal(err)
	}

	// Files outside the data folder that links in the inbox point at: a good
	// workbook (read through a link, it would be accepted) and a unit folder.
	secret, err := hostile.SetCells(good, hospitals, map[string]any{"B4": 99})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(outside, "secret.xlsx"), secret)
	mustWrite(t, filepath.Join(outside, "unit", "secret.xlsx"), secret)

	// The inbox, filled before the service starts so that its catch-up scan takes it.
	inbox := filepath.Join(data, "inbox")
	climbers := []string{"x..%2F..%2F..%2Fescape.xlsx", `x\..\..\..\escape.xlsx`, "line\nbreak.xlsx", "-rf .xlsx"}
	hidden := []string{"..%2F..%2F..%2Fescape.xlsx", `..\..\..\escape.xlsx`} // dot files: never read
	for _, name := range append(climbers, hidden...) {
		mustWrite(t, filepath.Join(inbox, "yibao", name), hostile.NotAZip(name))
	}
	mustWrite(t, filepath.Join(inbox, "没有这个单位", "x.xlsx"), hostile.NotAZip("x"))
	if err := os.Symlink(filepath.Join(outside, "secret.xlsx"), filepath.Join(inbox, "yibao", "link.xlsx")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "unit"), filepath.Join(inbox, "市医保局")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	filepath.WalkDir(inbox, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			os.Chtimes(path, old, old)
		}
		return nil
	})

	// A month already in the database, so that "unchanged" means something.
	if code, _, errOut := runCLI(t, "ingest", "--plan", shippedPlan, "--db", db, "--quiet", "--received", "2022-09-03 10:00",
		"../../fixtures/submissions/2022-08/yibao.xlsx"); code != 0 {
		t.Fatalf("ingest August: exit %d: %s", code, errOut)
	}
	admin := createToken(t, db, "admin", "")
	svc := startService(t, data, db, "2022-10-15")

	// The catch-up scan refuses every climber and the unknown unit's file,
	// under safe names inside their own folders, and follows no link.
	deadline := time.Now().Add(60 * time.Second)
	for {
		left := 0
		for _, name := range climbers {
			if exists(filepath.Join(inbox, "yibao", name)) {
				left++
			}
		}
		if exists(filepath.Join(inbox, "没有这个单位", "x.xlsx")) {
			left++
		}
		if left == 0 {
			break
		}
		if !svc.running() || time.Now().After(deadline) {
			t.Fatalf("%d inbox files still waiting:\n%s", left, svc.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := countFiles(t, filepath.Join(inbox, "yibao", "rejected"), ".xlsx"); n != len(climbers) {
		t.Errorf("%d files in yibao/rejected, want %d", n, len(climbers))
	}
	rejected, _ := os.ReadDir(filepath.Join(inbox, "yibao", "rejected"))
	for _, e := range rejected {
		if strings.ContainsAny(e.Name(), "\\/\n ") || strings.HasPrefix(e.Name(), ".") {
			t.Errorf("rejected file kept under the unsafe name %q", e.Name())
		}
	}
	for _, name := range hidden {
		if !exists(filepath.Join(inbox, "yibao", name)) {
			t.Errorf("the dot file %q was taken", name)
		}
	}
	if n := countFiles(t, filepath.Join(inbox, "没有这个单位", "rejected"), ".xlsx"); n != 1 {
		t.Errorf("%d files in the unknown unit's rejected/, want 1", n)
	}
	if !bytes.Equal(readFile(t, filepath.Join(outside, "secret.xlsx")), secret) ||
		!bytes.Equal(readFile(t, filepath.Join(outside, "unit", "secret.xlsx")), secret) {
		t.Error("a file outside the data folder was changed or moved through a link")
	}
	if _, err := os.Lstat(filepath.Join(inbox, "yibao", "link.xlsx")); err != nil {
		t.Errorf("the link in the inbox was moved: %v", err)
	}
	svc.healthy(t)

	before := dbState(t, db)
	if before.accepted != 1 || before.observations == 0 {
		t.Fatalf("before the uploads: %+v; want August's one accepted submission only", before)
	}

	build := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	refused := []struct {
		name    string
		file    string // the name it is uploaded under
		content []byte
		status  int
		code    string // the first error's code
		says    string // and what its message says
	}{
		{"not a zip", "report.xlsx", hostile.NotAZip("upload"), 422, "format-error", "不是 Excel 工作簿"},
		{"empty", "empty.xlsx", nil, 422, "format-error", "空"},
		{"zip bomb with a lying directory", "bomb.xlsx", readFile(t, "../../fixtures/bad/zip-bomb.xlsx"), 422, "compression-error", "压缩炸弹"},
		{"zip bomb of 1 GiB", "bomb.xlsx", build(hostile.ZipBomb(good, 1024)), 422, "compression-error", "压缩炸弹"},
		{"zip bomb under a small declared size", "bomb.xlsx", build(hostile.LyingZipBomb(good, hospitalPart, 64<<20)), 422, "format-error", hospitals},
		{"XML entity bomb in a sheet", "lol.xlsx", build(hostile.XMLBomb(good, hospitalPart, "B4")), 422, "format-error", hospitals},
		{"external entity in a sheet", "xxe.xlsx", build(hostile.ExternalEntity(good, hospitalPart, "B4")), 422, "format-error", hospitals},
		{"path-climbing file name", "../../../../etc/passwd.xlsx", hostile.NotAZip("passwd"), 422, "format-error", "不是 Excel 工作簿"},
		{"formula where a figure belongs", "formula.xlsx", build(hostile.SetFormula(good, hospitals, "B4", `HYPERLINK("http://evil.example/","1")`)), 422, "", "B4"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			status, body, err := svc.upload(admin, tt.file, tt.content, nil)
			if err != nil {
				t.Fatal(err)
			}
			var sub plan.Submission
			json.Unmarshal(body, &sub)
			if status != tt.status || sub.Outcome != plan.Rejected || len(sub.Errors) == 0 {
				t.Fatalf("status %d, want %d with a rejected submission: %.500s", status, tt.status, body)
			}
			first := sub.Errors[0]
			msg := first.Sheet + first.Cell + first.Message
			if tt.code != "" && first.Code != tt.code || !strings.Contains(msg, tt.says) {
				t.Errorf("first error %+v; want %s saying %q", first, tt.code, tt.says)
			}
			if strings.Contains(string(body), "root:") {
				t.Errorf("the answer holds a server file: %.300s", body)
			}
			if strings.ContainsAny(sub.FileName, `/`) || strings.Contains(sub.FileName, "..") {
				t.Errorf("file name kept as %q", sub.FileName)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %s to refuse", d)
			}
			svc.healthy(t)
			if after := dbState(t, db); after.accepted != before.accepted || after.observations != before.observations {
				t.Errorf("the database changed: %+v, was %+v", after, before)
			}
		})
	}

	// Nothing was written outside the data folder, by the inbox or the uploads.
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if !strings.HasPrefix(path, data+string(filepath.Separator)) && !strings.HasPrefix(path, outside+string(filepath.Separator)) {
			t.Errorf("a file was written outside the data folder: %s", path)
		}
		if strings.HasPrefix(path, outside) && filepath.Base(path) != "secret.xlsx" {
			t.Errorf("a file was written beside a link's target: %s", path)
		}
		return nil
	})

	// Harmless, so taken: a row 10,000 columns wide (the extra cells are not
	// the template's and are left alone), then formula-like evidence.
	t.Run("a row 10,000 columns wide", func(t *testing.T) {
		wide := build(hostile.WideRow(good, hospitals, 4, 4, 10_000))
		status, body, err := svc.upload(admin, "wide.xlsx", wide, nil)
		var sub plan.Submission
		json.Unmarshal(body, &sub)
		if err != nil || status != 201 || sub.Observations != 13 {
			t.Fatalf("status %d %v: %.500s; want accepted with the good file's 13 observations", status, err, body)
		}
		svc.healthy(t)
	})
	evidence := map[string]string{
		"yibao":   `=cmd|' /C calc'!A0`,
		"canlian": `=HYPERLINK("http://evil.example/","佐证")`,
	}
	for unit, text := range evidence {
		b := build(hostile.SetCells(readFile(t, "../../fixtures/submissions/2022-09/"+unit+".xlsx"), "工作节点",
			map[string]any{"E4": "进行中", "F4": "", "G4": text}))
		status, body, err := svc.upload(admin, unit+"-evidence.xlsx", b, nil)
		if err != nil || status != 201 {
			t.Fatalf("%s with evidence %s: %d %v %.500s", unit, text, status, err, body)
		}
	}

	t.Run("formula-like evidence reaches the briefing as text", func(t *testing.T) {
		// By 2023-01-20 both milestones are overdue, so the briefing lists them with their evidence.
		status, body, err := svc.call("GET", "/api/v1/reports/briefing.xlsx?as_of=2023-01-20", admin, nil, "")
		if err != nil || status != 200 {
			t.Fatalf("briefing: %d %v %.300s", status, err, body)
		}
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			rc, _ := zf.Open()
			x, _ := io.ReadAll(rc)
			rc.Close()
			if bytes.Contains(x, []byte("<f>")) || bytes.Contains(x, []byte("<f ")) {
				t.Errorf("%s holds a formula", zf.Name)
			}
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		found := map[string]bool{}
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			for r, row := range rows {
				for c, v := range row {
					cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
					for unit, text := range evidence {
						if !strings.Contains(v, text) {
							continue
						}
						found[unit] = true
						typ, _ := f.GetCellType(sheet, cell)
						formula, _ := f.GetCellFormula(sheet, cell)
						if formula != "" || typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
							t.Errorf("%s!%s holding %q: type %v, formula %q; want text", sheet, cell, text, typ, formula)
						}
					}
				}
			}
		}
		for unit, text := range evidence {
			if !found[unit] {
				t.Errorf("the briefing does not show %s's evidence %q", unit, text)
			}
		}
	})
	svc.healthy(t)
}

// state is what the hostile files must not change.
type state struct{ accepted, observations int }

// dbState reads the database beside the running service, read-only.
func dbState(t *testing.T, path string) state {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s state
	if err := db.QueryRow(`SELECT count(*) FROM submissions WHERE outcome = 'accepted'`).Scan(&s.accepted); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM observations`).Scan(&s.observations); err != nil {
		t.Fatal(err)
	}
	return s
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// countFiles counts the files in dir whose names end in ext.
func countFiles(t *testing.T, dir, ext string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Error(err)
		return 0
	}
	n := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ext) {
			n++
		}
	}
	return n
}
