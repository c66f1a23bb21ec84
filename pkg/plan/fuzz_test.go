package plan_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/duban-gov/duban/pkg/plan"
)

// FuzzLoad feeds arbitrary bytes to the loader as a task file beside a good
// plan: whatever the bytes, Load returns a plan or problems, never panics, and
// never returns both.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{"testdata/good/tasks/tasks.yaml", "testdata/bad/tasks/tasks.yaml"} {
		b, err := os.ReadFile(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("apiVersion: duban/v1\nkind: Tasks\ntasks: [{id: &a x, title: *a}]\n"))
	f.Add([]byte("apiVersion: duban/v1\nkind: Calendar\nfrom: 2022-01-01\nto: 2021-01-01\n"))
	base, err := os.ReadDir("testdata/good")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, e := range base {
			if e.IsDir() {
				continue
			}
			b, _ := os.ReadFile(filepath.Join("testdata/good", e.Name()))
			os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
		}
		os.WriteFile(filepath.Join(dir, "fuzz.yaml"), data, 0o644)
		p, err := plan.Load(dir)
		if (p == nil) == (err == nil) {
			t.Fatalf("Load returned plan %v and error %v", p != nil, err)
		}
		if ps, ok := err.(plan.Problems); ok && len(ps) == 0 {
			t.Fatal("empty Problems returned as an error")
		}
	})
}
