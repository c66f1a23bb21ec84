package main

import (
	"context"
	"errors"
	"io"
)

func runRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("rules is not built yet")
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("eval is not built yet")
}
