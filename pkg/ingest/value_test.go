package ingest

import (
	"errors"
	"testing"

	"github.com/duban-gov/duban/pkg/plan"
)

func TestNarrow(t *testing.T) {
	tests := []struct{ in, want string }{
		{"１２３４５", "12345"},
		{"６５％", "65%"},
		{"１２，３００", "12,300"},
		{"\u3000端州区\u3000", " 端州区 "},
		{"①②", "①②"},   // circled numbers are not digits
		{"²", "²"},     // nor superscripts
		{"ｱ", "ｱ"},     // half-width katakana is left alone
		{"ＡＢＣ", "ABC"}, // U+FF21…
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := Narrow(tt.in); got != tt.want {
			t.Errorf("Narrow(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		percent bool
		err     error
	}{
		{"12300", 12300, false, nil},
		{" 12300 ", 12300, false, nil},
		{"12,300", 12300, false, nil},
		{"1,234,567.891", 1234567.891, false, nil},
		{"１２，３００", 12300, false, nil},
		{"１２３４５", 12345, false, nil},
		{"65%", 0.65, true, nil},
		{"６５．５％", 0.655, true, nil},
		{"0.65", 0.65, false, nil},
		{"38.2万", 382000, false, nil},
		{"1.2E+5", 120000, false, nil},
		{"-3", -3, false, nil},
		{"\u00a07\u3000", 7, false, nil},
		{"", 0, false, ErrBlank},
		{"   ", 0, false, ErrBlank},
		{"12,3OO", 0, false, ErrNotNumber},
		{"1,23", 0, false, ErrNotNumber},
		{"12.3.4", 0, false, ErrNotNumber},
		{"NaN", 0, false, ErrNotNumber},
		{"Inf", 0, false, ErrNotNumber},
		{"0x1p-2", 0, false, ErrNotNumber},
		{"1_000", 0, false, ErrNotNumber},
		{"①", 0, false, ErrNotNumber},
		{"无", 0, false, ErrNotNumber},
		{"-", 0, false, ErrNotNumber},
		{"1e999", 0, false, ErrNotNumber},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, pct, err := ParseNumber(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseNumber(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if err == nil && (got != tt.want || pct != tt.percent) {
				t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", tt.in, got, pct, tt.want, tt.percent)
			}
		})
	}
}

func TestParseFraction(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"65%", 0.65}, {"65", 0.65}, {"0.65", 0.65}, {"６５％", 0.65}, {"100", 1}, {"1", 1}, {"0.655", 0.655},
	}
	for _, tt := range tests {
		got, err := ParseFraction(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseFraction(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	d := func(y, m, dd int) plan.Date { return plan.Date{Year: y, Month: time_(m), Day: dd} }
	tests := []struct {
		in       string
		date1904 bool
		want     plan.Date
		err      error
	}{
		{"2022-09-05", false, d(2022, 9, 5), nil},
		{"2022/9/5", false, d(2022, 9, 5), nil},
		{"2022.9.5", false, d(2022, 9, 5), nil},
		{"2022年9月5日", false, d(2022, 9, 5), nil},
		{"２０２２年９月５日", false, d(2022, 9, 5), nil},
		{"20220905", false, d(2022, 9, 5), nil},
		{"2022-09-05 10:30", false, d(2022, 9, 5), nil},
		{"44809", false, d(2022, 9, 5), nil},
		{"44809.75", false, d(2022, 9, 5), nil},
		{"43347", true, d(2022, 9, 5), nil}, // the same day in the 1904 system
		{"2022-02-30", false, plan.Date{}, ErrNotDate},
		{"2022-13-01", false, plan.Date{}, ErrNotDate},
		{"12", false, plan.Date{}, ErrNotDate},
		{"九月五日", false, plan.Date{}, ErrNotDate},
		{"", false, plan.Date{}, ErrBlank},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in, tt.date1904)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseDate(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
