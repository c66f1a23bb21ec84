package plan

import (
	"fmt"
	"time"
)

// Calendar says which days are working days: Monday to Friday, less official
// holidays, plus the weekend days made working days (调休). It covers a
// closed range of dates; asking about a date outside it is an error, never a guess.
type Calendar struct {
	From, To Date
	Holidays map[Date]string // date → holiday name
	Workdays map[Date]string // weekend date worked → reason
}

// ErrOutsideCalendar is returned for a date the calendar does not cover.
type ErrOutsideCalendar struct{ Date Date }

func (e ErrOutsideCalendar) Error() string {
	return fmt.Sprintf("%s is outside the working-day calendar", e.Date)
}

// Covers reports whether d lies within the calendar.
func (c *Calendar) Covers(d Date) bool { return !d.Before(c.From) && !d.After(c.To) }

// IsWorkday reports whether d is a working day.
func (c *Calendar) IsWorkday(d Date) (bool, error) {
	if !c.Covers(d) {
		return false, ErrOutsideCalendar{d}
	}
	if _, ok := c.Workdays[d]; ok {
		return true, nil
	}
	if _, ok := c.Holidays[d]; ok {
		return false, nil
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday, nil
}

// AddWorkdays returns the n-th working day after d (n ≥ 1); n = 0 returns d itself.
func (c *Calendar) AddWorkdays(d Date, n int) (Date, error) {
	for n > 0 {
		d = d.AddDays(1)
		ok, err := c.IsWorkday(d)
		if err != nil {
			return Date{}, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}

// WorkdaysBetween counts the working days after from up to and including to:
// a request on Thursday connected on Monday took 2 working days. It is 0 when to is not after from.
func (c *Calendar) WorkdaysBetween(from, to Date) (int, error) {
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		ok, err := c.IsWorkday(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
