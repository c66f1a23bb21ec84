// Command duban is the KPI target-versus-actual supervision engine: one binary
// for checking and testing rule files, evaluating a plan, ingesting Excel
// submissions, generating templates and serving the API.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// exitError carries a process exit status: 1 for "the input is bad", 2 for "could not run".
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

// failed is exit status 1: the command ran and found the input wanting.
func failed(format string, args ...any) error {
	return exitError{1, fmt.Errorf(format, args...)}
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"rules":    {"check and test rule files (rules check DIR, rules test FILE...)", runRules},
		"eval":     {"evaluate a plan as of a date", runEval},
		"ingest":   {"ingest Excel submissions into the store", runIngest},
		"alerts":   {"list the alerts firing as of a date", runAlerts},
		"run-once": {"run every job of the supervision loop once, as of a date", runOnce},
		"template": {"write the Excel template for a reporting unit", runTemplate},
		"serve":    {"serve the JSON API, the dashboard and the supervision loop", runServe},
		"token":    {"create, list and revoke API tokens (token create --role R [--unit U])", runToken},
		"backup":   {"copy the SQLite database while the service runs", runBackup},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "duban: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, ee.err)
		}
		return ee.code
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "duban %s: %v\n", args[0], err)
	return 2
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: duban <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'duban <command> --help' for a command's flags.")
}
