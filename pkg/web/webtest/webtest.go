// Package webtest drives the dashboard in headless Chromium for tests: it
// starts the browser, runs steps with a time limit, reads and waits on the
// page, and keeps screenshots. It is imported by tests only.
package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// StepTimeout is how long one browser step may take before the test fails
// rather than hangs.
const StepTimeout = 30 * time.Second

// Browser starts headless Chromium (Debian's chromium package) for the test,
// or skips the test when it is not installed — except under CI, where a
// missing browser is a failure.
func Browser(t *testing.T) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if _, statErr := os.Stat("/usr/bin/chromium"); statErr != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("chromium is not installed; .ci/run installs Debian's chromium package")
			}
			t.Skip("chromium is not installed (apt-get install chromium): the browser test did not run")
		}
		bin = "/usr/bin/chromium"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, which lives as long as ctx: no time limit on it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Run runs steps in order, each within StepTimeout, and names the step that failed.
func Run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, step := range steps {
		sctx, cancel := context.WithTimeout(ctx, StepTimeout)
		err := chromedp.Do(sctx, step)
		cancel()
		if err != nil {
			t.Fatalf("browser step %d: %v", i+1, err)
		}
	}
}

// Eval evaluates a JavaScript expression in the page into v.
func Eval[T any](expr string, v *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		r, err := chromedp.Evaluate[T](expr)(ctx, tg)
		if err != nil {
			return fmt.Errorf("%s: %w", expr, err)
		}
		*v = r
		return nil
	})
}

// Wait waits until a JavaScript condition holds in the page.
func Wait(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Poll[chromedp.Void](cond)(ctx, tg); err != nil {
			return fmt.Errorf("waiting for %s: %w", cond, err)
		}
		return nil
	})
}

// Screenshot keeps a PNG of the page (whole, or the window when a panel is
// open) in the test's temporary folder and, when dir is set, in dir.
func Screenshot(t *testing.T, ctx context.Context, name string, full bool, dir string) {
	t.Helper()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dirs := []string{t.TempDir()}
	if dir != "" {
		dirs = append(dirs, dir)
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
