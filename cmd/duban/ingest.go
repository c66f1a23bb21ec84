package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/duban-gov/duban/pkg/ingest"
	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/scenario"
	"github.com/duban-gov/duban/pkg/store"
)

// runIngest reads Excel submissions into the store: exit 0 when every file
// was accepted, 1 when any was rejected, 2 when it could not run.
func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest", "ingest --plan DIR --db FILE [--data DIR] [--unit U] [--format text|json] FILE.xlsx...", stderr)
	planDir := fs.String("plan", "rules/zhaoqing-2022", "plan folder")
	dbPath := fs.String("db", "", "the database: a SQLite file or a postgres:// URL (required)")
	dataDir := fs.String("data", "", "where raw files are kept (default: a raw/ folder beside the SQLite file)")
	unit := fs.String("unit", "", "the unit sending the files (id, name or alias); default: the unit each file names")
	submitter := fs.String("submitter", "", "who is sending the files, for the record")
	format := fs.String("format", "text", "output: text (for people) or json")
	maxBytes := fs.Int64("max-bytes", ingest.DefaultMaxBytes, "the largest file accepted, in bytes")
	quiet := fs.Bool("quiet", false, "text: print only rejected files and a summary")
	receivedText := fs.String("received", "", "when the files were received: a time, or a date for the end of that day (default: now); for loading past months' files so that any day can be replayed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *format != "text" && *format != "json":
		return exitError{2, fmt.Errorf("duban ingest: --format is text or json, not %q", *format)}
	case *dbPath == "":
		return exitError{2, errors.New("duban ingest: --db is required")}
	case fs.NArg() == 0:
		return exitError{2, errors.New("duban ingest: name at least one .xlsx file")}
	}
	raw := *dataDir
	if raw == "" {
		if strings.Contains(*dbPath, "://") {
			return exitError{2, errors.New("duban ingest: --data is required with a database URL")}
		}
		raw = filepath.Join(filepath.Dir(*dbPath), "raw")
	}
	p, err := plan.Load(*planDir)
	if err != nil {
		return exitError{2, fmt.Errorf("duban ingest: plan %s: %w", *planDir, err)}
	}
	if *unit != "" {
		if _, ok := p.Unit(*unit); !ok {
			return exitError{2, fmt.Errorf("duban ingest: unknown unit %q", *unit)}
		}
	}
	received := time.Now().In(p.Location)
	if *receivedText != "" {
		if received, err = scenario.ParseAsOf(*receivedText, p.Location); err != nil {
			return exitError{2, fmt.Errorf("duban ingest: --received: %w", err)}
		}
	}
	db, err := store.Open(*dbPath)
	if err != nil {
		return exitError{2, fmt.Errorf("duban ingest: %w", err)}
	}
	defer db.Close()

	rejected, accepted := 0, 0
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	for _, path := range fs.Args() {
		sub, err := ingest.Ingest(ctx, p, db, path, ingest.Options{
			Unit: *unit, Submitter: *submitter, Source: "cli", FileName: filepath.Base(path),
			Now: received, RawDir: raw, MaxBytes: *maxBytes,
		})
		if err != nil {
			return exitError{2, fmt.Errorf("duban ingest: %s: %w", path, err)}
		}
		if sub.Outcome != plan.Accepted {
			rejected++
		} else {
			accepted++
		}
		switch {
		case *format == "json":
			if err := enc.Encode(sub); err != nil {
				return exitError{2, err}
			}
		case !*quiet || sub.Outcome != plan.Accepted:
			printSubmission(stdout, p, path, sub)
		}
	}
	if *quiet && *format == "text" {
		fmt.Fprintf(stdout, "已接收 %d 个文件,退回 %d 个\n", accepted, rejected)
	}
	if rejected > 0 {
		return exitError{1, errors.New("")}
	}
	return nil
}

func printSubmission(w io.Writer, p *plan.Plan, path string, sub *plan.Submission) {
	who := p.UnitName(sub.Unit)
	if who == "" {
		who = "单位未知"
	}
	per := "报送期未知"
	if !sub.Period.IsZero() {
		per = sub.Period.Chinese()
	}
	if sub.Outcome == plan.Accepted {
		fmt.Fprintf(w, "已接收 %s:%s %s,%d 条数据(报送编号 %d)\n", path, who, per, sub.Observations, sub.ID)
	} else {
		fmt.Fprintf(w, "已退回 %s:%s %s,%d 处错误(报送编号 %d)\n", path, who, per, len(sub.Errors), sub.ID)
	}
	for _, e := range sub.Errors {
		fmt.Fprintf(w, "  错误 [%s] %s\n", e.Code, e.Message)
	}
	for _, e := range sub.Warnings {
		fmt.Fprintf(w, "  提示 [%s] %s\n", e.Code, e.Message)
	}
}

// runTemplate writes the Excel template for one reporting unit.
func runTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("template", "template --plan DIR --unit U [--period 2022-09] -o FILE.xlsx", stderr)
	planDir := fs.String("plan", "rules/zhaoqing-2022", "plan folder")
	unit := fs.String("unit", "", "the reporting unit (id, name or alias), required")
	periodText := fs.String("period", "", "the period to pre-fill (2022-09); default: left for the clerk to fill")
	out := fs.String("o", "", "the file to write (required; - for standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *unit == "" || *out == "" {
		fs.Usage()
		return exitError{2, errors.New("duban template: --unit and -o are required")}
	}
	var per plan.Period
	if *periodText != "" {
		var err error
		if per, err = ingest.ParsePeriod(*periodText, false, false); err != nil {
			return exitError{2, fmt.Errorf("duban template: --period %q is not a period such as 2022-09", *periodText)}
		}
	}
	p, err := plan.Load(*planDir)
	if err != nil {
		return exitError{2, fmt.Errorf("duban template: plan %s: %w", *planDir, err)}
	}
	u, ok := p.Unit(*unit)
	if !ok {
		return exitError{2, fmt.Errorf("duban template: unknown unit %q", *unit)}
	}
	if *out == "-" {
		return wrapTemplateErr(ingest.Template(p, u.ID, per, stdout))
	}
	f, err := os.Create(*out)
	if err != nil {
		return exitError{2, fmt.Errorf("duban template: %w", err)}
	}
	if err := ingest.Template(p, u.ID, per, f); err != nil {
		f.Close()
		os.Remove(*out)
		return wrapTemplateErr(err)
	}
	if err := f.Close(); err != nil {
		return exitError{2, fmt.Errorf("duban template: %w", err)}
	}
	inds, ms := p.Reports(u.ID)
	fmt.Fprintf(stderr, "wrote %s: %s, %d indicators, %d milestones\n", *out, u.Name, len(inds), len(ms))
	return nil
}

func wrapTemplateErr(err error) error {
	if err == nil {
		return nil
	}
	return exitError{2, fmt.Errorf("duban template: %s", plan.ErrorMessage(err))}
}
