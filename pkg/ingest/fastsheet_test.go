package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/duban-gov/duban/pkg/plan"
)

// bothRows reads every sheet of a workbook with excelize's row iterator and
// with the fast reader. fast is nil when the fast reader gave up on the file.
func bothRows(tb testing.TB, path string) (slow, fast map[string][]sheetRow) {
	tb.Helper()
	arc, err := scan(path, 1<<30)
	if err != nil {
		tb.Fatalf("scan %s: %v", path, err)
	}
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true, UnzipSizeLimit: maxUnpacked, UnzipXMLSizeLimit: xmlInMemoryLimit})
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	slow = map[string][]sheetRow{}
	for _, e := range arc.Sheets {
		rows, err := openRows(f, zr, e)
		if err != nil {
			continue
		}
		slow[e.Name] = drainRows(tb, rows)
	}
	book, err := openFastBook(zr)
	if err != nil {
		return slow, nil
	}
	fast = map[string][]sheetRow{}
	for _, e := range arc.Sheets {
		rows, err := book.rows(e.Part)
		if err != nil {
			return slow, nil
		}
		got, err := collect(rows)
		if errors.Is(err, errFallback) {
			return slow, nil
		}
		if err != nil {
			tb.Fatalf("fast rows of %s: %v", e.Name, err)
		}
		fast[e.Name] = got
	}
	return slow, fast
}

func drainRows(tb testing.TB, rows rowSource) []sheetRow {
	tb.Helper()
	out, err := collect(rows)
	if err != nil {
		out = append(out, sheetRow{Num: -1, Cells: []cellValue{{Raw: err.Error()}}})
	}
	return out
}

func collect(rows rowSource) ([]sheetRow, error) {
	defer rows.Close()
	var out []sheetRow
	for {
		row, ok, err := rows.Next()
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, row)
	}
}

// sameRows reports the first difference between two readings of a workbook.
func sameRows(slow, fast map[string][]sheetRow) error {
	if len(slow) != len(fast) {
		return fmt.Errorf("%d sheets read by excelize, %d by the fast reader", len(slow), len(fast))
	}
	for name, want := range slow {
		got := fast[name]
		for i := range max(len(want), len(got)) {
			if i >= len(want) || i >= len(got) {
				return fmt.Errorf("sheet %s: %d rows by excelize, %d by the fast reader", name, len(want), len(got))
			}
			if !reflect.DeepEqual(want[i], got[i]) {
				return fmt.Errorf("sheet %s row %d:\n excelize %+v\n fast     %+v", name, i+1, want[i], got[i])
			}
		}
	}
	return nil
}

