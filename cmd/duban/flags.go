package main

import (
	"errors"
	"flag"
	"io"
)

// errHelp is returned when --help was asked for and printed: exit 0.
var errHelp = errors.New("help requested")

// newFlags makes a flag set that prints its usage to stderr and never exits the process.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, "usage: duban "+synopsis+"\n\nflags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping -h to errHelp and a bad flag to exit status 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	if err != nil {
		return exitError{2, errors.New("")}
	}
	return nil
}
