package evaluate_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/evaluate"
	"github.com/duban-gov/duban/pkg/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden evaluates the plan in testdata/plan, loaded as rule files, with
// the observations in testdata/observations.json at several as-of instants,
// and compares everything it says, reasons included, with the golden files.
// Run `go test ./pkg/evaluate -run Golden -update` after a deliberate change
// and read the diff.
func TestGolden(t *testing.T) {
	p, err := plan.Load(filepath.Join("testdata", "plan"))
	if err != nil {
		t.Fatalf("load plan: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "observations.json"))
	if err != nil {
		t.Fatal(err)
	}
	var obs []plan.Observation
	if err := json.Unmarshal(raw, &obs); err != nil {
		t.Fatalf("observations: %v", err)
	}
	for _, asOf := range []string{"2022-02-10", "2022-09-30", "2023-01-20"} {
		t.Run(asOf, func(t *testing.T) {
			at := d(asOf).End(p.Location)
			got := struct {
				AsOf        time.Time                   `json:"as_of"`
				Evaluations []evaluate.Evaluation       `json:"evaluations"`
				Tasks       map[string]plan.Status      `json:"tasks"`
				Series      map[string][]evaluate.Point `json:"series"`
			}{AsOf: at, Series: map[string][]evaluate.Point{}}
			got.Evaluations = evaluate.Evaluate(p, obs, at)
			got.Tasks = evaluate.TaskStatuses(p, got.Evaluations)
			for _, ind := range p.Indicators {
				got.Series[ind.ID] = evaluate.Series(p, ind, obs, at)
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			path := filepath.Join("testdata", "golden", asOf+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("evaluation as of %s differs from %s; run with -update and read the diff:\n%s", asOf, path, firstDiff(string(want), string(b)))
			}
		})
	}
}

// firstDiff shows the first line where two texts part.
func firstDiff(want, got string) string {
	wl, gl := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n want " + string(w) + "\n  got " + string(g)
		}
	}
	return ""
}
