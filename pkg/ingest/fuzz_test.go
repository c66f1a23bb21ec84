package ingest

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseNumber checks that whatever a clerk types, ParseNumber neither
// panics nor returns a non-finite figure, and that a figure it accepts
// survives being written out and read back.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"12300", "12,300", "１２，３００", "65%", "0.65", "38.2万", "12,3OO", "NaN", "-1e308", "0x10", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, pct, err := ParseNumber(s)
		if err != nil {
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("ParseNumber(%q) = %v", s, v)
		}
		if pct && !strings.Contains(Narrow(s), "%") {
			t.Fatalf("ParseNumber(%q) claims a percent sign", s)
		}
		back, _, err := ParseNumber(strconv.FormatFloat(v, 'g', -1, 64))
		if err != nil || back != v {
			t.Fatalf("ParseNumber(%q) = %v does not round-trip: %v, %v", s, v, back, err)
		}
	})
}

// FuzzParsePeriod checks that ParsePeriod never panics and that a period it
// accepts has a real month and reads back from its own ISO form.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2022-09", "2022/9", "2022年9月", "202209", "44805", "2022.1", "２０２２年９月", "2022-Q3", "2022-13"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, numeric bool) {
		if !utf8.ValidString(s) {
			return
		}
		p, err := ParsePeriod(s, numeric, false)
		if err != nil {
			return
		}
		if p.Month < 1 || p.Month > 12 {
			t.Fatalf("ParsePeriod(%q) = %v: month out of range", s, p)
		}
		back, err := ParsePeriod(p.String(), false, false)
		if err != nil || back != p {
			t.Fatalf("ParsePeriod(%q) = %v does not round-trip: %v, %v", s, p, back, err)
		}
	})
}
