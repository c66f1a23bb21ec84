package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The fault tests run the real binary: built once per test run, into a
// temporary folder that TestMain removes.
var dubanBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dubanBuild.dir != "" {
		os.RemoveAll(dubanBuild.dir)
	}
	os.Exit(code)
}

// dubanBinary builds cmd/duban (once) and returns the binary's path.
func dubanBinary(t *testing.T) string {
	t.Helper()
	dubanBuild.once.Do(func() {
		dubanBuild.dir, dubanBuild.err = os.MkdirTemp("", "duban-fault-bin-")
		if dubanBuild.err != nil {
			return
		}
		dubanBuild.path = filepath.Join(dubanBuild.dir, "duban")
		out, err := exec.Command("go", "build", "-o", dubanBuild.path, ".").CombinedOutput()
		if err != nil {
			dubanBuild.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if dubanBuild.err != nil {
		t.Fatal(dubanBuild.err)
	}
	return dubanBuild.path
}

// service is one `duban serve` process started by a test.
type service struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	logMu  sync.Mutex
	log    []map[string]any // the JSON log lines so far
	logRaw bytes.Buffer
	exited chan struct{}
	err    error // the process's exit, once exited is closed
}

// startService starts `duban serve` on a free port of 127.0.0.1 with its data
// folder, its database and the shipped plan, the clock stopped at asOf, and
// waits until it listens.
func startService(t *testing.T, data, db, asOf string, extra ...string) *service {
	t.Helper()
	planDir, err := filepath.Abs(shippedPlan)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--db", db, "--plan", planDir,
		"--as-of", asOf, "--log-format", "json"}, extra...)
	cmd := exec.Command(dubanBinary(t), args...)
	cmd.Env = dubanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &service{t: t, cmd: cmd, exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			var line map[string]any
			json.Unmarshal(sc.Bytes(), &line)
			s.logMu.Lock()
			s.logRaw.Write(sc.Bytes())
			s.logRaw.WriteByte('\n')
			if line != nil {
				s.log = append(s.log, line)
			}
			s.logMu.Unlock()
		}
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.stop)
	line := s.waitLog("serving", 30*time.Second)
	addr, _ := line["addr"].(string)
	if addr == "" {
		t.Fatalf("no address in the serving line %v", line)
	}
	s.url = "http://" + addr
	return s
}

// dubanEnv is the test's environment without DUBAN_* settings, so that only
// the flags given set the service up, but for a short lease on the scheduled
// jobs: a service restarted after a kill takes over from its dead self within
// seconds instead of the default half a minute.
func dubanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DUBAN_") {
			out = append(out, kv)
		}
	}
	return append(out, "TZ=Asia/Shanghai", "DUBAN_LEASE=2s")
}

// waitLog waits for a log line whose msg is msg and returns it.
func (s *service) waitLog(msg string, timeout time.Duration) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s.logMu.Lock()
		for _, l := range s.log {
			if l["msg"] == msg {
				s.logMu.Unlock()
				return l
			}
		}
		s.logMu.Unlock()
		select {
		case <-s.exited:
			s.t.Fatalf("duban serve exited (%v) before logging %q:\n%s", s.err, msg, s.logText())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q in the log after %s:\n%s", msg, timeout, s.logText())
		}
	}
}

// logText is the log so far.
func (s *service) logText() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.logRaw.String()
}

// running reports whether the process is still up.
func (s *service) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *service) kill() {
	s.t.Helper()
	s.cmd.Process.Kill()
	<-s.exited
}

// stop asks the service to shut down (SIGTERM) and waits, killing it if it
// takes too long.
func (s *service) stop() {
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// call makes one request with a bearer token ("" for none).
func (s *service) call(method, path, token string, body io.Reader, ctype string) (int, []byte, error) {
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := faultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

var faultClient = &http.Client{Timeout: 2 * time.Minute}

// upload posts a file as the multipart field file, with form fields.
func (s *service) upload(token, name string, content []byte, fields map[string]string) (int, []byte, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		return 0, nil, err
	}
	fw.Write(content)
	w.Close()
	return s.call("POST", "/api/v1/submissions", token, &buf, w.FormDataContentType())
}

// healthy checks that the service is up and answers /healthz.
func (s *service) healthy(t *testing.T) {
	t.Helper()
	if !s.running() {
		t.Fatalf("the service is gone (%v):\n%s", s.err, s.logText())
	}
	status, b, err := s.call("GET", "/healthz", "", nil, "")
	if err != nil || status != 200 {
		t.Fatalf("/healthz: %d %s %v", status, b, err)
	}
}

// createToken makes a token with `duban token create` against the database,
// the way an operator does before the service starts.
func createToken(t *testing.T, db, role, unit string) string {
	t.Helper()
	planDir, _ := filepath.Abs(shippedPlan)
	args := []string{"token", "create", "--db", db, "--plan", planDir, "--role", role}
	if unit != "" {
		args = append(args, "--unit", unit)
	}
	cmd := exec.Command(dubanBinary(t), args...)
	cmd.Env = dubanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duban token create: %v: %s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// recordsWorkbook writes 市政数局's data-sharing records for 2022-09: n rows,
// each one observation, in the layout ingest reads from a clerk's own workbook.
// tag makes the bytes differ between calls.
func recordsWorkbook(t *testing.T, path string, n int, tag string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"报送期", "2022-09"})
	sw.SetRow("A2", []any{"需求编号", "申请日期", "完成对接日期"})
	start := time.Date(2022, 9, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		req := start.AddDate(0, 0, i%28)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("GX-%s-%06d", tag, i), req, req.AddDate(0, 0, 1+i%3)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetName("Sheet1", "共享数据对接"); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// fileSHA is a file's SHA-256 in hex.
func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
