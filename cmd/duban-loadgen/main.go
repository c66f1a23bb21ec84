// Command duban-loadgen makes province-scale load for measuring duban: a
// synthetic plan (rule files), Excel submissions of any size and a store of
// millions of observations, all deterministic from a seed. make bench drives it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "duban-loadgen:", err)
		os.Exit(2)
	}
}

const usage = `usage:
  duban-loadgen plan  -out DIR [shape flags]            write a province's rule files
  duban-loadgen xlsx  -plan DIR -out FILE [-period P]   write the village-level broadband sheet: one row per region, 10 columns
  duban-loadgen store -plan DIR -db FILE -observations N  fill a store with N observations, month by month
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("name a command")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := province
	fs.IntVar(&s.Cities, "cities", s.Cities, "cities")
	fs.IntVar(&s.Counties, "counties", s.Counties, "counties, spread over the cities")
	fs.IntVar(&s.Towns, "towns", s.Towns, "towns, spread over the counties")
	fs.IntVar(&s.Villages, "villages", s.Villages, "villages, spread over the towns")
	fs.IntVar(&s.CityIndicators, "city-indicators", s.CityIndicators, "indicators every city files")
	fs.IntVar(&s.CountyIndicators, "county-indicators", s.CountyIndicators, "indicators every county files")
	fs.IntVar(&s.VillageIndicators, "village-indicators", s.VillageIndicators, "indicators every town files for its villages")
	fs.Uint64Var(&s.Seed, "seed", s.Seed, "seed: the same seed gives the same bytes")
	out := fs.String("out", "", "where to write")
	planDir := fs.String("plan", "", "plan folder (xlsx, store)")
	period := fs.String("period", "2022-06", "xlsx: the period the sheet reports")
	dbPath := fs.String("db", "", "store: the SQLite file to fill")
	n := fs.Int("observations", 1_000_000, "store: how many observations")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "plan":
		if *out == "" {
			return errors.New("plan: -out is required")
		}
		if err := writePlan(*out, s); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d regions, %d indicators\n", *out, s.Regions(), len(s.indicators()))
		return nil
	case "xlsx":
		if *out == "" || *planDir == "" {
			return errors.New("xlsx: -plan and -out are required")
		}
		rows, err := writeSheet(*planDir, *out, *period, s.Seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d rows × %d columns\n", *out, rows, len(sheetColumns))
		return nil
	case "store":
		if *dbPath == "" || *planDir == "" {
			return errors.New("store: -plan and -db are required")
		}
		got, err := fillStore(ctx, *planDir, *dbPath, *n, s.Seed)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d observations\n", *dbPath, got)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