// workbooks lists the shipped fixtures, good and bad, and workbooks made
// here in the shapes excelize writes: shared strings, inline strings from
// its stream writer, formulas with and without a cached value, hidden rows,
// gaps between rows, a sheet large enough to be streamed.
func workbooks(tb testing.TB) []string {
	tb.Helper()
	// Two months stand for all nine: every template shape is in each.
	paths, _ := filepath.Glob("../../fixtures/submissions/2022-0[19]/*.xlsx")
	bad, _ := filepath.Glob("../../fixtures/bad/*.xlsx")
	paths = append(paths, bad...)
	if len(paths) < 50 {
		tb.Fatalf("found %d fixtures, want the shipped ones", len(paths))
	}
	dir := tb.TempDir()

	f := excelize.NewFile()
	set(tb, f, "Sheet1", "A1", "报送期")
	set(tb, f, "Sheet1", "B1", "2022-09")
	set(tb, f, "Sheet1", "A3", "地区 & <名称>")
	set(tb, f, "Sheet1", "C3", 12.5)
	set(tb, f, "Sheet1", "D3", true)
	set(tb, f, "Sheet1", "F9", "  有空格  ")
	f.SetCellFormula("Sheet1", "E3", "C3*2")
	f.SetCellFormula("Sheet1", "E4", `"文"&"本"`)
	f.SetCellRichText("Sheet1", "B5", []excelize.RichTextRun{{Text: "粗体"}, {Text: "普通", Font: &excelize.Font{Bold: true}}})
	f.SetRowVisible("Sheet1", 9, false)
	f.SetCellValue("Sheet1", "AA20", 7)
	paths = append(paths, saveIn(tb, f, dir, "shapes.xlsx"))

	f = excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 22_000 { // past xmlInMemoryLimit: excelize streams it
		cell, _ := excelize.CoordinatesToCellName(1, 2*i+1)
		row := []any{fmt.Sprintf("GX-%06d 自然村光纤网络通达情况说明第%d条", i, i), i, float64(i) / 7, "", excelize.Cell{Formula: "A1&B1"}}
		if i%3 == 0 {
			row = append(row, excelize.Cell{Formula: "1+1", Value: 2})
		}
		if err := sw.SetRow(cell, row, excelize.RowOpts{Hidden: i%11 == 0}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	streamed := saveIn(tb, f, dir, "streamed.xlsx")
	zr, err := zip.OpenReader(streamed)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet1.xml" && zf.UncompressedSize64 <= xmlInMemoryLimit {
			tb.Fatalf("streamed.xlsx's sheet is %d bytes: too small for excelize to stream it", zf.UncompressedSize64)
		}
	}
	return append(paths, streamed)
}

func saveIn(tb testing.TB, f *excelize.File, dir, name string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return path
}

// TestFastReaderMatchesExcelize reads every workbook both ways: every sheet's
// rows, which must be the same, and the whole Result through Read, which must
// be the same to the byte. The fast reader may give up on a file, never on the
// fixtures a template produces.
func TestFastReaderMatchesExcelize(t *testing.T) {
	paths := workbooks(t)
	t.Run("rows", func(t *testing.T) {
		fellBack := 0
		for _, path := range paths {
			t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
				if _, err := scan(path, 1<<30); err != nil {
					t.Skip("not a workbook scan accepts: Read never gets to the rows")
				}
				if _, err := excelize.OpenFile(path); err != nil {
					t.Skip("excelize cannot open it: Read reports that before any row")
				}
				slow, fast := bothRows(t, path)
				if fast == nil {
					fellBack++
					if strings.Contains(path, "submissions") {
						t.Errorf("the fast reader gave up on a template's submission")
					}
					return
				}
				if err := sameRows(slow, fast); err != nil {
					t.Error(err)
				}
			})
		}
		t.Logf("%d workbooks read by excelize only", fellBack)
	})
	t.Run("read", func(t *testing.T) {
		p := shippedPlan(t)
		prior := func(_ context.Context, _, unit string, _ plan.Period) (float64, plan.Period, bool, error) {
			return float64(len(unit)) * 1000, plan.Period{Year: 2022, Month: 8}, true, nil
		}
		for _, path := range paths {
			t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
				opt := Options{Now: received, Unit: unitFor(path)}
				want, err := readWith(context.Background(), p, path, opt, prior, false)
				if err != nil {
					t.Fatal(err)
				}
				got, err := readWith(context.Background(), p, path, opt, prior, true)
				if err != nil {
					t.Fatal(err)
				}
				wj, _ := json.Marshal(want)
				gj, _ := json.Marshal(got)
				if !bytes.Equal(wj, gj) {
					t.Errorf("excelize %s\nfast     %s", clip(wj), clip(gj))
				}
			})
		}
	})
}

