package main

import (
	"archive/zip"
	"bufio"
	"fmt"
	"html"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
)

// sheetColumns are the columns of the village-level broadband sheet: the
// three duban reads (地区, 已覆盖数, 应覆盖总数) and the note, among the
// columns a provincial bureau's own sheet carries besides.
var sheetColumns = []string{"地区", "所属地市", "所属县(市、区)", "所属镇(街道)", "区划代码",
	"已覆盖数(户)", "应覆盖总数(户)", "光纤端口数", "4G基站数", "备注"}

// fixed is the modification time written into every zip entry, so that the
// same seed gives the same bytes.
var fixed = time.Date(2022, 7, 3, 10, 0, 0, 0, time.UTC)

// writeSheet writes the broadband indicator's submission as its reporter
// fills a template: the marker cell, 填报单位 and 报送期, the header on row 3
// and one row per region from row 4, in the template's order. Text goes to
// the shared-string table and numbers inline, as Excel saves them.
func writeSheet(planDir, out, period string, seed uint64) (int, error) {
	p, err := plan.Load(planDir)
	if err != nil {
		return 0, fmt.Errorf("load plan: %w", err)
	}
	ind, ok := p.Indicator(broadbandID)
	if !ok {
		return 0, fmt.Errorf("plan %s has no indicator %s", planDir, broadbandID)
	}
	per, err := plan.ParsePeriod(period)
	if err != nil {
		return 0, err
	}
	f, err := os.Create(out)
	if err != nil {
		return 0, fmt.Errorf("write sheet: %w", err)
	}
	defer f.Close()
	sst := &stringTable{index: map[string]int{}}
	zw := zip.NewWriter(f)
	part := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: fixed})
	}
	sheetName := "99.1-20户以上自然村光纤网络通达率"
	for _, e := range []struct{ name, body string }{
		{"[Content_Types].xml", contentTypes},
		{"_rels/.rels", rootRels},
		{"xl/workbook.xml", fmt.Sprintf(workbookXML, html.EscapeString(sheetName))},
		{"xl/_rels/workbook.xml.rels", workbookRels},
		{"xl/styles.xml", stylesXML},
	} {
		w, err := part(e.name)
		if err != nil {
			return 0, err
		}
		if _, err := io.WriteString(w, e.body); err != nil {
			return 0, err
		}
	}
	w, err := part("xl/worksheets/sheet1.xml")
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	rows := writeData(bw, p, ind, per, sst, seed)
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if w, err = part("xl/worksheets/sheet2.xml"); err != nil {
		return 0, err
	}
	bw = bufio.NewWriterSize(w, 1<<16)
	writeMeta(bw, p, per, sheetName, sst)
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if w, err = part("xl/sharedStrings.xml"); err != nil {
		return 0, err
	}
	bw = bufio.NewWriterSize(w, 1<<16)
	sst.write(bw)
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("write sheet: %w", err)
	}
	return rows, f.Close()
}

// stringTable is a workbook's shared strings, in first-use order.
type stringTable struct {
	index map[string]int
	list  []string
	uses  int
}

func (t *stringTable) id(s string) int {
	t.uses++
	if i, ok := t.index[s]; ok {
		return i
	}
	t.index[s] = len(t.list)
	t.list = append(t.list, s)
	return len(t.list) - 1
}

func (t *stringTable) write(w *bufio.Writer) {
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, t.uses, len(t.list))
	for _, s := range t.list {
		w.WriteString("<si><t>")
		w.WriteString(html.EscapeString(s))
		w.WriteString("</t></si>")
	}
	w.WriteString("</sst>")
}

// cells writes one row's cells; a string is shared text, an int a number, nil a gap.
func cells(w *bufio.Writer, sst *stringTable, row int, vals ...any) {
	fmt.Fprintf(w, `<row r="%d" spans="1:%d">`, row, len(sheetColumns))
	for i, v := range vals {
		ref := string(rune('A'+i)) + strconv.Itoa(row)
		switch v := v.(type) {
		case string:
			fmt.Fprintf(w, `<c r="%s" s="1" t="s"><v>%d</v></c>`, ref, sst.id(v))
		case int:
			fmt.Fprintf(w, `<c r="%s" s="2"><v>%d</v></c>`, ref, v)
		}
	}
	w.WriteString("</row>")
}

func writeData(w *bufio.Writer, p *plan.Plan, ind *plan.Indicator, per plan.Period, sst *stringTable, seed uint64) int {
	w.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>` +
		`<sheetData>`)
	fmt.Fprintf(w, `<row r="1"><c r="A1" s="1" t="s"><v>%d</v></c><c r="Z1" t="s"><v>%d</v></c></row>`,
		sst.id(ind.Task+" "+ind.Name+"(户)"), sst.id("duban:"+ind.ID))
	cells(w, sst, 2, "填报单位", broadbandName, "报送期", per.String())
	header := make([]any, len(sheetColumns))
	for i, h := range sheetColumns {
		header[i] = h
	}
	cells(w, sst, 3, header...)
	r := rng(seed, 2)
	n := 0
	for i, id := range ind.RowUnits {
		u, _ := p.Unit(id)
		town, county, city := ancestors(p, u)
		households := 20 + r.IntN(380)
		covered := households - r.IntN(households/5+1)
		var note any
		if r.IntN(20) == 0 {
			note = "已复核"
		}
		cells(w, sst, 4+i, u.Name, city, county, town, fmt.Sprintf("44%010d", i+1), covered, households, covered/8+r.IntN(4), r.IntN(3), note)
		n++
	}
	w.WriteString(`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	return n
}

// ancestors names a region's town, county and city, "" where it has none.
func ancestors(p *plan.Plan, u *plan.Unit) (town, county, city string) {
	var chain []string
	for a := u; a.Parent != ""; {
		a, _ = p.Unit(a.Parent)
		chain = append(chain, a.Name)
	}
	// chain runs upwards: the city is last.
	for len(chain) < 3 {
		chain = append([]string{""}, chain...)
	}
	return chain[0], chain[1], chain[2]
}

func writeMeta(w *bufio.Writer, p *plan.Plan, per plan.Period, sheetName string, sst *stringTable) {
	w.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	meta := [][]any{
		{"plan", p.ID},
		{"template_id", ingest.TemplateID(p.ID, broadbandDept)},
		{"template_version", ingest.TemplateVersion},
		{"unit", broadbandDept},
		{"period", per.String()},
		{"sheet", sheetName, broadbandID, 1},
	}
	for i, row := range meta {
		fmt.Fprintf(w, `<row r="%d">`, i+1)
		for j, v := range row {
			ref := string(rune('A'+j)) + strconv.Itoa(i+1)
			switch v := v.(type) {
			case string:
				fmt.Fprintf(w, `<c r="%s" t="s"><v>%d</v></c>`, ref, sst.id(v))
			case int:
				fmt.Fprintf(w, `<c r="%s"><v>%d</v></c>`, ref, v)
			}
		}
		w.WriteString("</row>")
	}
	w.WriteString(`</sheetData></worksheet>`)
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`

const rootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`

const workbookXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><bookViews><workbookView/></bookViews><sheets><sheet name="%s" sheetId="1" r:id="rId1"/><sheet name="_meta" sheetId="2" state="veryHidden" r:id="rId2"/></sheets></workbook>`

const workbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`

const stylesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`
