package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/duban-gov/duban/pkg/web"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	echarts := http.StatusNotFound
	if web.HasCharts() {
		echarts = http.StatusOK
	}
	for _, tt := range []struct {
		method, path string
		status       int
		contentType  string // prefix
		contains     string
		cache        string
	}{
		{"GET", "/", 200, "text/html", `<script type="module" src="js/app.js">`, "no-store"},
		{"GET", "/index.html", 301, "", "", ""},
		{"GET", "/js/app.js", 200, "text/javascript", "takeTokenFromURL", "no-cache"},
		{"GET", "/js/board.js", 200, "text/javascript", "renderBoard", "no-cache"},
		{"GET", "/app.css", 200, "text/css", "--critical: #e53935", "no-cache"},
		{"HEAD", "/", 200, "text/html", "", "no-store"},
		{"GET", "/vendor/echarts.min.js", echarts, "", "", ""},
		{"GET", "/no-such-file.js", 404, "", "", ""},
		{"POST", "/", 405, "", "", ""},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %q…", ct, tt.contentType)
			}
			if tt.contains != "" && !strings.Contains(string(body), tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
			if cc := res.Header.Get("Cache-Control"); tt.cache != "" && cc != tt.cache {
				t.Errorf("Cache-Control %q, want %q", cc, tt.cache)
			}
		})
	}
}

// TestReferences fails when the page names a file that is not embedded: a
// script, a stylesheet or a module imported by another module.
func TestReferences(t *testing.T) {
	fsys := web.FS()
	attr := regexp.MustCompile(`(?:src|href)="([^"#:]+)"`)
	imp := regexp.MustCompile(`(?m)^import [^;]*? from '([^']+)';`)
	index, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{} // file → who names it
	for _, m := range attr.FindAllStringSubmatch(string(index), -1) {
		refs[m[1]] = "index.html"
	}
	modules, err := fs.Glob(fsys, "js/*.js")
	if err != nil || len(modules) == 0 {
		t.Fatalf("no modules: %v", err)
	}
	for _, mod := range modules {
		b, err := fs.ReadFile(fsys, mod)
		if err != nil {
			t.Fatal(err)
		}
		ms := imp.FindAllStringSubmatch(string(b), -1)
		if mod == "js/app.js" && len(ms) < 5 {
			t.Errorf("app.js imports %d modules; the pattern no longer reads its imports", len(ms))
		}
		for _, m := range ms {
			refs[path.Join(path.Dir(mod), m[1])] = mod
		}
	}
	if len(refs) < 10 {
		t.Fatalf("found only %d references: %v", len(refs), refs)
	}
	for ref, from := range refs {
		if ref == "vendor/echarts.min.js" {
			continue // optional: make web copies it; the page works without it
		}
		if _, err := fs.Stat(fsys, ref); err != nil {
			t.Errorf("%s names %s, which is not embedded", from, ref)
		}
	}
	if _, err := fs.Stat(fsys, "vendor/README"); err != nil {
		t.Errorf("vendor/README is what keeps go:embed working on a clone without make web: %v", err)
	}
}

// TestStatusColours guards the colours the Excel briefing uses too: a supervisor
// reads the same colour as the same status on paper and on screen.
func TestStatusColours(t *testing.T) {
	css, err := fs.ReadFile(web.FS(), "app.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ status, colour string }{
		{"achieved", "#2e7d32"},
		{"on_track", "#1e88e5"},
		{"lagging", "#f9a825"},
		{"critical", "#e53935"},
		{"missed", "#8e0000"},
		{"no_data", "#9e9e9e"},
		{"not_started", "#e0e0e0"},
	} {
		if !strings.Contains(string(css), "--"+tt.status+": "+tt.colour+";") {
			t.Errorf("app.css: --%s is not %s", tt.status, tt.colour)
		}
		if !strings.Contains(string(css), ".s-"+tt.status+" {") {
			t.Errorf("app.css: no .s-%s class", tt.status)
		}
	}
}
