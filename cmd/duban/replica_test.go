package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/duban-gov/duban/pkg/store/storetest"
)

// The two-replica test's lease: short, so that a takeover is seen within seconds.
const replicaLease = 2 * time.Second

// TestReplicasShareOneScheduler starts two `duban serve` processes, the real
// binary, on one PostgreSQL schema, with the deliver and alerts jobs ticking
// every second and a webhook receiver that counts what it gets. Both serve
// the API; one holds the scheduler lease and runs the jobs. The holder is
// killed with SIGKILL: the other takes the lease over within a lease and a
// renewal and runs the jobs from then on. In the database no job has run
// twice for one tick, and the receiver got no notification twice.
func TestReplicasShareOneScheduler(t *testing.T) {
	server := os.Getenv("DUBAN_TEST_POSTGRES")
	if server == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("DUBAN_TEST_POSTGRES is not set: the replica test needs PostgreSQL, and CI must run it (.ci/run starts one)")
		}
		t.Skip("DUBAN_TEST_POSTGRES is not set: the two-replica test needs PostgreSQL (it did not run)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "duban")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dsn := replicaSchema(t, server)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	var mu sync.Mutex
	got := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
	}))
	defer hook.Close()
	receivers := filepath.Join(dir, "receivers.yaml")
	if err := os.WriteFile(receivers, fmt.Appendf(nil, `apiVersion: duban/v1
kind: Receivers
receivers:
  - {name: hook, type: webhook, url: %q}
routes:
  - match: {}
    receivers: [hook]
`, hook.URL), 0o644); err != nil {
		t.Fatal(err)
	}

	replicas := map[int]*replicaProc{}
	for i := range 2 {
		r := startReplicaProc(t, bin, filepath.Join(dir, fmt.Sprintf("replica-%d", i)), dsn, receivers)
		replicas[r.cmd.Process.Pid] = r
	}
	for _, r := range replicas {
		if status := r.get(t, "/readyz"); status != http.StatusOK {
			t.Errorf("replica %d: /readyz %d", r.cmd.Process.Pid, status)
		}
	}

	// The holder runs the jobs for a few ticks.
	first := waitHolder(t, conn, 0, 10*time.Second)
	holder := replicas[first.pid]
	if holder == nil {
		t.Fatalf("the lease is held by %q, not by either replica", first.holder)
	}
	waitRuns(t, conn, first.holder, 4, 10*time.Second)

	if err := holder.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	holder.cmd.Wait()
	killed := time.Now()
	second := waitHolder(t, conn, first.pid, replicaLease+replicaLease/3+5*time.Second)
	took := time.Since(killed)
	t.Logf("replica %d killed holding token %d; replica %d took over with token %d after %v",
		first.pid, first.token, second.pid, second.token, took.Round(time.Millisecond))
	if took > replicaLease+replicaLease/3+2*time.Second {
		t.Errorf("takeover took %v, want within a lease and a renewal (%v)", took, replicaLease+replicaLease/3)
	}
	survivor := replicas[second.pid]
	if survivor == nil || second.token != first.token+1 {
		t.Fatalf("after the kill the lease is %+v, want the other replica's, token %d", second, first.token+1)
	}
	waitRuns(t, conn, second.holder, 4, 10*time.Second)
	if status := survivor.get(t, "/readyz"); status != http.StatusOK {
		t.Errorf("survivor: /readyz %d", status)
	}

	// In the database: each (job, tick) once; runs by the first holder under
	// its token and before the kill, then by the second under the next.
	rows, err := conn.Query(ctx, `SELECT job, tick, holder, token, started_at FROM job_runs ORDER BY tick, job`)
	if err != nil {
		t.Fatal(err)
	}
	perTick := map[string]int{}
	perHolder := map[string]int{}
	for rows.Next() {
		var job, h string
		var tick, started time.Time
		var token int64
		if err := rows.Scan(&job, &tick, &h, &token, &started); err != nil {
			t.Fatal(err)
		}
		perTick[job+" "+tick.UTC().Format(time.RFC3339Nano)]++
		perHolder[job+" by "+pidOf(h)]++
		switch {
		case h == first.holder && (token != first.token || started.After(killed)):
			t.Errorf("%s for %v ran by the killed replica under token %d at %v", job, tick, token, started)
		case h == second.holder && token != second.token:
			t.Errorf("%s for %v ran by the survivor under token %d, want %d", job, tick, token, second.token)
		case h != first.holder && h != second.holder:
			t.Errorf("%s for %v ran by %s, neither replica", job, tick, h)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for k, n := range perTick {
		if n != 1 {
			t.Errorf("%s ran %d times", k, n)
		}
	}
	t.Logf("runs: %v", perHolder)
	for _, want := range []string{"catch-up by " + strconv.Itoa(first.pid), "catch-up by " + strconv.Itoa(second.pid),
		"deliver by " + strconv.Itoa(first.pid), "deliver by " + strconv.Itoa(second.pid)} {
		if perHolder[want] == 0 {
			t.Errorf("no %s", want)
		}
	}

	// At the receiver: nothing twice, and everything the outbox calls sent, once.
	survivor.stop(t)
	sent := map[string]bool{}
	rows, err = conn.Query(ctx, `SELECT idempotency_key FROM outbox WHERE state = 'sent'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		sent[k] = true
	}
	mu.Lock()
	defer mu.Unlock()
	for k, n := range got {
		if n != 1 {
			t.Errorf("notification %s arrived %d times", k, n)
		}
	}
	for k := range sent {
		if got[k] != 1 {
			t.Errorf("notification %s is sent, but arrived %d times", k, got[k])
		}
	}
	if len(sent) == 0 {
		t.Error("no notification was sent")
	}
	t.Logf("%d notifications arrived, %d recorded as sent", len(got), len(sent))
}

// replicaProc is one `duban serve` process.
type replicaProc struct {
	cmd  *exec.Cmd
	log  *lockedBuffer
	addr string
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startReplicaProc(t *testing.T, bin, data, dsn, receivers string) *replicaProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--db", dsn,
		"--plan", shippedPlan, "--as-of", "2022-10-15", "--receivers", receivers, "--log-format", "json")
	cmd.Env = append(os.Environ(), "DUBAN_LEASE="+replicaLease.String(),
		"DUBAN_SCHEDULES=deliver=@every 1s;alerts=@every 1s;evaluate=@every 1s;inbox=")
	r := &replicaProc{cmd: cmd, log: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = io.Discard, r.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("replica %d log:\n%s", cmd.Process.Pid, r.log.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for r.addr == "" {
		if time.Now().After(deadline) {
			t.Fatalf("replica did not start serving:\n%s", r.log.String())
		}
		time.Sleep(50 * time.Millisecond)
		sc := bufio.NewScanner(strings.NewReader(r.log.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" {
				r.addr = line.Addr
			}
		}
	}
	return r
}

func (r *replicaProc) get(t *testing.T, path string) int {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + path)
	if err != nil {
		t.Errorf("GET %s: %v", path, err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// stop stops the process as an operator would, with SIGTERM, and waits for it.
func (r *replicaProc) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("replica exited: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("replica did not stop within 30s of SIGTERM")
	}
}

// leaseHolder is the scheduler lease as the database has it.
type leaseHolder struct {
	holder string
	pid    int
	token  int64
}

// pidOf reads the process id out of a holder name (host/pid/random).
func pidOf(holder string) string {
	parts := strings.Split(holder, "/")
	if len(parts) < 3 {
		return holder
	}
	return parts[len(parts)-2]
}

// waitHolder waits for a live lease held by a process other than not.
func waitHolder(t *testing.T, conn *pgx.Conn, not int, within time.Duration) leaseHolder {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var l leaseHolder
		err := conn.QueryRow(context.Background(),
			`SELECT holder, token FROM leases WHERE expires_at > now()`).Scan(&l.holder, &l.token)
		if err == nil {
			l.pid, _ = strconv.Atoi(pidOf(l.holder))
			if l.pid != not {
				return l
			}
		} else if err != pgx.ErrNoRows {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica but %d took the lease within %v", not, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRuns waits until holder has recorded n deliver runs.
func waitRuns(t *testing.T, conn *pgx.Conn, holder string, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var c int
		if err := conn.QueryRow(context.Background(),
			`SELECT count(*) FROM job_runs WHERE holder = $1 AND job = 'deliver'`, holder).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s recorded %d deliver runs in %v, want %d", holder, c, within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// replicaSchema makes a fresh schema on the server, dropped at the end, and
// returns the server's URL with its search_path.
func replicaSchema(t *testing.T, server string) string { return storetest.Schema(t, server) }
