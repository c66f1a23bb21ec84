package ingest

import (
	"archive/zip"
	"bytes"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The fast reader. Profiles of a 100,000-row submission showed excelize's
// row iterator and the fact scanner beside it, each decoding the sheet's XML
// with encoding/xml, taking most of the time, and excelize.OpenFile
// inflating the sheet into a temporary file before either began. The fast
// reader reads the same XML once, with a tokenizer of its own, and gives the
// rows exactly as rowReader does: the same raw values, the same facts, the
// same numbering of rows. It handles the XML spreadsheets are made of —
// shared and inline strings, numbers, booleans, formulas with or without a
// cached value, rows and cells with or without r attributes, gaps between
// rows — and nothing else: at anything outside that (a comment, a namespace
// prefix on a cell, a carriage return in a value, a date-typed cell, an
// escape like _x000D_, malformed XML) it gives up with errFallback, and Read
// starts over with excelize. The differential tests and FuzzFastRows hold
// the two readers to the same rows.

// fastBook is what the fast reader needs of a workbook: its zip entries by
// exact name and its shared strings.
type fastBook struct {
	entries  map[string]*zip.File
	sst      []string
	hasSST   bool
	streamed map[string]bool // worksheets excelize would stream: they must be read to the end once, for their checksum
	verified map[string]bool
}

// openFastBook indexes the archive and reads the shared strings; errFallback
// if the archive is not one the fast reader handles.
func openFastBook(zr *zip.ReadCloser) (*fastBook, error) {
	b := &fastBook{entries: map[string]*zip.File{}, streamed: map[string]bool{}, verified: map[string]bool{}}
	folded := map[string]bool{}
	var sst *zip.File
	for _, zf := range zr.File {
		key := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
		if folded[key] {
			return nil, errFallback // two entries excelize would take for one
		}
		folded[key] = true
		b.entries[zf.Name] = zf
		if key == "xl/sharedstrings.xml" {
			sst = zf
		}
		if strings.HasPrefix(key, "xl/worksheets/sheet") && zf.UncompressedSize64 > xmlInMemoryLimit {
			b.streamed[zf.Name] = true
		}
	}
	if sst != nil {
		b.hasSST = true
		rc, err := sst.Open()
		if err != nil {
			return nil, errFallback
		}
		defer rc.Close()
		if b.sst, err = readSharedStrings(rc); err != nil {
			return nil, errFallback
		}
	}
	return b, nil
}

const mainNS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

// readSharedStrings reads xl/sharedStrings.xml to its end, so that its
// checksum is verified, and returns each item as excelize's xlsxSI.String does.
func readSharedStrings(r io.Reader) ([]string, error) {
	s := newXMLScanner(r)
	t, err := s.next()
	for err == nil && t.kind == tokText {
		t, err = s.next()
	}
	if err != nil {
		return nil, err
	}
	if t.kind != tokStart || string(t.name) != "sst" {
		return nil, errFallback
	}
	ns := ""
	err = eachAttr(t.attrs, func(name, value []byte) error {
		switch string(name) {
		case "xmlns":
			ns = string(value)
		case "count", "uniqueCount":
			if _, err := strconv.Atoi(string(value)); err != nil {
				return errFallback
			}
		}
		return nil
	})
	if err != nil || ns != mainNS {
		return nil, errFallback
	}
	var out []string
	if t.empty {
		return out, drain(s)
	}
	var buf []byte
	for {
		t, err := s.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokText:
			if err := checkText(t.text); err != nil {
				return nil, err
			}
		case tokStart:
			if string(t.name) != "si" {
				if isSheetElement(local(t.name)) {
					return nil, errFallback
				}
				if err := s.skip(t); err != nil {
					return nil, err
				}
				continue
			}
			var str string
			if str, buf, err = s.stringItem(t, buf[:0]); err != nil {
				return nil, err
			}
			out = append(out, str)
		case tokEnd:
			return out, drain(s)
		}
	}
}

// drain reads what follows the root element to the end.
func drain(s *xmlScanner) error {
	for {
		t, err := s.next()
		if err != nil {
			return err
		}
		if t.kind == tokEOF {
			return nil
		}
	}
}

