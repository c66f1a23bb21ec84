package api

import (
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// TestEvalKey: one key through a day, another at its midnight — which is
// the end of the day before, judged complete — and another once a
// submission comes or the plan reloads.
func TestEvalKey(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Location: loc}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	morning := newEvalKey(p, 1, at("2022-10-15 09:00"), 10, 42)
	for _, tt := range []struct {
		name string
		key  evalKey
		same bool
	}{
		{"later the same day", newEvalKey(p, 1, at("2022-10-15 23:59"), 10, 42), true},
		{"the same instant in UTC", newEvalKey(p, 1, at("2022-10-15 09:00").UTC(), 10, 42), true},
		{"that day's midnight", newEvalKey(p, 1, at("2022-10-15 00:00"), 10, 42), false},
		{"the end of that day", newEvalKey(p, 1, at("2022-10-16 00:00"), 10, 42), false},
		{"the next day", newEvalKey(p, 1, at("2022-10-16 09:00"), 10, 42), false},
		{"a new submission", newEvalKey(p, 1, at("2022-10-15 09:00"), 11, 43), false},
		{"a submission that caught up with the cutoff", newEvalKey(p, 1, at("2022-10-15 09:00"), 11, 42), false},
		{"a reloaded plan", newEvalKey(p, 2, at("2022-10-15 09:00"), 10, 42), false},
	} {
		if (tt.key == morning) != tt.same {
			t.Errorf("%s: same key = %v, want %v", tt.name, tt.key == morning, tt.same)
		}
	}
}

func TestEvalCacheEvicts(t *testing.T) {
	var c evalCache
	for i := range cacheSize + 3 {
		c.put(evalKey{gen: int64(i)}, &evalEntry{})
	}
	if _, ok := c.get(evalKey{gen: 0}); ok {
		t.Error("the oldest entry is still kept past the cache's size")
	}
	if _, ok := c.get(evalKey{gen: cacheSize + 2}); !ok {
		t.Error("the newest entry is not kept")
	}
	if len(c.byKey) != cacheSize || len(c.order) != cacheSize {
		t.Errorf("%d entries kept, want %d", len(c.byKey), cacheSize)
	}
}
