package webtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Window size of the browser, a common laptop viewport. Full-page
// screenshots grow beyond it as needed.
const (
	windowWidth  = 1280
	windowHeight = 900
)

// candidates are the browser executables NewBrowser looks for, in order,
// after ODN_CHROME. Absolute paths are tried as is, names on $PATH.
var candidates = []string{
	"/usr/bin/chromium",
	"chromium",
	"chromium-browser",
	"google-chrome",
	"google-chrome-stable",
	"chrome",
	"headless-shell",
}

// Strict reports whether ODN_TEST_STRICT asks that suites never be skipped.
func Strict() bool {
	switch strings.ToLower(os.Getenv("ODN_TEST_STRICT")) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// FindBrowser returns the path of the browser NewBrowser would start, or
// "" when none is installed.
func FindBrowser() string {
	if p := os.Getenv("ODN_CHROME"); p != "" {
		return p // checked when started: a wrong setting must fail, not skip
	}
	return findIn(candidates)
}

func findIn(names []string) string {
	for _, n := range names {
		if filepath.IsAbs(n) {
			if fi, err := os.Stat(n); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return n
			}
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// NewBrowser starts a headless Chromium with a fresh profile for the test
// and returns a chromedp context on its first tab; the browser stops when
// the test ends. The context expires a little before the test binary's
// -timeout, so a hung page fails the test with an error rather than a
// panic. Without a browser the test is skipped, or fails under
// ODN_TEST_STRICT=1.
//
// When the test fails and ODN_SCREENSHOT_DIR is set, the page as it was at
// the end is saved there.
func NewBrowser(t testing.TB) context.Context {
	t.Helper()
	path := FindBrowser()
	if path == "" {
		msg := "webtest: no Chromium found: browser tests are SKIPPED " +
			"(apt-get install chromium, or set ODN_CHROME=/path/to/chrome)"
		if Strict() {
			t.Fatal(msg + "; failing because ODN_TEST_STRICT is set")
		}
		t.Skip(msg)
	}

	// The profile dir is removed by our own cleanup, after the browser has
	// exited, with retries: Chromium's helpers can still be writing there.
	profile := filepath.Join(t.TempDir(), "profile")
	logf := newGuardedLogf(t)
	var output tailBuffer

	opts := slices.Clone(chromedp.DefaultExecAllocatorOptions[:])
	opts = append(opts,
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,MediaRouter,OptimizationHints"),
		// Deterministic language; tests of French pages set Accept-Language.
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(windowWidth, windowHeight),
		chromedp.CombinedOutput(&output),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root (CI containers).
		opts = append(opts, chromedp.NoSandbox)
	}

	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf.logf), chromedp.WithErrorf(logf.logf))
	cleanup := func() {
		allocCancel() // waits for the browser process to exit
		logf.stop()
		if err := removeAllRetry(profile); err != nil {
			t.Logf("webtest: remove browser profile: %v", err)
		}
	}

	// The first Run starts the browser; it must use the context without a
	// deadline, which would otherwise bound the browser's whole life.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cleanup()
		t.Fatalf("webtest: start %s: %v\n%s", path, err, output.String())
	}
	t.Cleanup(func() {
		// Close the browser gracefully, killing it after a while. Cancel
		// cancels ctx too; calling cancel as well would wait forever.
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		if err := chromedp.Cancel(cctx); err != nil {
			logf.logf("close browser: %v", err)
		}
		cleanup()
	})

	// Runs before stop (cleanups run last-in first-out).
	t.Cleanup(func() {
		if dir := os.Getenv("ODN_SCREENSHOT_DIR"); dir != "" && t.Failed() {
			sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
			defer scancel()
			p := filepath.Join(dir, fileName(t.Name())+"--failure.png")
			if err := saveScreenshot(sctx, p); err != nil {
				t.Logf("webtest: screenshot of the failed page: %v", err)
			} else {
				t.Logf("webtest: screenshot of the failed page: %s", p)
			}
		}
	})

	if deadline, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if d, ok := deadline.Deadline(); ok {
			tctx, tcancel := context.WithDeadline(ctx, d.Add(-5*time.Second))
			t.Cleanup(tcancel)
			return tctx
		}
	}
	return ctx
}

// Screenshot saves a full-page PNG of the current page as NAME.png in a
// temp dir of the test, and also in $ODN_SCREENSHOT_DIR when set (where
// the file name starts with the test's name), and logs where.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("webtest: screenshot %s: %v", name, err)
	}
	paths := []string{filepath.Join(t.TempDir(), fileName(name)+".png")}
	if dir := os.Getenv("ODN_SCREENSHOT_DIR"); dir != "" {
		paths = append(paths, filepath.Join(dir, fileName(t.Name())+"--"+fileName(name)+".png"))
	}
	for _, p := range paths {
		if err := writeFile(p, png); err != nil {
			t.Fatalf("webtest: screenshot %s: %v", name, err)
		}
		t.Logf("webtest: screenshot %s", p)
	}
}

// saveScreenshot writes a full-page PNG of the current page to path.
func saveScreenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		return err
	}
	return writeFile(path, png)
}

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}

// fileName makes s safe as a file name: test names hold slashes.
func fileName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	s = strings.TrimLeft(s, ".")
	if s == "" {
		s = "page"
	}
	return s
}

// removeAllRetry removes dir, retrying while processes that outlived the
// browser still create files in it.
func removeAllRetry(dir string) error {
	var err error
	for range 40 {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// guardedLogf forwards chromedp's logs to t.Logf until stop, since
// logging after a test has ended panics.
type guardedLogf struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func newGuardedLogf(t testing.TB) *guardedLogf { return &guardedLogf{t: t} }

func (g *guardedLogf) logf(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.t.Logf("chromedp: "+format, args...)
	}
}

func (g *guardedLogf) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

// tailBuffer keeps the last 64 KiB written to it: the browser's output,
// shown when it fails to start.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 64 << 10

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - tailMax; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(bytes.TrimSpace(b.buf))
}

// NewTab opens another tab in the browser of ctx (a context from
// NewBrowser), closed when t ends. It shares cookies with the other tabs;
// see NewSession for a second, separate visitor. Opening a tab is much
// cheaper than starting a browser.
func NewTab(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	return newTab(t, ctx)
}

// NewSession opens a tab in a new browser context of the browser of ctx:
// its own cookies and storage, as a second visitor (another user signed
// in at the same time). It is closed when t ends.
func NewSession(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	return newTab(t, ctx, chromedp.WithNewBrowserContext())
}

func newTab(t testing.TB, ctx context.Context, opts ...chromedp.ContextOption) context.Context {
	t.Helper()
	if c := chromedp.FromContext(ctx); c == nil || c.Browser == nil {
		t.Fatal("webtest: NewTab and NewSession need a context from NewBrowser")
	}
	tab, cancel := chromedp.NewContext(ctx, opts...)
	if err := chromedp.Do(tab); err != nil {
		cancel()
		t.Fatalf("webtest: open tab: %v", err)
	}
	t.Cleanup(cancel)
	return tab
}