// stringItem reads an <si> or <is>: its own <t>, then the <t> of each run,
// as excelize joins them. Phonetic runs are not handled.
func (s *xmlScanner) stringItem(start xmlToken, buf []byte) (string, []byte, error) {
	if start.empty {
		return "", buf, nil
	}
	var own []byte
	hasOwn := false
	var runs []byte
	for {
		t, err := s.next()
		if err != nil {
			return "", buf, err
		}
		switch t.kind {
		case tokText:
			if err := checkText(t.text); err != nil {
				return "", buf, err
			}
		case tokStart:
			switch string(t.name) {
			case "t":
				if hasOwn {
					return "", buf, errFallback
				}
				hasOwn = true
				if own, err = s.textOf(t, nil); err != nil {
					return "", buf, err
				}
			case "r":
				if runs, err = s.run(t, runs); err != nil {
					return "", buf, err
				}
			case "phoneticPr":
				if err := s.skip(t); err != nil {
					return "", buf, err
				}
			default:
				return "", buf, errFallback
			}
		case tokEnd:
			buf = append(append(buf, own...), runs...)
			if bytes.Contains(buf, []byte("_x")) {
				return "", buf, errFallback // excelize would unescape _xHHHH_
			}
			return string(buf), buf, nil
		}
	}
}

// run reads a rich-text run <r>: its properties are skipped, its one <t> kept.
func (s *xmlScanner) run(start xmlToken, dst []byte) ([]byte, error) {
	if start.empty {
		return dst, nil
	}
	seen := false
	for {
		t, err := s.next()
		if err != nil {
			return dst, err
		}
		switch t.kind {
		case tokText:
			if err := checkText(t.text); err != nil {
				return dst, err
			}
		case tokStart:
			switch string(t.name) {
			case "t":
				if seen {
					return dst, errFallback
				}
				seen = true
				if dst, err = s.textOf(t, dst); err != nil {
					return dst, err
				}
			case "rPr":
				if err := s.skip(t); err != nil {
					return dst, err
				}
			default:
				return dst, errFallback
			}
		case tokEnd:
			return dst, nil
		}
	}
}

// fastRows reads one worksheet's rows as rowReader does.
type fastRows struct {
	book    *fastBook
	name    string
	rc      io.ReadCloser
	s       *xmlScanner
	num     int  // the number of the last row returned
	next    int  // the number of the <row> read ahead, 0 if none
	ahead   bool // a <row> start tag has been read and not yet its cells
	tok     xmlToken
	hidden  bool // of the row read ahead
	inData  bool
	started bool // a row with cells has been returned
	done    bool
	scratch []byte
}

func (b *fastBook) rows(part string) (*fastRows, error) {
	zf, ok := b.entries[part]
	if !ok {
		return nil, errFallback
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, errFallback
	}
	return &fastRows{book: b, name: part, rc: rc, s: newXMLScanner(rc)}, nil
}

// Close releases the sheet; a streamed sheet read to its end is marked verified.
func (f *fastRows) Close() error {
	return f.rc.Close()
}

// Next returns the next row, or false at the end of the sheet.
func (f *fastRows) Next() (sheetRow, bool, error) {
	if !f.inData {
		if err := f.toSheetData(); err != nil {
			return sheetRow{}, false, err
		}
	}
	if !f.ahead && !f.done {
		if err := f.readAhead(); err != nil {
			return sheetRow{}, false, err
		}
	}
	if f.done && !f.ahead {
		return sheetRow{}, false, nil
	}
	f.num++
	hidden := f.hidden
	if !f.started && f.num > 1 {
		// Rows missing before the first row, but the very first, and that
		// row itself, get from excelize's iterator the options it has not
		// yet read: none.
		hidden = false
	}
	if f.num < f.next {
		// A gap: excelize gives an empty row, with the next row's options.
		return sheetRow{Num: f.num, Hidden: hidden, Cells: []cellValue{}}, true, nil
	}
	f.ahead = false
	f.started = true
	row := sheetRow{Num: f.num, Hidden: hidden}
	cells, err := f.cells()
	if err != nil {
		return sheetRow{}, false, err
	}
	row.Cells = cells
	return row, true, nil
}

