package ingest

import (
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

func time_(m int) time.Month { return time.Month(m) }

func TestParsePeriod(t *testing.T) {
	sep := plan.Period{Year: 2022, Month: time.September}
	oct := plan.Period{Year: 2022, Month: time.October}
	tests := []struct {
		in       string
		numeric  bool
		date1904 bool
		want     plan.Period
		ok       bool
	}{
		{"2022-09", false, false, sep, true},
		{"2022/9", false, false, sep, true},
		{"2022.9", false, false, sep, true},
		{"2022.9", true, false, sep, true},
		{"2022年9月", false, false, sep, true},
		{"2022年09月份", false, false, sep, true},
		{" 2022-09 ", false, false, sep, true},
		{"２０２２年９月", false, false, sep, true},
		{"202209", false, false, sep, true},
		{"202209", true, false, sep, true},
		{"2022-09-30", false, false, sep, true},
		{"2022年9月30日", false, false, sep, true},
		{"44805", true, false, sep, true}, // 2022-09-01 as a day number
		{"43343", true, true, sep, true},  // the same day in the 1904 system
		{"2022.10", false, false, oct, true},
		{"2022.10", true, false, oct, true},
		{"2022.1", true, false, plan.Period{}, false}, // Excel kept 2022.10 as 2022.1
		{"2022-Q3", false, false, sep, true},
		{"2022-13", false, false, plan.Period{}, false},
		{"202213", false, false, plan.Period{}, false},
		{"九月", false, false, plan.Period{}, false},
		{"", false, false, plan.Period{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePeriod(tt.in, tt.numeric, tt.date1904)
			if (err == nil) != tt.ok {
				t.Fatalf("ParsePeriod(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if got != tt.want {
				t.Errorf("ParsePeriod(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
