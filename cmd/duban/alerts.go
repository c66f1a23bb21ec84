package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/duban-gov/duban/pkg/alert"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/schedule"
	"github.com/duban-gov/duban/pkg/store"
)

// runAlerts lists the alerts firing as of a date.
func runAlerts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("alerts", "alerts --db FILE [--plan DIR] [--as-of DATE] [--format table|json] [--family data|performance|delivery] [--all]", stderr)
	planDir := fs.String("plan", "rules/zhaoqing-2022", "plan folder (for its id, time zone and unit names)")
	dbPath := fs.String("db", "", "the database: a SQLite file or a postgres:// URL (required)")
	asOfText := fs.String("as-of", "", "list the alerts firing as of this date (the end of that day) or time (default: now)")
	format := fs.String("format", "table", "output: table (for people) or json")
	family := fs.String("family", "", "only this family: data (逾期未报), performance or delivery")
	all := fs.Bool("all", false, "also list resolved alerts")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *dbPath == "":
		return exitError{2, errors.New("duban alerts: --db is required")}
	case *format != "table" && *format != "json":
		return exitError{2, fmt.Errorf("duban alerts: --format is table or json, not %q", *format)}
	}
	p, asOf, err := loadPlanAsOf(*planDir, *asOfText)
	if err != nil {
		return err
	}
	db, err := store.Open(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	stored, err := db.Alerts(ctx, store.AlertFilter{PlanID: p.ID, Family: plan.AlertFamily(*family)})
	if err != nil {
		return err
	}
	var list []plan.Alert
	for _, a := range stored {
		if *all || firingAt(a, asOf) {
			list = append(list, a)
		}
	}
	alert.SortForBriefing(list)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if list == nil {
			list = []plan.Alert{}
		}
		return enc.Encode(list)
	}
	printAlerts(stdout, p, list, asOf)
	return nil
}

// firingAt reports whether an alert was firing at t: fired by then and not resolved by then.
func firingAt(a plan.Alert, t time.Time) bool {
	if a.FirstFiredAt.After(t) {
		return false
	}
	return a.State == plan.Firing || a.ResolvedAt.After(t)
}