// unitFor names a sender for the made workbooks, which name none; the
// fixtures name their own.
func unitFor(path string) string {
	if strings.Contains(path, "fixtures") {
		return ""
	}
	return "市政数局"
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// sheetSeeds are sheet XML in the shapes that matter, for FuzzFastRows and its mutations.
var sheetSeeds = []string{
	`<worksheet xmlns="` + mainNS + `"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1"><v>3.5</v></c></row><row r="4" hidden="1"><c t="inlineStr"><is><t>x&amp;y</t></is></c></row></sheetData></worksheet>`,
	`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="` + mainNS + `"><dimension ref="A1"/><sheetData><row><c><f>1+1</f></c><c t="str"><f>A1</f><v></v></c><c r="E1" t="b"><v>1</v></c></row><row/><row r="9"><c r="B9" t="s"><v>1</v></c></row></sheetData><mergeCells count="0"/></worksheet>`,
	`<worksheet xmlns="` + mainNS + `"><sheetData><row r="2" hidden="true"><c r="A2" s="3" t="e"><v>#N/A</v></c><c r="B2" t="s"/><c r="C2"><f t="shared" si="0" ref="C2:C3">B2</f></c></row></sheetData></worksheet>`,
	`<worksheet xmlns="` + mainNS + `"><sheetData><row r="1"><c r="A1"><v> 12 </v></c><c r="B1" t="inlineStr"><is><r><t>a</t></r><r><rPr><b/></rPr><t>b</t></r></is></c></row></sheetData></worksheet>`,
}

// FuzzFastRows puts arbitrary sheet XML in a workbook and wants the fast
// reader to give the rows excelize gives, or to give up.
func FuzzFastRows(f *testing.F) {
	for _, seed := range sheetSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, sheet []byte) {
		if _, err := compareSheet(t, sheet); err != nil {
			t.Fatal(err)
		}
	})
}

// compareSheet reads a one-sheet workbook of the given XML both ways;
// compared is false when excelize cannot open it or the fast reader gave up.
func compareSheet(tb testing.TB, sheet []byte) (compared bool, err error) {
	path := filepath.Join(tb.TempDir(), "fuzz.xlsx")
	if err := writeOneSheet(path, sheet); err != nil {
		tb.Fatal(err)
	}
	if _, err := excelize.OpenFile(path); err != nil {
		return false, nil
	}
	slow, fast := bothRows(tb, path)
	if fast == nil {
		return false, nil
	}
	return true, sameRows(slow, fast)
}

// TestFastRowsMutations is a fuzz run small enough for every go test: the
// seeds with a few bytes changed — the characters XML turns on inserted,
// deleted or swapped in — read both ways, the same every run.
func TestFastRowsMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	alphabet := []byte(`<>/="' &;#x1rcvfist` + "\r\n")
	n, fast := 300, 0
	if testing.Short() {
		n = 100
	}
	for i := range n {
		b := []byte(sheetSeeds[i%len(sheetSeeds)])
		for range 1 + r.IntN(3) {
			at := r.IntN(len(b))
			switch r.IntN(3) {
			case 0:
				b = append(b[:at], b[at+1:]...)
			case 1:
				b = append(b[:at], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[at:]...)...)
			case 2:
				b[at] = alphabet[r.IntN(len(alphabet))]
			}
		}
		compared, err := compareSheet(t, b)
		if err != nil {
			t.Fatalf("mutation %d %q: %v", i, b, err)
		}
		if compared {
			fast++
		}
	}
	if fast < n/10 {
		t.Errorf("the fast reader read %d of %d mutations: too few to compare anything", fast, n)
	}
	t.Logf("%d of %d mutations read by both", fast, n)
}

// writeOneSheet writes a workbook whose one sheet is the given XML, with two shared strings.
func writeOneSheet(path string, sheet []byte) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	w := zip.NewWriter(out)
	parts := []struct {
		name string
		body []byte
	}{
		{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)},
		{"_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="` + mainNS + `" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", []byte(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)},
		{"xl/sharedStrings.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="` + mainNS + `" count="2" uniqueCount="2"><si><t>地区</t></si><si><r><t>合</t></r><r><t>并</t></r></si></sst>`)},
		{"xl/worksheets/sheet1.xml", sheet},
	}
	for _, p := range parts {
		fw, err := w.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := fw.Write(p.body); err != nil {
			return err
		}
	}
	return w.Close()
}
