package ingest

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// maxBlankRun is how many blank rows in a row end a sheet's data. Sheets
// formatted down to row 1,048,576 would otherwise be walked to the end.
const maxBlankRun = 200

// cellValue is one cell as read: its raw value (never the formatted one,
// which loses digits: 0.655 in a 0% cell shows as 66%) and what the XML said
// about it.
type cellValue struct {
	Raw     string
	Text    bool // stored as a string, not a number
	Formula bool
	NoCache bool // a formula with no cached value: Excel never calculated it
}

// sheetRow is one row of a sheet; Cells[i] is column i+1.
type sheetRow struct {
	Num    int
	Hidden bool
	Cells  []cellValue
}

func (r sheetRow) cell(i int) cellValue {
	if i < 0 || i >= len(r.Cells) {
		return cellValue{}
	}
	return r.Cells[i]
}

func (r sheetRow) blank() bool {
	for _, c := range r.Cells {
		if strings.TrimSpace(c.Raw) != "" || c.NoCache {
			return false
		}
	}
	return true
}

// rowReader streams a worksheet row by row. Values come from excelize's row
// iterator (which resolves shared strings and keeps large sheets in a
// temporary file); alongside it a second stream over the same XML tells
// what the iterator hides: whether a cell is text, holds a formula, and
// whether that formula has a cached value.
type rowReader struct {
	rows  *excelize.Rows
	facts *factScanner
	num   int
}

func openRows(f *excelize.File, zr *zip.ReadCloser, sheet sheetEntry) (*rowReader, error) {
	rows, err := f.Rows(sheet.Name)
	if err != nil {
		return nil, err
	}
	r := &rowReader{rows: rows}
	for _, zf := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(zf.Name, "\\", "/"), sheet.Part) {
			rc, err := zf.Open()
			if err != nil {
				rows.Close()
				return nil, err
			}
			r.facts = &factScanner{rc: rc, dec: xml.NewDecoder(rc)}
			break
		}
	}
	return r, nil
}

// Next returns the next row, or false at the end of the sheet.
func (r *rowReader) Next() (sheetRow, bool, error) {
	if !r.rows.Next() {
		return sheetRow{}, false, r.rows.Error()
	}
	r.num++
	vals, err := r.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return sheetRow{}, false, err
	}
	row := sheetRow{Num: r.num, Hidden: r.rows.GetRowOpts().Hidden, Cells: make([]cellValue, len(vals))}
	for i, v := range vals {
		row.Cells[i].Raw = v
	}
	if r.facts != nil {
		facts, err := r.facts.row(r.num)
		if err != nil {
			return sheetRow{}, false, err
		}
		for _, ft := range facts {
			col := ft.col
			for len(row.Cells) < col {
				row.Cells = append(row.Cells, cellValue{})
			}
			c := &row.Cells[col-1]
			c.Text, c.Formula, c.NoCache = ft.text, ft.formula, ft.formula && !ft.cached
		}
	}
	return row, true, nil
}

// Close releases the sheet's streams.
func (r *rowReader) Close() error {
	if r.facts != nil {
		r.facts.rc.Close()
	}
	return r.rows.Close()
}

type fact struct {
	col                        int
	text, str, formula, cached bool
}

// factScanner walks a worksheet's XML for cell types and formulas, one row at
// a time, holding only the current row.
type factScanner struct {
	rc      io.ReadCloser
	dec     *xml.Decoder
	pending int // a <row> already read whose number is ahead of the caller
	last    int // the number of the last <row> read
	done    bool
	buf     []fact // reused for every row
}

// row returns the facts of the notable cells of row n, skipping rows before
// it. The slice is reused by the next call.
func (s *factScanner) row(n int) ([]fact, error) {
	for !s.done {
		if s.pending == 0 {
			r, err := s.nextRowStart()
			if err != nil {
				return nil, err
			}
			if r == 0 {
				s.done = true
				break
			}
			s.pending = r
		}
		if s.pending > n {
			return nil, nil
		}
		cur := s.pending
		s.pending = 0
		facts, err := s.readRow()
		if err != nil {
			return nil, err
		}
		if cur == n {
			return facts, nil
		}
	}
	return nil, nil
}

func (s *factScanner) nextRowStart() (int, error) {
	for {
		tok, err := s.dec.Token()
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("worksheet xml: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "row" {
			r := 0
			for _, a := range se.Attr {
				if a.Name.Local == "r" {
					r, _ = strconv.Atoi(a.Value)
				}
			}
			if r == 0 {
				r = s.last + 1
			}
			s.last = r
			return r, nil
		}
	}
}

func (s *factScanner) readRow() ([]fact, error) {
	facts := s.buf[:0]
	col := 0
	for {
		tok, err := s.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("worksheet xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == "row" {
				s.buf = facts
				return facts, nil
			}
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			var ft fact
			col++
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "r":
					if c, _, err := excelize.CellNameToCoordinates(a.Value); err == nil {
						col = c
					}
				case "t":
					ft.text = a.Value == "s" || a.Value == "str" || a.Value == "inlineStr"
					ft.str = a.Value == "str"
				}
			}
			if err := s.readCell(&ft); err != nil {
				return nil, err
			}
			if ft.text || ft.formula {
				ft.col = col
				facts = append(facts, ft)
			}
		}
	}
}

func (s *factScanner) readCell(ft *fact) error {
	depth := 1
	for depth > 0 {
		tok, err := s.dec.Token()
		if err != nil {
			return fmt.Errorf("worksheet xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch t.Name.Local {
			case "f":
				ft.formula = true
			case "is":
				ft.cached = true
			case "v":
				// Excel writes <v></v> for a string formula that came out
				// empty; a formula never calculated has no <v>, or an empty
				// one on a number cell.
				var v string
				if err := s.dec.DecodeElement(&v, &t); err != nil {
					return fmt.Errorf("worksheet xml: %w", err)
				}
				depth--
				ft.cached = ft.cached || v != "" || ft.str
			}
		case xml.EndElement:
			depth--
		}
	}
	return nil
}
