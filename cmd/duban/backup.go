package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/duban-gov/duban/pkg/store"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "backup --db FILE -o COPY", stderr)
	dbPath := fs.String("db", cmp.Or(os.Getenv("DUBAN_DB"), "var/duban.db"), "the SQLite database to copy (env DUBAN_DB)")
	out := fs.String("o", "", "where to write the copy (must not exist)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return exitError{2, errors.New("duban backup: -o is required")}
	}
	db, err := store.Open(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", *dbPath, *out)
	return nil
}
