package ingest

import (
	"sort"
	"strings"

	"github.com/duban-gov/duban/pkg/plan"
)

// unitIndex finds units by what clerks type: id, name or alias, with
// full-width forms narrowed and spaces dropped on both sides.
type unitIndex struct {
	byKey map[string]string // normalised name → unit id
	names map[string]string // unit id → display name
	keys  []string          // every normalised name, for suggestions
}

func unitKey(s string) string {
	s = clean(s)
	return strings.Join(strings.Fields(s), "")
}

func newUnitIndex(p *plan.Plan) *unitIndex {
	ix := &unitIndex{byKey: map[string]string{}, names: map[string]string{}}
	for _, u := range p.Units {
		ix.names[u.ID] = u.Name
		for _, ref := range append([]string{u.ID, u.Name}, u.Aliases...) {
			k := unitKey(ref)
			if _, dup := ix.byKey[k]; !dup && k != "" {
				ix.byKey[k] = u.ID
				ix.keys = append(ix.keys, k)
			}
		}
	}
	return ix
}

// lookup finds the unit a clerk named. It never guesses: a near miss is not a match.
func (ix *unitIndex) lookup(s string) (string, bool) {
	id, ok := ix.byKey[unitKey(s)]
	return id, ok
}

// suggest lists the display names of units among allowed (all units when
// nil) whose names are within a small edit distance of s, nearest first.
func (ix *unitIndex) suggest(s string, allowed []string) []string {
	k := []rune(unitKey(s))
	if len(k) == 0 {
		return nil
	}
	ok := map[string]bool{}
	for _, id := range allowed {
		ok[id] = true
	}
	type cand struct {
		name string
		d    int
	}
	best := map[string]int{}
	for _, key := range ix.keys {
		id := ix.byKey[key]
		if allowed != nil && !ok[id] {
			continue
		}
		d := editDistance(k, []rune(key))
		limit := 1
		if len(k) >= 4 {
			limit = 2
		}
		if d <= limit || (len(k) >= 2 && strings.HasPrefix(key, string(k[:2])) && d <= 3) {
			name := ix.names[id]
			if old, seen := best[name]; !seen || d < old {
				best[name] = d
			}
		}
	}
	var cs []cand
	for n, d := range best {
		cs = append(cs, cand{n, d})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i, c := range cs {
		if i == 3 {
			break
		}
		out = append(out, c.name)
	}
	return out
}

func editDistance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
