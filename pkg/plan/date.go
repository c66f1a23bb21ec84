package plan

import (
	"fmt"
	"time"
)

// Date is a civil date in the plan's time zone. Rule files, periods and the
// calendar speak in dates; only the evaluator's as-of is an instant.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads an ISO date such as 2022-09-30.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not an ISO date (YYYY-MM-DD)", s)
	}
	return DateOf(t), nil
}

// DateOf is the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d was never set.
func (d Date) IsZero() bool { return d.Year == 0 }

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Chinese formats d as 2022年9月30日.
func (d Date) Chinese() string { return fmt.Sprintf("%d年%d月%d日", d.Year, d.Month, d.Day) }

// Start is the first instant of d in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// End is the first instant after d in loc: a date as a deadline means "by the end of that day".
func (d Date) End(loc *time.Location) time.Time { return d.AddDays(1).Start(loc) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Weekday is d's day of the week.
func (d Date) Weekday() time.Weekday { return d.Start(time.UTC).Weekday() }

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is strictly after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

// DaysUntil is the number of days from d to e (negative if e is earlier).
func (d Date) DaysUntil(e Date) int {
	return int(e.Start(time.UTC).Sub(d.Start(time.UTC)).Hours() / 24)
}

// MarshalText makes a Date an ISO date in JSON and YAML.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads an ISO date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