// toSheetData skips to the start of <sheetData>.
func (f *fastRows) toSheetData() error {
	t, err := f.s.next()
	for err == nil && t.kind == tokText {
		t, err = f.s.next()
	}
	if err != nil {
		return err
	}
	if t.kind != tokStart || string(t.name) != "worksheet" || t.empty {
		return errFallback
	}
	for {
		t, err := f.s.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokText:
			if err := checkText(t.text); err != nil {
				return err
			}
		case tokStart:
			if isSheetElement(local(t.name)) && string(t.name) != "sheetData" {
				return errFallback
			}
			if string(t.name) == "sheetData" {
				f.inData = true
				if t.empty {
					f.done = true
					return f.finish()
				}
				return nil
			}
			if err := f.s.skip(t); err != nil {
				return err
			}
		default:
			return errFallback // a worksheet without sheetData
		}
	}
}

// readAhead reads up to the next <row> start tag, or the end of sheetData.
func (f *fastRows) readAhead() error {
	for {
		t, err := f.s.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokText:
			if err := checkText(t.text); err != nil {
				return err
			}
		case tokEnd:
			// </sheetData>: what follows is read for the checksum only.
			f.done = true
			return f.finish()
		case tokStart:
			if string(t.name) != "row" {
				return errFallback
			}
			r, hidden := 0, false
			hiddenBad := false
			err := eachAttr(t.attrs, func(name, value []byte) error {
				switch string(local(name)) {
				case "r":
					n, err := strconv.Atoi(string(value))
					if err != nil || n < 1 || n > excelize.TotalRows {
						return errFallback
					}
					r = n
				case "hidden":
					if hiddenBad {
						return nil
					}
					v, err := strconv.ParseBool(string(value))
					if err != nil {
						hidden, hiddenBad = false, true
						return nil
					}
					hidden = v
				}
				return nil
			})
			if err != nil {
				return err
			}
			if r == 0 {
				r = max(f.next, f.num) + 1
			}
			if r <= f.num || r <= f.next || r > excelize.TotalRows {
				return errFallback // rows out of order
			}
			f.next, f.hidden, f.ahead, f.tok = r, hidden, true, t
			return nil
		}
	}
}

// finish reads the rest of the sheet to its end, verifying its checksum.
func (f *fastRows) finish() error {
	if _, err := io.Copy(io.Discard, f.remaining()); err != nil {
		return errFallback
	}
	f.book.verified[f.name] = true
	return nil
}

// remaining is the unread part of the sheet: the scanner's buffer, then the entry.
func (f *fastRows) remaining() io.Reader {
	return io.MultiReader(bytes.NewReader(f.s.buf[f.s.pos:]), f.rc)
}

// cells reads the cells of the row whose start tag was read ahead.
func (f *fastRows) cells() ([]cellValue, error) {
	if f.tok.empty {
		return []cellValue{}, nil
	}
	var cells []cellValue
	col := 0
	for {
		t, err := f.s.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokText:
			if err := checkText(t.text); err != nil {
				return nil, err
			}
		case tokEnd:
			if cells == nil {
				cells = []cellValue{}
			}
			return cells, nil
		case tokStart:
			if string(t.name) != "c" {
				return nil, errFallback
			}
			c, at, err := f.cell(t, col)
			if err != nil {
				return nil, err
			}
			col = at
			if c.keep {
				for len(cells) < col-1 {
					cells = append(cells, cellValue{})
				}
				cells = append(cells, c.value)
			} else if c.value.Text || c.value.Formula {
				for len(cells) < col {
					cells = append(cells, cellValue{})
				}
				cells[col-1].Text, cells[col-1].Formula = c.value.Text, c.value.Formula
			}
		}
	}
}

// cellType interns the cell types that matter, so that none allocates.
func cellType(b []byte) string {
	for _, t := range []string{"s", "str", "inlineStr", "n", "b", "e", "d"} {
		if string(b) == t {
			return t
		}
	}
	return string(b)
}

// formulaAttr checks the attributes excelize decodes into numbers and
// booleans: one it cannot decode leaves its reader mid-cell.
func formulaAttr(name, value []byte) error {
	switch string(local(name)) {
	case "si":
		if _, err := strconv.Atoi(string(value)); err != nil {
			return errFallback
		}
	case "aca", "dt2D", "dtr", "del1", "del2", "ca", "bx":
		if _, err := strconv.ParseBool(string(value)); err != nil {
			return errFallback
		}
	}
	return nil
}

// fastCell is one cell: its value and facts, and whether excelize lists it
// (it lists a cell with a value or a formula).
type fastCell struct {
	value cellValue
	keep  bool
}

