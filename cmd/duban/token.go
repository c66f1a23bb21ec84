package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/duban-gov/duban/pkg/api"
	"github.com/duban-gov/duban/pkg/store"
)

// runToken manages API tokens: create (prints the secret, once), list, revoke.
// Every change is written to the audit log with the actor "cli".
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: duban token create --db FILE --role ROLE [--unit UNIT] [--name NAME]\n" +
		"       duban token list --db FILE\n       duban token revoke --db FILE ID"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, usage)
		if len(args) == 0 {
			return exitError{2, errors.New("")}
		}
		return errHelp
	}
	sub, args := args[0], args[1:]
	fs := newFlags("token "+sub, "token "+sub+" --db FILE …", stderr)
	dbPath := fs.String("db", env("DUBAN_DB", ""), "the database: a SQLite file or a postgres:// URL (DUBAN_DB)")
	planDir := fs.String("plan", env("DUBAN_PLAN", "rules/zhaoqing-2022"), "plan folder, to check the unit (DUBAN_PLAN)")
	role := fs.String("role", "", "admin, supervisor, reporter or viewer")
	unitRef := fs.String("unit", "", "a reporter's unit: id, name or alias")
	name := fs.String("name", "", "a name for the token, shown in the audit log")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dbPath == "" {
		return exitError{2, errors.New("duban token: --db is required")}
	}
	db, err := store.Open(*dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	now := time.Now()
	switch sub {
	case "create":
		p, err := loadPlan(*planDir)
		if err != nil {
			return err
		}
		secret, t, err := api.CreateToken(ctx, db, p, *role, *unitRef, *name, "cli", now)
		if err != nil {
			return failed("duban token create: %v", err)
		}
		if err := db.AppendAudit(ctx, &store.AuditEntry{At: now, Actor: "cli", Action: "token.create",
			Subject: strconv.FormatInt(t.ID, 10), Detail: fmt.Sprintf("role %s unit %s name %s", t.Role, t.Unit, t.Name),
			Status: http.StatusCreated}); err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(struct {
				store.Token
				Secret string `json:"token"`
			}{*t, secret})
		}
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "token %d (%s, role %s%s) created; the secret above is shown only now\n",
			t.ID, t.Name, t.Role, unitSuffix(t.Unit))
		return nil
	case "list":
		list, _, err := db.Tokens(ctx, 0, 0)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(list)
		}
		rows := [][]string{{"ID", "NAME", "ROLE", "UNIT", "CREATED", "REVOKED"}}
		for _, t := range list {
			revoked := ""
			if t.RevokedAt != nil {
				revoked = t.RevokedAt.Format(time.RFC3339)
			}
			rows = append(rows, []string{strconv.FormatInt(t.ID, 10), t.Name, t.Role, t.Unit,
				t.CreatedAt.Format(time.RFC3339), revoked})
		}
		for _, line := range align(rows) {
			fmt.Fprintln(stdout, line)
		}
		return nil
	case "revoke":
		if fs.NArg() != 1 {
			return exitError{2, errors.New("duban token revoke: give the token's id")}
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return exitError{2, fmt.Errorf("duban token revoke: %q is not an id", fs.Arg(0))}
		}
		t, err := db.RevokeToken(ctx, id, now)
		if err != nil {
			return failed("duban token revoke: %v", err)
		}
		if err := db.AppendAudit(ctx, &store.AuditEntry{At: now, Actor: "cli", Action: "token.revoke",
			Subject: fs.Arg(0), Detail: fmt.Sprintf("role %s unit %s name %s", t.Role, t.Unit, t.Name),
			Status: http.StatusNoContent}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d revoked\n", id)
		return nil
	}
	return exitError{2, fmt.Errorf("duban token: unknown subcommand %q (create, list or revoke)", sub)}
}

func unitSuffix(u string) string {
	if u == "" {
		return ""
	}
	return ", unit " + u
}
