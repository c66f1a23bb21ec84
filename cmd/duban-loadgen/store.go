package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

// fillStore saves n observations into the store at dbPath, as the plan's
// reporters would have filed them: month after month from the plan's start,
// one accepted submission per reporter and month, each received on the 3rd
// of the month after. It stops at n, part-way through a month if need be.
func fillStore(ctx context.Context, planDir, dbPath string, n int, seed uint64) (int, error) {
	p, err := plan.Load(planDir)
	if err != nil {
		return 0, fmt.Errorf("load plan: %w", err)
	}
	db, err := store.Open(dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	g := newFiller(p, seed)
	saved := 0
	for per := plan.PeriodOf(p.Start); saved < n && !per.FirstDay(plan.Monthly).After(p.End); per = per.AddMonths(1) {
		for _, unit := range g.reporters {
			if err := ctx.Err(); err != nil {
				return saved, err
			}
			obs := g.observations(unit, per, n-saved)
			if len(obs) == 0 {
				continue
			}
			sum := sha256.Sum256(fmt.Appendf(nil, "%d/%s/%s", seed, unit, per))
			next := per.AddMonths(1).FirstDay(plan.Monthly)
			sub := &plan.Submission{
				SHA256: hex.EncodeToString(sum[:]), PlanID: p.ID, Unit: unit, Source: "loadgen",
				FileName: unit + "-" + per.String() + ".xlsx", Period: per, Outcome: plan.Accepted,
				ReceivedAt: time.Date(next.Year, next.Month, 3, 10, 0, 0, 0, p.Location),
			}
			if err := db.SaveSubmission(ctx, sub, obs); err != nil {
				return saved, err
			}
			saved += len(obs)
			if saved >= n {
				break
			}
		}
	}
	return saved, nil
}

// filler makes each reporter's figures for a month: a steady pace towards
// the unit's share of the target, different for each unit and indicator.
type filler struct {
	p         *plan.Plan
	seed      uint64
	reporters []string
	files     map[string][]*plan.Indicator // reporter → indicators it files
	children  map[string][]string          // region → its child regions, in plan order
	months    float64
}

func newFiller(p *plan.Plan, seed uint64) *filler {
	g := &filler{p: p, seed: seed, files: map[string][]*plan.Indicator{}, children: map[string][]string{}}
	for _, u := range p.Units {
		if u.Kind == plan.Region && u.Parent != "" {
			g.children[u.Parent] = append(g.children[u.Parent], u.ID)
		}
	}
	for _, ind := range p.Indicators {
		for _, u := range ind.ReportedBy {
			if _, seen := g.files[u]; !seen {
				g.reporters = append(g.reporters, u)
			}
			g.files[u] = append(g.files[u], ind)
		}
	}
	g.months = float64((p.End.Year-p.Start.Year)*12 + int(p.End.Month) - int(p.Start.Month) + 1)
	return g
}

// rowUnits are the units a reporter's rows are about: itself, or for a
// regions indicator its own child regions, else every region.
func (g *filler) rowUnits(ind *plan.Indicator, reporter string) []string {
	if ind.Rows != plan.RowsRegions {
		return []string{reporter}
	}
	// Row units of a regions indicator are every region, so a reporter's own
	// are its child regions.
	if own := g.children[reporter]; len(own) > 0 {
		return own
	}
	return ind.RowUnits
}

// pace is a unit's speed on an indicator, from 0.7 to 1.2 of the plan's.
func (g *filler) pace(ind, unit string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%s", g.seed, ind, unit)
	return 0.7 + 0.5*float64(h.Sum64()%1000)/1000
}

func (g *filler) observations(reporter string, per plan.Period, limit int) []plan.Observation {
	var out []plan.Observation
	elapsed := float64((per.Year-g.p.Start.Year)*12+int(per.Month)-int(g.p.Start.Month)+1) / g.months
	for _, ind := range g.files[reporter] {
		units := g.rowUnits(ind, reporter)
		share := 1 / float64(len(ind.RowUnits))
		for _, u := range units {
			if len(out) >= limit {
				return out
			}
			s := math.Min(1, elapsed*g.pace(ind.ID, u))
			o := plan.Observation{Indicator: ind.ID, Unit: u, Period: per}
			switch ind.Kind {
			case plan.Level:
				v := math.Round((ind.Baseline + (ind.Target.Value-ind.Baseline)*s) * share)
				o.Value = &v
			case plan.Count:
				v := math.Round(ind.Target.Value * s * share)
				o.Value = &v
			case plan.Cumulative:
				v := math.Round(ind.Target.Value * s * share)
				o.Total = &v
			case plan.Ratio, plan.Coverage:
				den := float64(200 + int(g.pace(u, ind.ID)*1000))
				num := math.Min(den, math.Round(den*(ind.Baseline+(ind.Target.Value-ind.Baseline)*s)))
				o.Numerator, o.Denominator = &num, &den
			default:
				continue
			}
			out = append(out, o)
		}
	}
	return out
}
