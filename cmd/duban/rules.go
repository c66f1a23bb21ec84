package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/scenario"
)

func runRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: duban rules check DIR      check a plan's rule files; print a summary or every problem\n       duban rules test FILE...   run rule test files; print each mismatch")
		if len(args) == 0 {
			return exitError{2, errors.New("")}
		}
		return errHelp
	}
	switch args[0] {
	case "check":
		return runRulesCheck(args[1:], stdout, stderr)
	case "test":
		return runRulesTest(args[1:], stdout, stderr)
	}
	return exitError{2, fmt.Errorf("duban rules: unknown subcommand %q (check or test)", args[0])}
}

func runRulesCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rules check", "rules check DIR", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitError{2, errors.New("")}
	}
	p, err := plan.Load(fs.Arg(0))
	var ps plan.Problems
	if errors.As(err, &ps) {
		fmt.Fprintln(stdout, ps.Error())
		return failed("%d problems in %s", len(ps), fs.Arg(0))
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, summary(p))
	return nil
}

// summary counts what a plan holds: "61 tasks, 13 indicators, 40 milestones, 11 regions, 35 departments".
func summary(p *plan.Plan) string {
	return fmt.Sprintf("%s: %d tasks, %d indicators, %d milestones, %d regions, %d departments",
		p.ID, len(p.Tasks), len(p.Indicators), len(p.Milestones), len(p.UnitsOf(plan.Region)), len(p.UnitsOf(plan.Department)))
}

func runRulesTest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rules test", "rules test FILE...", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitError{2, errors.New("")}
	}
	plans := map[string]*plan.Plan{}
	passed, failedN, broken := 0, 0, 0
	for _, path := range fs.Args() {
		f, err := scenario.Read(path)
		if err != nil {
			fmt.Fprintf(stdout, "ERROR %v\n", err)
			broken++
			continue
		}
		dir := f.PlanDir()
		if dir == "" {
			fmt.Fprintf(stdout, "ERROR %s: the file names no plan folder (plan: DIR)\n", path)
			broken++
			continue
		}
		p, ok := plans[dir]
		if !ok {
			p, err = plan.Load(dir)
			if err != nil {
				fmt.Fprintf(stdout, "ERROR %s: plan %s does not load:\n%v\n", path, dir, err)
				broken++
				continue
			}
			plans[dir] = p
		}
		outcomes, err := scenario.Run(f, p)
		if err != nil {
			fmt.Fprintf(stdout, "ERROR %v\n", err)
			broken++
			continue
		}
		fileFailed := 0
		for _, o := range outcomes {
			switch {
			case o.Err != nil:
				fmt.Fprintf(stdout, "ERROR %v\n", o.Err)
				broken++
				fileFailed++
			case !o.Passed():
				printMismatch(stdout, path, o)
				failedN++
				fileFailed++
			default:
				passed++
			}
		}
		if fileFailed == 0 {
			fmt.Fprintf(stdout, "ok    %s (%d expectations)\n", path, len(outcomes))
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failedN+broken)
	if failedN+broken > 0 {
		return exitError{1, nil}
	}
	return nil
}

func printMismatch(w io.Writer, path string, o scenario.Outcome) {
	e, ev := o.Expectation, o.Found
	who := "city"
	if ev.Unit != "" {
		who = ev.Unit
	}
	fmt.Fprintf(w, "FAIL  %s:%d: %s%s (%s)\n", path, e.Line, e.Indicator, e.Milestone, who)
	rows := [][]string{{"field", "expected", "got"}}
	for _, d := range o.Diffs {
		rows = append(rows, []string{d.Field, d.Want, d.Got})
	}
	for _, line := range align(rows) {
		fmt.Fprintln(w, "      "+line)
	}
	fmt.Fprintf(w, "      reason: %s\n", ev.Reason)
}

// align pads the cells of rows into columns, counting a Chinese character as two.
func align(rows [][]string) []string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	out := make([]string, len(rows))
	for j, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		out[j] = b.String()
	}
	return out
}
