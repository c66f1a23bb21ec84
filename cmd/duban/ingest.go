package main

import (
	"context"
	"errors"
	"io"
)

func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("ingest is not built yet")
}

func runTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("template is not built yet")
}
