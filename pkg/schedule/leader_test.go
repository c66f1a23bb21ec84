package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestTickOf(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m, s, ms int) time.Time {
		return time.Date(2022, 10, 17, h, m, s, ms*int(time.Millisecond), shanghai)
	}
	tests := []struct {
		spec string
		now  time.Time
		want time.Time
	}{
		// Cron fires a little after the activation: the tick is the activation.
		{"*/15 * * * *", at(10, 15, 0, 3), at(10, 15, 0, 0)},
		{"*/15 * * * *", at(10, 29, 59, 999), at(10, 15, 0, 0)},
		{"0 * * * *", at(10, 0, 0, 20), at(10, 0, 0, 0)},
		{"30 8 * * 1-5", at(10, 0, 0, 0), at(8, 30, 0, 0)}, // a Monday
		{"0 9 1 * *", at(10, 0, 0, 0), time.Date(2022, 10, 1, 9, 0, 0, 0, shanghai)},
		// @every: the interval's multiple the run falls in, whenever the ticker started.
		{"@every 15s", at(10, 0, 7, 500), at(10, 0, 0, 0)},
		{"@every 15s", at(10, 0, 15, 1), at(10, 0, 15, 0)},
		{"@every 1m", at(10, 0, 59, 999), at(10, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.spec+" "+tt.now.Format("15:04:05.000"), func(t *testing.T) {
			s, err := cron.ParseStandard(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := tickOf(s, tt.now); !got.Equal(tt.want) {
				t.Errorf("tickOf = %v, want %v", got, tt.want)
			}
		})
	}
	// Runs of an @every job a whole interval apart, however late each fires,
	// never share a tick.
	every, _ := cron.ParseStandard("@every 15s")
	start := at(10, 0, 3, 250)
	seen := map[time.Time]bool{}
	for i := 1; i <= 40; i++ {
		fired := every.Next(start.Add(time.Duration(i-1) * 15 * time.Second)).Add(time.Duration(i%7) * time.Millisecond)
		tick := tickOf(every, fired)
		if seen[tick] {
			t.Fatalf("run %d at %v shares tick %v with an earlier run", i, fired, tick)
		}
		seen[tick] = true
		// Another replica, whose ticker started at another instant, fires
		// within the same interval: the same tick.
		other := tick.Add(time.Duration(i%15) * time.Second)
		if got := tickOf(every, other); !got.Equal(tick) {
			t.Errorf("a run at %v names tick %v, want %v", other, got, tick)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		lease, schedules string
		wantLease        time.Duration
		want             Schedules
		wantErrs         []string
	}{
		{"", "", 0, DefaultSchedules, nil},
		{"5s", "deliver=@every 1s; alerts=@every 2s", 5 * time.Second,
			Schedules{Inbox: "@every 1m", Evaluate: "0 * * * *", Alerts: "@every 2s", Deliver: "@every 1s"}, nil},
		{"", "inbox=", 0, Schedules{Evaluate: "0 * * * *", Alerts: "*/15 * * * *", Deliver: "@every 15s"}, nil},
		{"soon", "deliver=@every 1s;coffee=@hourly;alerts=61 * * * *;evaluate", 0,
			Schedules{Inbox: "@every 1m", Evaluate: "0 * * * *", Alerts: "*/15 * * * *", Deliver: "@every 1s"},
			[]string{"DUBAN_LEASE", "coffee", "alerts", "evaluate"}},
		{"-1s", "", 0, DefaultSchedules, []string{"positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.lease+"|"+tt.schedules, func(t *testing.T) {
			cfg := Config{Schedules: DefaultSchedules}
			errs := fromEnv(&cfg, func(k string) string {
				return map[string]string{LeaseEnv: tt.lease, SchedulesEnv: tt.schedules}[k]
			})
			if cfg.Lease != tt.wantLease || cfg.Schedules != tt.want {
				t.Errorf("lease %v schedules %+v, want %v %+v", cfg.Lease, cfg.Schedules, tt.wantLease, tt.want)
			}
			msg := errors.Join(errs...)
			if len(errs) != len(tt.wantErrs) {
				t.Fatalf("errors %v, want %d", msg, len(tt.wantErrs))
			}
			for i, w := range tt.wantErrs {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %v, want it to mention %s", i, errs[i], w)
				}
			}
		})
	}
}
