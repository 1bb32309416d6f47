package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
)

// reportAt pins the report tests' instant, as the README's commands do.
const reportAt = "2026-11-23T10:54:09"

// exampleCopy copies a bundled example into a temporary directory, so that
// the sandbox's state never lands in the repository.
func exampleCopy(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := copyTree(filepath.Join("..", "..", "..", "examples", name), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The report of each example, in Markdown and JSON, against the golden
// files in testdata/report (ACCORD_UPDATE_GOLDEN=1 rewrites them).
func TestReportGolden(t *testing.T) {
	for _, ex := range []string{"quickstart", "brand-multichannel"} {
		dir := exampleCopy(t, ex)
		for _, format := range []string{"markdown", "json"} {
			t.Run(ex+"/"+format, func(t *testing.T) {
				code, out, errOut := runCLI("report", "--dir", dir, "--at", reportAt, "--format", format)
				if code != ExitOK {
					t.Fatalf("exit %d\n%s", code, errOut)
				}
				ext := map[string]string{"markdown": ".md", "json": ".json"}[format]
				golden := filepath.Join("testdata", "report", ex+ext)
				if os.Getenv("ACCORD_UPDATE_GOLDEN") == "1" {
					if err := os.MkdirAll(filepath.Dir(golden), 0o750); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(out), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatal(err)
				}
				if string(want) != out {
					t.Errorf("the report differs from %s (ACCORD_UPDATE_GOLDEN=1 rewrites it):\n%s", golden, out)
				}
			})
		}
	}
}

// The HTML page parses, holds the four sections and the pictures, and its
// units listed per channel are what accord desired lists.
func TestReportHTML(t *testing.T) {
	dir := exampleCopy(t, "brand-multichannel")
	out := filepath.Join(t.TempDir(), "playbook.html")
	if code, _, errOut := runCLI("report", "--dir", dir, "--at", reportAt, "--out", out); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(f)
	_ = f.Close() // read only
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]bool{}
	units := map[string]int64{}
	svgs := 0
	var externals []string
	var walk func(n *html.Node, channel string)
	walk = func(n *html.Node, channel string) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			switch n.Data {
			case "section":
				sections[attr["id"]] = true
			case "tr":
				if c, ok := attr["data-channel"]; ok {
					channel = c
				}
			case "td":
				if v, ok := attr["data-units"]; ok {
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						t.Errorf("data-units %q", v)
					}
					units[channel] = n
				}
			case "svg":
				if attr["width"] != "" && attr["width"] != "0" && attr["height"] != "0" {
					svgs++
				}
			case "script", "link", "img", "iframe":
				externals = append(externals, n.Data)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, channel)
		}
	}
	walk(doc, "")
	for _, id := range []string{"inventory", "pricing", "content", "risks"} {
		if !sections[id] {
			t.Errorf("no section %q", id)
		}
	}
	if len(externals) > 0 {
		t.Errorf("the page loads %v: it must be self-contained", externals)
	}
	// One pool bar and a price chart per promotion in the window (3).
	if svgs != 4 {
		t.Errorf("%d pictures, want 4", svgs)
	}
	code, desiredOut, errOut := runCLI("desired", "--dir", dir, "--at", reportAt, "--format", "json")
	if code != ExitOK {
		t.Fatalf("desired: exit %d\n%s", code, errOut)
	}
	var desired struct {
		Listings []struct {
			Channel  string `json:"channel"`
			Quantity *int64 `json:"quantity"`
		} `json:"listings"`
	}
	if err := json.Unmarshal([]byte(desiredOut), &desired); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, l := range desired.Listings {
		if l.Quantity != nil {
			want[l.Channel] += *l.Quantity
		}
	}
	if fmt.Sprint(units) != fmt.Sprint(want) {
		t.Errorf("units listed on the page %v, accord desired lists %v", units, want)
	}
}

// chromium finds a headless Chromium, or "".
func chromium() string {
	for _, name := range []string{"chromium-headless-shell", "chromium", "google-chrome", "chrome-headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// The page in a real browser: it renders with no console error, every
// picture has a size, and a screenshot is saved (to $ACCORD_SCREENSHOT when
// set: how the README's picture is made).
func TestReportInBrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no headless Chromium on this machine (Debian's chromium-headless-shell; .ci/run installs it)")
	}
	dir := exampleCopy(t, "brand-multichannel")
	page := filepath.Join(t.TempDir(), "playbook.html")
	if code, _, errOut := runCLI("report", "--dir", dir, "--at", reportAt, "--out", page); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(page))))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 1100),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	// Subscribe to the console before the page loads, so nothing is lost;
	// read it once the page has been looked at.
	consoleCtx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/playbook.html"), chromedp.WaitVisible(chromedp.ID("risks")))
	if err != nil {
		t.Fatal(err)
	}
	sizes, err := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]float64](
		`[...document.querySelectorAll("svg")].map(s => { const r = s.getBoundingClientRect(); return {width: r.width, height: r.height}; })`))
	if err != nil {
		t.Fatal(err)
	}
	// The whole page must render; the first screen of it is what the
	// README shows.
	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	stopConsole()
	var consoleErrors []string
	for m, err := range messages {
		if err != nil {
			break
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			consoleErrors = append(consoleErrors, m.String())
		}
	}
	if len(consoleErrors) > 0 {
		t.Errorf("console errors: %v", consoleErrors)
	}
	if len(sizes) != 4 {
		t.Errorf("%d pictures rendered, want 4", len(sizes))
	}
	for i, s := range sizes {
		if s["width"] < 100 || s["height"] < 40 {
			t.Errorf("picture %d renders %gx%g", i, s["width"], s["height"])
		}
	}
	out := os.Getenv("ACCORD_SCREENSHOT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "playbook.png")
	}
	if err := os.WriteFile(out, shot, 0o600); err != nil {
		t.Fatal(err)
	}
	if len(shot) < 10_000 || len(full) < 3*len(shot)/2 {
		t.Errorf("the screenshots are %d and %d bytes: the page did not render whole", len(shot), len(full))
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
}
