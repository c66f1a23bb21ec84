package ingest

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/duban-gov/duban/pkg/plan"
)

// Narrow rewrites full-width ASCII forms (U+FF01–FF5E) and the ideographic
// space (U+3000) to their ASCII counterparts, and leaves everything else as it
// is. Blanket NFKC would also rewrite circled numbers, superscripts and the
// like, turning text a clerk wrote into a different figure.
func Narrow(s string) string {
	if !hasWide(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteRune(r - 0xFEE0)
		case r == 0x3000:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasWide(s string) bool {
	for _, r := range s {
		if (r >= 0xFF01 && r <= 0xFF5E) || r == 0x3000 {
			return true
		}
	}
	return false
}

// clean narrows s and trims the spaces clerks leave around values,
// including no-break and ideographic spaces.
func clean(s string) string {
	return strings.TrimFunc(Narrow(s), func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\ufeff' })
}

var (
	plainNumber = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
	grouped     = regexp.MustCompile(`^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$`)
)

// Reasons ParseNumber gives for a value that is not a number.
var (
	ErrBlank     = errors.New("blank")
	ErrNotNumber = errors.New("not a number")
)

// ParseNumber reads a figure as clerks type it: full-width digits, thousands
// separators (12,300), a trailing percent sign (65%), 万 (38.2万 = 382000) and
// spaces around it. percent reports a percent sign, in which case v is already
// a fraction (65% is 0.65). NaN, infinities and hexadecimal forms are not numbers.
func ParseNumber(s string) (v float64, percent bool, err error) {
	s = clean(s)
	if s == "" {
		return 0, false, ErrBlank
	}
	scale := 1.0
	switch {
	case strings.HasSuffix(s, "%"):
		percent, scale = true, 0.01
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	case strings.HasSuffix(s, "万"):
		scale = 10000
		s = strings.TrimSpace(strings.TrimSuffix(s, "万"))
	}
	if strings.Contains(s, ",") {
		if !grouped.MatchString(s) {
			return 0, false, ErrNotNumber
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	if !plainNumber.MatchString(s) {
		return 0, false, ErrNotNumber
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false, ErrNotNumber
	}
	v *= scale
	if scale != 1 {
		// 65% is 0.65, not 0.6500000000000001.
		v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	}
	return v, percent, nil
}

// ParseFraction reads a share as clerks type it into a percentage column:
// 65%, 65 and 0.65 are all 0.65. A bare number above 1 is read as a
// percentage; one of 1 or below as a fraction already.
func ParseFraction(s string) (float64, error) {
	v, percent, err := ParseNumber(s)
	if err != nil {
		return 0, err
	}
	if !percent && v > 1 {
		v, _ = strconv.ParseFloat(strconv.FormatFloat(v/100, 'g', 15, 64), 64)
	}
	return v, nil
}

// Excel day numbers start at 1899-12-30 (the 1900 system, whose serial 60 is
// the fictitious 29 February 1900) or at 1904-01-01 (the 1904 system).
var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// serialDate turns an Excel day number into a date. Only whole days from 1950
// to 2100 are taken as dates; anything else is some other number.
func serialDate(v float64, date1904 bool) (plan.Date, bool) {
	if v < 18264 || v > 73051 { // 1950-01-01 … 2100-01-01 in the 1900 system
		return plan.Date{}, false
	}
	epoch := epoch1900
	if date1904 {
		epoch = epoch1904
	}
	days := int(math.Floor(v + 1e-9))
	return plan.DateOf(epoch.AddDate(0, 0, days)), true
}

var datePattern = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$`)
var compactDate = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)

// ParseDate reads a date as clerks type it — 2022-09-05, 2022/9/5, 2022.9.5,
// 2022年9月5日, 20220905 — or an Excel day number from a date cell.
func ParseDate(s string, date1904 bool) (plan.Date, error) {
	s = clean(s)
	if s == "" {
		return plan.Date{}, ErrBlank
	}
	var y, m, d int
	if g := datePattern.FindStringSubmatch(s); g != nil {
		y, _ = strconv.Atoi(g[1])
		m, _ = strconv.Atoi(g[2])
		d, _ = strconv.Atoi(g[3])
	} else if g := compactDate.FindStringSubmatch(s); g != nil {
		y, _ = strconv.Atoi(g[1])
		m, _ = strconv.Atoi(g[2])
		d, _ = strconv.Atoi(g[3])
	} else if plainNumber.MatchString(s) {
		v, err := strconv.ParseFloat(s, 64)
		if err == nil {
			if dt, ok := serialDate(v, date1904); ok {
				return dt, nil
			}
		}
		return plan.Date{}, ErrNotDate
	} else {
		return plan.Date{}, ErrNotDate
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d {
		return plan.Date{}, ErrNotDate
	}
	return plan.Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// ErrNotDate is ParseDate's reason for a value that is not a date.
var ErrNotDate = errors.New("not a date")
