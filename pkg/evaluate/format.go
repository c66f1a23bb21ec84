package evaluate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/duban-gov/duban/pkg/plan"
)

// FormatValue formats a figure of an indicator of the given kind the way a
// supervisor reads it aloud: fractions as percentages with one decimal
// (62.3%), figures of 10000 or more in 万 with one decimal (38.2万人次), smaller
// ones with thousands separators (2,000个). A figure in 万 keeps a second
// decimal only when that makes it exact (1.87万核 rather than 1.9万核), so that
// targets read as the plan states them. The measure follows every figure but a
// fraction.
func FormatValue(kind plan.Kind, measure string, v float64) string {
	if kind.IsFraction() {
		return FormatPercent(v)
	}
	return FormatNumber(v) + measure
}

// FormatPercent formats a fraction as a percentage with one decimal: 0.623 is 62.3%.
func FormatPercent(v float64) string {
	pct := roundTo(v*100, 1)
	if pct == 0 {
		pct = 0 // never -0.0%
	}
	return strconv.FormatFloat(pct, 'f', 1, 64) + "%"
}

// FormatNumber formats a plain figure without its measure: 38.2万 from 10000
// on, else with thousands separators and at most one decimal.
func FormatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if roundTo(v, 1) >= 10000 {
		w := v / 10000
		decimals := 1
		if hundredths := w * 100; isWhole(hundredths) && !isWhole(w*10) {
			decimals = 2
		}
		return sign + strconv.FormatFloat(roundTo(w, decimals), 'f', decimals, 64) + "万"
	}
	v = roundTo(v, 1)
	whole := math.Floor(v)
	s := groupThousands(strconv.FormatFloat(whole, 'f', 0, 64))
	if frac := math.Round((v - whole) * 10); frac > 0 {
		s += "." + strconv.Itoa(int(frac))
	}
	if s == "0" {
		sign = ""
	}
	return sign + s
}

// formatPoints formats a change of a fraction in percentage points: 0.021 is 2.1个百分点.
func formatPoints(v float64) string {
	return strconv.FormatFloat(roundTo(math.Abs(v)*100, 1), 'f', 1, 64) + "个百分点"
}

// formatChange formats what each remaining period must add (or take away) as
// a phrase: 月均新增3.0万人次, 季均提高2.1个百分点, 月均减少120核.
func formatChange(kind plan.Kind, measure string, f plan.Frequency, v float64) string {
	per := "月均"
	if f == plan.Quarterly {
		per = "季均"
	}
	var verb string
	switch {
	case kind.IsFraction() && v >= 0:
		return per + "提高" + formatPoints(v)
	case kind.IsFraction():
		return per + "降低" + formatPoints(v)
	case v < 0:
		verb = "减少"
	case kind == plan.Cumulative:
		verb = "新增"
	default:
		verb = "增加"
	}
	return per + verb + FormatValue(kind, measure, math.Abs(v))
}

// formatRemaining names how many reporting periods are left: 4个月, 2个季度.
func formatRemaining(f plan.Frequency, n int) string {
	if f == plan.Quarterly {
		return strconv.Itoa(n) + "个季度"
	}
	return strconv.Itoa(n) + "个月"
}

// formatTarget states a target under its comparator: 超过50.0万人次, 不低于65.0%, 2个至3个之间.
func formatTarget(kind plan.Kind, measure string, t plan.Target) string {
	v := FormatValue(kind, measure, t.Value)
	switch t.Op {
	case plan.GE:
		return "不低于" + v
	case plan.GT:
		return "超过" + v
	case plan.LE:
		return "不高于" + v
	case plan.Between:
		return "在" + v + "至" + FormatValue(kind, measure, t.High) + "之间"
	}
	return v
}

// formatCount formats a whole count with thousands separators, never in 万:
// numerators and denominators are read as exact counts.
func formatCount(v float64) string {
	if math.Abs(v) >= 1e15 || !isWhole(v) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if v < 0 {
		return "-" + groupThousands(strconv.FormatFloat(-v, 'f', 0, 64))
	}
	return groupThousands(strconv.FormatFloat(v, 'f', 0, 64))
}

// joinNames lists names the Chinese way: 端州区、鼎湖区.
func joinNames(names []string) string { return strings.Join(names, "、") }

func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

func roundTo(v float64, decimals int) float64 {
	scale := math.Pow(10, float64(decimals))
	return math.Round(v*scale) / scale
}

// isWhole reports whether v is an integer, allowing for the noise of binary fractions.
func isWhole(v float64) bool { return math.Abs(v-math.Round(v)) < 1e-6 }

// periodName names a reporting period: 2022年9月, or 2022年第三季度 for a quarter.
func periodName(f plan.Frequency, per plan.Period) string {
	if f == plan.Quarterly && per.Month%3 == 0 {
		return fmt.Sprintf("%d年第%s季度", per.Year, []string{"一", "二", "三", "四"}[per.Month/3-1])
	}
	return per.Chinese()
}
