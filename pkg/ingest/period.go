package ingest

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// ErrAmbiguousPeriod is returned for 2022.1 read from a number cell: Excel
// stores 2022.10 as 2022.1, so October cannot be told from January.
var ErrAmbiguousPeriod = errors.New("ambiguous period")

var (
	compactPeriod = regexp.MustCompile(`^(\d{4})(\d{2})$`)
	numericPeriod = regexp.MustCompile(`^\d{4}\.\d$`)
)

// ParsePeriod reads a reporting period as clerks type it: 2022-09, 2022/9,
// 2022.9, 2022年9月, 2022年09月份, 202209, full-width digits, a full date
// (2022-09-30, its month is meant), or an Excel day number from a date cell.
// numeric says the value came from a number cell, where 2022.1 may have been
// typed as 2022.10 and is therefore refused as ambiguous.
func ParsePeriod(s string, numeric, date1904 bool) (plan.Period, error) {
	s = clean(s)
	s = strings.TrimSuffix(s, "份")
	if s == "" {
		return plan.Period{}, ErrBlank
	}
	if numeric && numericPeriod.MatchString(s) && strings.HasSuffix(s, ".1") {
		return plan.Period{}, ErrAmbiguousPeriod
	}
	p, err := parsePeriodForms(s, date1904)
	if err != nil {
		return plan.Period{}, err
	}
	if p.Year < 1900 || p.Year > 2199 {
		return plan.Period{}, errors.New("year out of range")
	}
	return p, nil
}

func parsePeriodForms(s string, date1904 bool) (plan.Period, error) {
	if p, err := plan.ParsePeriod(s); err == nil {
		return p, nil
	}
	if g := compactPeriod.FindStringSubmatch(s); g != nil {
		y, _ := strconv.Atoi(g[1])
		m, _ := strconv.Atoi(g[2])
		if m >= 1 && m <= 12 {
			return plan.Period{Year: y, Month: time.Month(m)}, nil
		}
	}
	if d, err := ParseDate(s, date1904); err == nil {
		return plan.PeriodOf(d), nil
	}
	return plan.Period{}, errors.New("not a period")
}
