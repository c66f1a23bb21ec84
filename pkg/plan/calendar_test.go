package plan_test

import (
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

func d(s string) plan.Date {
	v, err := plan.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestCalendar(t *testing.T) {
	p := mustLoad(t, "testdata/good")
	c := p.Calendar
	t.Run("workdays", func(t *testing.T) {
		for _, tt := range []struct {
			date string
			want bool
		}{
			{"2022-09-30", true},  // Friday
			{"2022-10-01", false}, // National Day
			{"2022-10-07", false}, // holiday on a Friday
			{"2022-10-08", true},  // make-up Saturday
			{"2022-10-09", true},  // make-up Sunday
			{"2022-10-15", false}, // plain Saturday
			{"2023-01-02", false}, // New Year's holiday on a Monday
		} {
			got, err := c.IsWorkday(d(tt.date))
			if err != nil || got != tt.want {
				t.Errorf("IsWorkday(%s) = %v, %v; want %v", tt.date, got, err, tt.want)
			}
		}
	})
	t.Run("add workdays across National Day", func(t *testing.T) {
		// September ends on a Friday; the 5th working day after it: 8, 9, 10, 11, 12 October.
		got, err := c.AddWorkdays(d("2022-09-30"), 5)
		if err != nil || got != d("2022-10-12") {
			t.Errorf("AddWorkdays = %s, %v; want 2022-10-12", got, err)
		}
		got, _ = c.AddWorkdays(d("2022-08-31"), 5)
		if got != d("2022-09-07") {
			t.Errorf("August's report falls due %s; want 2022-09-07", got)
		}
	})
	t.Run("workdays between", func(t *testing.T) {
		// Requested Thursday 29 September, connected Monday 10 October: 30 Sep, 8, 9, 10 Oct.
		n, err := c.WorkdaysBetween(d("2022-09-29"), d("2022-10-10"))
		if err != nil || n != 4 {
			t.Errorf("WorkdaysBetween = %d, %v; want 4", n, err)
		}
		if n, _ := c.WorkdaysBetween(d("2022-09-29"), d("2022-09-29")); n != 0 {
			t.Errorf("same day = %d; want 0", n)
		}
	})
	t.Run("outside the calendar is an error", func(t *testing.T) {
		if _, err := c.IsWorkday(d("2023-02-01")); err == nil {
			t.Error("no error for a date past the calendar")
		}
		if _, err := c.AddWorkdays(d("2023-01-30"), 5); err == nil {
			t.Error("no error when counting runs off the calendar")
		}
	})
	t.Run("report due", func(t *testing.T) {
		due, err := p.ReportDue(p.Report, plan.Period{Year: 2022, Month: time.December})
		if err != nil || due != d("2023-01-09") {
			t.Errorf("December's report due %s, %v; want 2023-01-09", due, err)
		}
	})
}

func TestParsePeriod(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"2022-09", "2022-09", true},
		{"2022/9", "2022-09", true},
		{"2022.9", "2022-09", true},
		{"2022年9月", "2022-09", true},
		{" 2022年 9 月 ", "2022-09", true},
		{"2022-Q3", "2022-09", true},
		{"2022-13", "", false},
		{"2022-00", "", false},
		{"0001-01", "0001-01", true},
		{"2022-1a", "", false},
		{"2022-12", "2022-12", true},
		{"九月", "", false},
		{"", "", false},
	} {
		got, err := plan.ParsePeriod(tt.in)
		if (err == nil) != tt.ok || got.String() != tt.want {
			t.Errorf("ParsePeriod(%q) = %s, %v; want %s ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if got := (plan.Period{Year: 2022, Month: 12}).AddMonths(1); got.String() != "2023-01" {
		t.Errorf("AddMonths across a year = %s", got)
	}
	if got := (plan.Period{Year: 2022, Month: 2}).LastDay(); got != d("2022-02-28") {
		t.Errorf("LastDay of February = %s", got)
	}
}

func TestPeriods(t *testing.T) {
	monthly := plan.Periods(plan.ReportSchedule{Frequency: plan.Monthly}, d("2022-01-01"), d("2022-12-31"))
	if len(monthly) != 12 || monthly[11].String() != "2022-12" {
		t.Errorf("monthly periods = %v", monthly)
	}
	quarterly := plan.Periods(plan.ReportSchedule{Frequency: plan.Quarterly}, d("2022-01-01"), d("2022-12-31"))
	if len(quarterly) != 4 || quarterly[0].String() != "2022-03" {
		t.Errorf("quarterly periods = %v", quarterly)
	}
}

// BenchmarkParsePeriod: the store parses every observation's period on read.
func BenchmarkParsePeriod(b *testing.B) {
	for range b.N {
		if _, err := plan.ParsePeriod("2022-09"); err != nil {
			b.Fatal(err)
		}
	}
}