// cell reads one <c>; prev is the column of the cell before it.
func (f *fastRows) cell(start xmlToken, prev int) (fastCell, int, error) {
	col := prev + 1
	var typ string // copied: the attribute's bytes do not outlive the next token
	err := eachAttr(start.attrs, func(name, value []byte) error {
		switch string(local(name)) {
		case "r":
			c, _, err := excelize.CellNameToCoordinates(string(value))
			if err != nil {
				return errFallback
			}
			col = c
		case "s":
			if _, err := strconv.Atoi(string(value)); err != nil {
				return errFallback
			}
		case "t":
			typ = cellType(value)
		}
		return nil
	})
	if err != nil {
		return fastCell{}, 0, err
	}
	if col <= prev {
		return fastCell{}, 0, errFallback // cells out of order
	}
	var (
		v, inline         []byte
		hasV, hasF, hasIS bool
	)
	if !start.empty {
	children:
		for {
			t, err := f.s.next()
			if err != nil {
				return fastCell{}, 0, err
			}
			switch t.kind {
			case tokText:
				if !isSpace(t.text) {
					return fastCell{}, 0, errFallback
				}
			case tokEnd:
				break children
			case tokStart:
				switch string(t.name) {
				case "v":
					if hasV {
						return fastCell{}, 0, errFallback
					}
					hasV = true
					if v, err = f.s.textOf(t, f.scratch[:0]); err != nil {
						return fastCell{}, 0, err
					}
					f.scratch = v
				case "f":
					hasF = true
					if err := eachAttr(t.attrs, formulaAttr); err != nil {
						return fastCell{}, 0, err
					}
					if _, err := f.s.textOf(t, nil); err != nil {
						return fastCell{}, 0, err
					}
				case "is":
					if hasIS {
						return fastCell{}, 0, errFallback
					}
					hasIS = true
					var str string
					if str, inline, err = f.s.stringItem(t, inline); err != nil {
						return fastCell{}, 0, err
					}
					inline = append(inline[:0], str...)
				default:
					return fastCell{}, 0, errFallback
				}
			}
		}
	}
	// The value, as excelize's getValueFrom gives it with RawCellValue.
	var val string
	switch typ {
	case "d":
		return fastCell{}, 0, errFallback
	case "s":
		if len(v) > 0 {
			i, err := strconv.Atoi(string(v))
			if err != nil || i < 0 || i >= len(f.book.sst) {
				return fastCell{}, 0, errFallback
			}
			val = f.book.sst[i]
		}
	case "inlineStr":
		if hasIS {
			val = string(inline)
		} else {
			val = string(v)
		}
	default:
		val = string(v)
	}
	// The facts, as factScanner gives them.
	text := typ == "s" || typ == "str" || typ == "inlineStr"
	cached := hasIS || (hasV && (len(v) > 0 || typ == "str"))
	c := fastCell{
		value: cellValue{Raw: val, Text: text, Formula: hasF, NoCache: hasF && !cached},
		keep:  val != "" || hasF,
	}
	return c, col, nil
}

// The parts that stand in, for excelize, for those the fast reader reads itself.
const (
	stubSheet   = `<worksheet xmlns="` + mainNS + `"><sheetData/></worksheet>`
	stubStrings = `<sst xmlns="` + mainNS + `" count="0" uniqueCount="0"></sst>`
)

// stub copies the archive as it is (compressed entries are copied, not
// inflated) but for the shared strings and the worksheets excelize would
// stream, which become empty stand-ins: excelize opens it as it would the
// file, without inflating the large parts the fast reader reads.
func (b *fastBook) stub(zr *zip.ReadCloser) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		key := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
		body := ""
		switch {
		case b.streamed[zf.Name]:
			body = stubSheet
		case key == "xl/sharedstrings.xml":
			body = stubStrings
		default:
			if err := w.Copy(zf); err != nil {
				return nil, err
			}
			continue
		}
		fw, err := w.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Store})
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(fw, body); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// verify reads every streamed worksheet not yet read to its end, for the
// checksum excelize would have checked when it inflated it.
func (b *fastBook) verify() error {
	for name := range b.streamed {
		if b.verified[name] {
			continue
		}
		rc, err := b.entries[name].Open()
		if err != nil {
			return errFallback
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return errFallback
		}
		b.verified[name] = true
	}
	return nil
}
