// Package web is the dashboard: a battle map (挂图) of the plan, the timeline
// (作战图), unit rankings, alerts and an upload page, as static files embedded
// in the binary. The page draws everything from the JSON API under /api/v1,
// so this package serves files and knows nothing else of duban.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// static holds the page. static/vendor holds the chart library that `make web`
// copies from npm; on a clone where it has not run, only its README is there
// and the page draws everything but the charts.
//
//go:embed static
var static embed.FS

// FS is the dashboard's files, rooted at the folder that index.html is in.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	return sub
}

// HasCharts reports whether the chart library was embedded, that is whether
// `make web` ran before the build.
func HasCharts() bool {
	_, err := fs.Stat(FS(), "vendor/echarts.min.js")
	return err == nil
}

// Handler serves the dashboard at the root of whatever path it is mounted on.
// index.html is never cached, so that a new binary's page is picked up at once;
// scripts and styles are revalidated on each load (they are small and local).
func Handler() http.Handler {
	files := http.FileServerFS(FS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := path.Clean("/" + r.URL.Path)
		if p == "/" || p == "/index.html" {
			w.Header().Set("Cache-Control", "no-store")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		if strings.HasSuffix(p, ".js") {
			// Module scripts must be served as JavaScript; do not leave it to the host's mime table.
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
