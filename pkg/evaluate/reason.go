package evaluate

import (
	"fmt"
	"strings"

	"github.com/duban-gov/duban/pkg/plan"
)

// reason writes the one sentence a supervisor reads aloud for an indicator:
// the figure and what it was expected to be, the status in words, the
// outlook when the target is not yet met, then who has not reported and how
// many figures were set aside.
func (r *indicatorRun) reason(ev *Evaluation, s scope) string {
	ind := r.ind
	var head []string // clauses joined with ","
	var tail []string // clauses joined with ";"
	due := r.period(r.lastDue)
	if ev.Status == plan.NoData {
		switch {
		case s.unit != nil:
			head = append(head, ev.Unit+"未报送"+due+"数据")
		case len(r.units) == 1:
			head = append(head, joinNames(s.missing)+"未报送"+due+"数据")
		default:
			head = append(head, "各单位均未报送"+due+"数据")
		}
	}
	if s.fig.ok {
		figure := r.figureClause(ev, s)
		if ev.Status == plan.NoData {
			tail = append(tail, strings.Join(head, ","))
			head = []string{"最近数据" + figure}
		} else {
			head = append(head, figure)
		}
		switch ev.Status {
		case plan.Achieved:
			head = append(head, "已达到目标("+formatTarget(ind.Kind, ind.Measure, s.target)+")")
		case plan.Missed:
			head = append(head, ind.Due.Chinese()+"已到期,未达到目标("+formatTarget(ind.Kind, ind.Measure, s.target)+")")
		default:
			head = append(head, "按进度应达"+r.format(*ev.Expected))
			switch ev.Status {
			case plan.Lagging, plan.Critical:
				head = append(head, "进度滞后"+FormatPercent(1-*ev.Progress))
			case plan.OnTrack:
				head = append(head, "进度正常")
			}
			if done := r.completion(s); done != "" {
				head = append(head, done)
			}
		}
	} else {
		switch ev.Status {
		case plan.Missed:
			head = append(head, ind.Due.Chinese()+"已到期,尚无可用数据,未达到目标("+formatTarget(ind.Kind, ind.Measure, s.target)+")")
		case plan.NoData:
			head = append(head, "尚无可用数据")
		case plan.NotStarted:
			head = append(head, "尚未开始,开始日期为"+ind.Start.Chinese())
		default:
			if ev.Period.IsZero() {
				head = append(head, "已开始,首期数据尚未到报送期限")
			} else {
				head = append(head, "截至"+r.period(ev.Period)+"尚无可计算的数据")
			}
		}
	}
	tail = append(tail, strings.Join(head, ","))
	if out := r.outlookClause(ev); out != "" {
		tail = append(tail, out)
	}
	if len(s.missing) > 0 && ev.Status != plan.NoData {
		tail = append(tail, joinNames(s.missing)+"未报送"+due+"数据")
	}
	if n := len(s.anomalies); n > 0 {
		tail = append(tail, fmt.Sprintf("另有%d条数据异常,未予采用", n))
	}
	return strings.Join(tail, ";")
}

func (r *indicatorRun) period(per plan.Period) string {
	if per.IsZero() {
		return ""
	}
	return periodName(r.ind.Report.Frequency, per)
}

// figureClause states the actual: 截至2022年8月端州区自助机服务群众人次累计38.2万人次.
func (r *indicatorRun) figureClause(ev *Evaluation, s scope) string {
	subject := r.ind.Name
	if s.unit != nil {
		subject = ev.Unit + subject
	}
	head := "截至" + r.period(ev.Period) + subject
	v := r.format(s.fig.value)
	switch r.ind.Kind {
	case plan.Cumulative:
		return head + "累计" + v
	case plan.LeadTime:
		return fmt.Sprintf("%s为%s(已计%s条记录中%s条在%d个工作日内完成)", head, v,
			formatCount(s.fig.den), formatCount(s.fig.num), r.ind.Limit)
	case plan.Ratio, plan.Coverage:
		if s.fig.nd {
			return fmt.Sprintf("%s为%s(%s/%s)", head, v, formatCount(s.fig.num), formatCount(s.fig.den))
		}
	}
	return head + "为" + v
}

// completion states how much of the whole target is done, for figures that
// count up to it: 完成目标的76.4%.
func (r *indicatorRun) completion(s scope) string {
	if r.ind.Kind.IsFraction() || s.target.Op == plan.LE || s.target.Value <= 0 {
		return ""
	}
	return "完成目标的" + FormatPercent(s.fig.value/s.target.Value)
}

// outlookClause states the forecast and what is needed:
// 按当前进度年底预计46.1万人次,剩余4个月需月均新增3.0万人次.
func (r *indicatorRun) outlookClause(ev *Evaluation) string {
	var parts []string
	if ev.Status == plan.Missed {
		return "" // the due date has passed: there is nothing left to forecast or to ask for
	}
	if ev.Forecast != nil {
		when := "至" + r.ind.Due.Chinese()
		if r.ind.Due.Month == 12 && r.ind.Due.Day == 31 {
			when = "年底"
		}
		parts = append(parts, "按当前进度"+when+"预计"+r.format(*ev.Forecast))
	}
	if ev.NeededPerPeriod != nil {
		parts = append(parts, "剩余"+formatRemaining(r.ind.Report.Frequency, ev.RemainingPeriods)+"需"+
			formatChange(r.ind.Kind, r.ind.Measure, r.ind.Report.Frequency, *ev.NeededPerPeriod))
	}
	return strings.Join(parts, ",")
}
