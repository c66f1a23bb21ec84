package plan

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Frequency is how often an indicator is reported.
type Frequency string

// Reporting frequencies.
const (
	Monthly   Frequency = "monthly"
	Quarterly Frequency = "quarterly"
)

// Months is the number of months one period of f spans.
func (f Frequency) Months() int {
	if f == Quarterly {
		return 3
	}
	return 1
}

// Period is one reporting period, named by its last month: a monthly period
// 2022-09 is September, a quarterly one 2022-09 is the third quarter.
type Period struct {
	Year  int
	Month time.Month
}

var periodPattern = regexp.MustCompile(`^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|[-\s]*[Qq]([1-4]))\s*$`)

// ParsePeriod reads 2022-09, 2022/9, 2022.9, 2022年9月 or 2022-Q3 (the last month of the quarter).
func ParsePeriod(s string) (Period, error) {
	if p, ok := parseISOPeriod(s); ok {
		return p, nil
	}
	m := periodPattern.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("%q is not a period (2022-09)", s)
	}
	y, _ := strconv.Atoi(m[1])
	if m[3] != "" {
		q, _ := strconv.Atoi(m[3])
		return Period{y, time.Month(q * 3)}, nil
	}
	mo, _ := strconv.Atoi(m[2])
	if mo < 1 || mo > 12 {
		return Period{}, fmt.Errorf("%q: month %d is out of range", s, mo)
	}
	return Period{y, time.Month(mo)}, nil
}

// parseISOPeriod reads exactly YYYY-MM, the form the store and the API write,
// without the pattern's cost: a million stored observations are read per evaluation.
func parseISOPeriod(s string) (Period, bool) {
	if len(s) != 7 || s[4] != '-' {
		return Period{}, false
	}
	n := 0
	for i, c := range []byte(s) {
		if i == 4 {
			continue
		}
		if c < '0' || c > '9' {
			return Period{}, false
		}
		n = n*10 + int(c-'0')
	}
	y, mo := n/100, n%100
	if mo < 1 || mo > 12 {
		return Period{}, false
	}
	return Period{y, time.Month(mo)}, true
}

// PeriodOf is the monthly period that contains d.
func PeriodOf(d Date) Period { return Period{d.Year, d.Month} }

// IsZero reports whether p was never set.
func (p Period) IsZero() bool { return p.Year == 0 }

// String formats p as 2022-09.
func (p Period) String() string {
	if p.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", p.Year, p.Month)
}

// Chinese formats p as 2022年9月.
func (p Period) Chinese() string { return fmt.Sprintf("%d年%d月", p.Year, p.Month) }

// Index counts months since year 0, so that periods can be compared and subtracted.
func (p Period) Index() int { return p.Year*12 + int(p.Month) - 1 }

// AddMonths moves p by n months.
func (p Period) AddMonths(n int) Period {
	i := p.Index() + n
	return Period{i / 12, time.Month(i%12 + 1)}
}

// Compare returns -1, 0 or +1 as p is before, equal to or after q.
func (p Period) Compare(q Period) int { return cmpInt(p.Index(), q.Index()) }

// LastDay is the last day of p's month.
func (p Period) LastDay() Date { return Date{p.Year, p.Month + 1, 1}.AddDays(-1).normal() }

// FirstDay is the first day of the period of frequency f that ends with p.
func (p Period) FirstDay(f Frequency) Date {
	q := p.AddMonths(1 - f.Months())
	return Date{q.Year, q.Month, 1}
}

func (d Date) normal() Date { return DateOf(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)) }

// MarshalText makes a Period 2022-09 in JSON and YAML.
func (p Period) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads a period.
func (p *Period) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*p = Period{}
		return nil
	}
	v, err := ParsePeriod(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
