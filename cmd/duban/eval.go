package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/scenario"
	"github.com/duban-gov/duban/pkg/store"
)

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", "eval --plan DIR --as-of DATE [--observations FILE | --db FILE] [--format table|json]", stderr)
	planDir := fs.String("plan", "rules/zhaoqing-2022", "plan folder")
	asOfText := fs.String("as-of", "", "evaluate as of this date (the end of that day) or time, in the plan's time zone (default: now)")
	obsFile := fs.String("observations", "", "read observations from this YAML file (a list under observations:)")
	dbPath := fs.String("db", "", "read observations from this database (a SQLite file or a postgres:// URL)")
	format := fs.String("format", "table", "output: table (for people) or json")
	units := fs.Bool("units", false, "table: also show every unit's figure, not only the city's")
	color := fs.String("color", "auto", "table colours: auto, always or never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return exitError{2, fmt.Errorf("duban eval: --format is table or json, not %q", *format)}
	}
	if *obsFile != "" && *dbPath != "" {
		return exitError{2, errors.New("duban eval: give --observations or --db, not both")}
	}
	p, asOf, err := loadPlanAsOf(*planDir, *asOfText)
	if err != nil {
		return err
	}
	var obs []plan.Observation
	switch {
	case *obsFile != "":
		f, err := scenario.Read(*obsFile)
		if err != nil {
			return exitError{2, err}
		}
		if obs, err = scenario.Convert(p, *obsFile, f.Observations); err != nil {
			return exitError{2, err}
		}
	case *dbPath != "":
		db, err := store.Open(*dbPath)
		if err != nil {
			return err
		}
		defer db.Close()
		if obs, err = db.Observations(ctx, p.ID, asOf); err != nil {
			return err
		}
	}
	evs := evaluate.Evaluate(p, obs, asOf)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(evs)
	}
	useColor := *color == "always" || *color == "auto" && isTerminal(stdout) && os.Getenv("NO_COLOR") == ""
	printTable(stdout, p, evs, asOf, *units, useColor)
	return nil
}

// loadPlanAsOf loads a plan folder and reads an as-of time in its time zone:
// a date is the end of that day, "" is now.
func loadPlanAsOf(dir, asOfText string) (*plan.Plan, time.Time, error) {
	p, err := loadPlan(dir)
	if err != nil {
		return nil, time.Time{}, err
	}
	if asOfText == "" {
		return p, time.Now().In(p.Location), nil
	}
	asOf, err := scenario.ParseAsOf(asOfText, p.Location)
	if err != nil {
		return nil, time.Time{}, exitError{2, err}
	}
	return p, asOf, nil
}

// loadPlan loads a plan folder, turning its problems into exit status 1.
func loadPlan(dir string) (*plan.Plan, error) {
	p, err := plan.Load(dir)
	var ps plan.Problems
	if errors.As(err, &ps) {
		return nil, failed("plan %s has %d problems:\n%v", dir, len(ps), ps)
	}
	return p, err
}

func printTable(w io.Writer, p *plan.Plan, evs []evaluate.Evaluation, asOf time.Time, units, color bool) {
	fmt.Fprintf(w, "%s 截至%s\n\n", p.Title, asOfLabel(asOf.In(p.Location)))
	rows := [][]string{{"任务", "指标/节点", "单位", "状态", "实际", "应达", "目标", "进度", "说明"}}
	counts := map[plan.Status]int{}
	for _, ev := range evs {
		if ev.UnitID == "" {
			counts[ev.Status]++
		} else if !units {
			continue
		}
		subject, who := truncate(ev.Name, 30), "全市"
		if ev.UnitID != "" {
			subject, who = "", "  "+ev.Unit
		}
		status := ev.StatusLabel
		if color {
			status = colorize(ev.Status, status)
		}
		task := ev.Task
		if ev.UnitID != "" {
			task = ""
		}
		rows = append(rows, []string{task, subject, who, status,
			actual(ev), figure(ev, ev.Expected), target(p, ev), percent(ev.Progress), ev.Reason})
	}
	for _, line := range align(rows) {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	var parts []string
	for _, st := range plan.Statuses {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st.Label(), counts[st]))
		}
	}
	fmt.Fprintf(w, "\n合计: %s\n", strings.Join(parts, ", "))
}

// actual is the figure reached; for a milestone, its state and date.
func actual(ev evaluate.Evaluation) string {
	if ev.Milestone == "" {
		return figure(ev, ev.Actual)
	}
	switch {
	case ev.State == "":
		return "-"
	case ev.Date.IsZero():
		return ev.State.Label()
	}
	return ev.State.Label() + " " + ev.Date.String()
}

// figure is a number for people.
func figure(ev evaluate.Evaluation, v *float64) string {
	if v == nil || ev.Milestone != "" {
		return "-"
	}
	return evaluate.FormatValue(plan.Kind(ev.Kind), ev.Measure, *v)
}

// target is the comparator and figure, or a milestone's due date.
func target(p *plan.Plan, ev evaluate.Evaluation) string {
	if m, ok := p.Milestone(ev.Milestone); ok {
		return "截止" + m.Due.String()
	}
	if ev.Target == nil {
		return "-"
	}
	t := evaluate.FormatValue(plan.Kind(ev.Kind), ev.Measure, *ev.Target)
	if ev.TargetHigh != nil {
		t += "~" + evaluate.FormatValue(plan.Kind(ev.Kind), ev.Measure, *ev.TargetHigh)
	}
	if ev.Comparator == string(plan.Between) {
		return t
	}
	return ev.Comparator + t
}

// asOfLabel reads "2022年10月15日" for the end of a day, else the date and time.
func asOfLabel(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return plan.DateOf(t.Add(-time.Second)).Chinese()
	}
	return plan.DateOf(t).Chinese() + t.Format(" 15:04")
}

// truncate shortens s to at most n display columns, marking the cut with "…".
func truncate(s string, n int) string {
	if displayWidth(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := displayWidth(string(r))
		if w+rw > n-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}

func percent(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

func colorize(s plan.Status, text string) string {
	codes := map[plan.Status]string{
		plan.Achieved: "32", plan.OnTrack: "36", plan.Lagging: "33", plan.Critical: "31;1",
		plan.Missed: "35;1", plan.NoData: "90", plan.NotStarted: "37",
	}
	return "\x1b[" + codes[s] + "m" + text + "\x1b[0m"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