func printAlerts(w io.Writer, p *plan.Plan, list []plan.Alert, asOf time.Time) {
	fmt.Fprintf(w, "%s 预警 截至%s\n\n", p.Title, asOfLabel(asOf.In(p.Location)))
	rows := [][]string{{"级别", "类型", "单位", "任务", "指标/节点", "期间", "逾期", "状态", "说明", "整改要求"}}
	counts := map[plan.AlertLevel]int{}
	for _, a := range list {
		unit := "全市"
		if a.Unit != "" {
			unit = p.UnitName(a.Unit)
		}
		state := "预警中"
		switch {
		case a.State == plan.Resolved:
			state = "已解除"
		case a.Acknowledged():
			state = "已确认"
		case a.Silenced(plan.DateOf(asOf.In(p.Location))):
			state = "已静默"
		}
		if a.State == plan.Firing {
			counts[a.Level]++
		}
		rows = append(rows, []string{a.Level.Label(), a.Kind.Label(), unit, a.Task, a.Subject, a.Period.String(),
			strconv.Itoa(a.Overdue) + "个工作日", state, a.Reason, a.CatchUp})
	}
	for _, line := range align(rows) {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	fmt.Fprintf(w, "\n合计: %d 条", len(list))
	for _, l := range []plan.AlertLevel{plan.Briefing, plan.FollowUp, plan.Reminder} {
		if counts[l] > 0 {
			fmt.Fprintf(w, ", %s %d", l.Label(), counts[l])
		}
	}
	fmt.Fprintln(w)
}

// runOnce runs every job of the supervision loop once, as of a given time.
func runOnce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run-once", "run-once --plan DIR --db FILE --as-of DATE [--data DIR] [--receivers FILE] [--wait 30s]", stderr)
	planDir := fs.String("plan", "rules/zhaoqing-2022", "plan folder")
	dbPath := fs.String("db", "", "the database: a SQLite file or a postgres:// URL (required)")
	asOfText := fs.String("as-of", "", "run as of this date (the end of that day) or time (default: now)")
	dataDir := fs.String("data", "", "data folder whose inbox/<unit>/ files are ingested (default: no inbox)")
	receiversFile := fs.String("receivers", "", "receivers file (kind: Receivers); without it alerts are stored but nobody is notified")
	wait := fs.Duration("wait", 30*time.Second, "how long to keep retrying deliveries that failed, on backoff, before reporting them pending")
	format := fs.String("format", "text", "output: text or json")
	verbose := fs.Bool("v", false, "log each job's steps to stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *dbPath == "":
		return exitError{2, errors.New("duban run-once: --db is required")}
	case *format != "text" && *format != "json":
		return exitError{2, fmt.Errorf("duban run-once: --format is text or json, not %q", *format)}
	}
	p, asOf, err := loadPlanAsOf(*planDir, *asOfText)
	if err != nil {
		return err
	}
	var recv *alert.Receivers
	if *receiversFile != "" {
		if recv, err = alert.ReadReceivers(*receiversFile, p); err != nil {
			return exitError{2, err}
		}
	}
	db, err := store.Open(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	// Every job runs as of asOf; delivery's clock starts there and runs on
	// with the wall, so that a retry after its backoff can happen in this run.
	start := time.Now()
	clock := func() time.Time { return asOf.Add(time.Since(start)) }
	cfg := schedule.Config{DataDir: *dataDir, Settle: time.Second}
	if recv != nil {
		cfg.RepeatWorkdays = recv.RepeatWorkdays
	}
	svc := schedule.New(p, db, cfg)
	svc.Log, svc.Now = log, clock
	svc.Router = alert.NewRouter(recv)
	svc.Sender = alert.NewSender(p, db, recv, alert.Notifiers(recv, nil), clock)
	svc.Sender.Log = log

	rep := schedule.Report{AsOf: asOf}
	if rep.Inbox, err = svc.ScanInbox(ctx, asOf); err != nil {
		return err
	}
	if len(rep.Inbox.Waiting) > 0 {
		// No earlier scan to compare with: look again once the files had time to settle.
		select {
		case <-time.After(cfg.Settle + 100*time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		again, err := svc.ScanInbox(ctx, asOf)
		if err != nil {
			return err
		}
		rep.Inbox.Accepted = append(rep.Inbox.Accepted, again.Accepted...)
		rep.Inbox.Rejected = append(rep.Inbox.Rejected, again.Rejected...)
		rep.Inbox.Failed = append(rep.Inbox.Failed, again.Failed...)
		rep.Inbox.Waiting = again.Waiting
	}
	if rep.Alerts, err = svc.Alerts(ctx, asOf); err != nil {
		return err
	}
	deadline := time.Now().Add(*wait)
	for {
		d, err := svc.Deliver(ctx)
		if err != nil {
			return err
		}
		rep.Delivery.Sent += d.Sent
		rep.Delivery.Failed += d.Failed
		rep.Delivery.Dead += d.Dead
		next, ok, err := db.NextAttempt(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		pause := max(next.Sub(clock()), 0)
		if time.Now().Add(pause).After(deadline) {
			break
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	pending, err := db.Notifications(ctx, store.OutboxFilter{PlanID: p.ID, State: plan.Pending})
	if err != nil {
		return err
	}
	firing, err := db.Alerts(ctx, store.AlertFilter{PlanID: p.ID, State: plan.Firing})
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(map[string]any{
			"as_of": asOf, "inbox": rep.Inbox, "alerts": rep.Alerts, "delivery": rep.Delivery,
			"pending": len(pending), "firing": len(firing),
		})
	}
	fmt.Fprintf(stdout, "duban run-once 截至%s\n", asOfLabel(asOf.In(p.Location)))
	if *dataDir != "" {
		fmt.Fprintf(stdout, "收件箱: 接收 %d 个, 退回 %d 个, 待写完 %d 个, 失败 %d 个\n",
			len(rep.Inbox.Accepted), len(rep.Inbox.Rejected), len(rep.Inbox.Waiting), len(rep.Inbox.Failed))
		for _, f := range rep.Inbox.Rejected {
			fmt.Fprintf(stdout, "  退回 %s(错误报告见 rejected/ 下同名 .errors.txt)\n", f)
		}
	}
	fmt.Fprintf(stdout, "预警: 预警中 %d 条, 本次变更 %d 条, 解除 %d 条, 新排队通知 %d 条\n",
		len(firing), rep.Alerts.Changed, rep.Alerts.Resolved, rep.Alerts.Queued)
	fmt.Fprintf(stdout, "通知: 送达 %d 条, 失败待重试 %d 次, 放弃 %d 条, 仍待发送 %d 条\n",
		rep.Delivery.Sent, rep.Delivery.Failed, rep.Delivery.Dead, len(pending))
	for _, n := range pending {
		fmt.Fprintf(stdout, "  待发送 %s → %s, 已尝试 %d 次, 下次 %s: %s\n", n.Key, n.Receiver, n.Attempts,
			n.NextAttemptAt.In(p.Location).Format("2006-01-02 15:04:05"), n.LastError)
	}
	if recv == nil {
		fmt.Fprintln(stdout, "(未指定 --receivers: 预警已保存, 未发送通知)")
	}
	return nil
}
