package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
	"github.com/accordhq/accord/spec/specgen"
)

// peakRSSMiB reads the process's peak resident set size (Linux only).
func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkLoadDerive100k measures what `accord desired` does before it
// renders: load a generated 100k-SKU x 6-channel spec (HCL and CSV), read
// its stock file and derive all 600k listings. Run it alone, so that the
// peak-RSS figure is this benchmark's:
//
//	go test -run '^$' -bench LoadDerive100k -benchmem ./cmd/accord/cli
func BenchmarkLoadDerive100k(b *testing.B) {
	dir := b.TempDir()
	if err := specgen.Write(dir, specgen.Options{SKUs: 100_000, Channels: 6}); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	var res *derive.Result
	for b.Loop() {
		res = nil // the last run's 600k listings are garbage, as in a real run
		reg := builtin.Registry()
		s, diags := spec.LoadDir(dir, spec.Options{Types: reg})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		levels, _, diags := stock.Read(context.Background(), reg, s, dir, nil)
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		res = derive.Derive(s, derive.Options{At: at, Stock: levels})
	}
	if len(res.Listings) < 500_000 {
		b.Fatalf("derived %d listings, want about 600k", len(res.Listings))
	}
	b.ReportMetric(float64(len(res.Listings)), "listings")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkDesiredJSON100k measures rendering the 600k listings as the
// contract's JSON.
func BenchmarkDesiredJSON100k(b *testing.B) {
	dir := b.TempDir()
	if err := specgen.Write(dir, specgen.Options{SKUs: 100_000, Channels: 6}); err != nil {
		b.Fatal(err)
	}
	reg := builtin.Registry()
	s, _ := spec.LoadDir(dir, spec.Options{Types: reg})
	levels, _, _ := stock.Read(context.Background(), reg, s, dir, nil)
	res := derive.Derive(s, derive.Options{At: time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC), Stock: levels})
	for b.Loop() {
		if err := writeDesiredJSON(io.Discard, s, res); err != nil {
			b.Fatal(err)
		}
	}
}

// resetPeakRSS returns the heap left from a benchmark's setup to the OS
// and resets the process's peak RSS (Linux: clear_refs 5), so that the
// peak read afterwards is the timed part's. It returns the peak before the
// reset.
func resetPeakRSS(b *testing.B) float64 {
	b.Helper()
	before := peakRSSMiB()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset the peak RSS (%v); it includes the setup's", err)
	}
	return before
}

// timed runs accord labelled bench=timed, it and every goroutine it starts,
// so that a -cpuprofile of a benchmark whose setup also runs accord can be
// read for the timed part alone: go tool pprof -tagfocus bench=timed.
func timed(args []string, env Env) (code int) {
	pprof.Do(context.Background(), pprof.Labels("bench", "timed"), func(ctx context.Context) { code = Run(ctx, args, env) })
	return code
}

// benchAt is the instant the 100k benchmarks derive for, as --at.
const benchAt = "2026-11-28T15:00:00Z"

// sandboxSpec writes the generated 100k-SKU x 6-channel spec into dir with
// every channel made a sandbox channel: specgen's kinds (shopify, amazon,
// ...) have no adapter in this build. Names, currencies, fx rates and SKU
// columns are kept; a config block, which would talk to a real channel, is
// dropped.
func sandboxSpec(b *testing.B, dir string) {
	b.Helper()
	if err := specgen.Write(dir, specgen.Options{SKUs: 100_000, Channels: 6}); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "accord.hcl")
	src, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	out, n := sandboxChannels(string(src))
	if n != 6 {
		b.Fatalf("made %d channels sandbox channels, want 6:\n%s", n, src)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		b.Fatal(err)
	}
}

var (
	channelOpen = regexp.MustCompile(`^channel\s+"[^"]*"\s*\{\s*$`)
	typeAttr    = regexp.MustCompile(`^(\s*)type\s*=.*$`)
	configOpen  = regexp.MustCompile(`^\s*config\s*\{\s*$`)
)

// sandboxChannels rewrites the top-level channel blocks of an HCL file to
// type "sandbox" without a config block, and returns how many it rewrote.
func sandboxChannels(src string) (string, int) {
	var out strings.Builder
	n := 0
	inChannel := false
	skip := 0 // depth inside a config block being dropped
	for _, line := range strings.SplitAfter(src, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case skip > 0:
			skip += strings.Count(line, "{") - strings.Count(line, "}")
			continue
		case !inChannel && channelOpen.MatchString(strings.TrimRight(line, "\n")):
			inChannel = true
		case inChannel && configOpen.MatchString(strings.TrimRight(line, "\n")):
			skip = 1
			continue
		case inChannel && typeAttr.MatchString(strings.TrimRight(line, "\n")):
			line = typeAttr.ReplaceAllString(strings.TrimRight(line, "\n"), `${1}type = "sandbox"`) + "\n"
			n++
		case inChannel && trimmed == "}":
			inChannel = false
		}
		out.WriteString(line)
	}
	return out.String(), n
}

// benchEnv is the environment the benchmarks run the CLI in.
func benchEnv(stdout, stderr io.Writer) Env {
	return Env{
		Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
		LookupEnv: func(string) (string, bool) { return "", false },
		Now:       time.Now,
	}
}

// runCLI runs accord in-process and returns its exit code and output.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, benchEnv(&out, &errOut))
	return code, out.String(), errOut.String()
}

// applyAll applies the spec in dir to its sandbox channels, past the
// guards, and fails unless the apply succeeds. It returns apply's output.
func applyAll(b *testing.B, dir string) string {
	b.Helper()
	code, out, errOut := runCLI("apply", "--dir", dir, "--auto-approve", "--force", "--at", benchAt)
	if code != ExitOK {
		b.Fatalf("apply exited %d\nstdout:\n%s\nstderr:\n%s", code, clipOutput(out), clipOutput(errOut))
	}
	return out
}

// clipOutput keeps failure messages readable.
func clipOutput(s string) string {
	const most = 20000
	if len(s) > most {
		return s[:most] + fmt.Sprintf("\n… (%d more bytes)", len(s)-most)
	}
	return s
}

// appliedLine matches the line apply ends with: "Applied N of M."
var appliedLine = regexp.MustCompile(`(?m)^Applied (\d+) of (\d+)\b`)

// applied returns N and M of apply's "Applied N of M" line.
func applied(b *testing.B, out string) (done, total int) {
	b.Helper()
	m := appliedLine.FindStringSubmatch(out)
	if m == nil {
		b.Fatalf("no \"Applied N of M\" line in apply's output:\n%s", clipOutput(out))
	}
	done, _ = strconv.Atoi(m[1])
	total, _ = strconv.Atoi(m[2])
	return done, total
}

// benchDir is a fresh directory for a benchmark's spec: b.TempDir, or,
// when ACCORD_BENCH_DIR is set, that directory (emptied first and kept
// afterwards), so that the synced spec can be planned from a shell too.
func benchDir(b *testing.B, name string) string {
	b.Helper()
	root := os.Getenv("ACCORD_BENCH_DIR")
	if root == "" {
		return b.TempDir()
	}
	dir := filepath.Join(root, name)
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	b.Logf("spec directory (kept): %s", dir)
	return dir
}

// BenchmarkPlanInSync100k measures `accord plan` on the 100k-SKU x
// 6-channel spec against sandbox channels that already hold exactly what
// it asks for: observe 600k listings, derive 600k, diff them with the
// store's history and find nothing to do. The first apply, which creates
// every listing, is setup; peak-RSS-MiB is the plans' alone (the setup's
// is setup-peak-RSS-MiB). Run it alone:
//
//	go test -run '^$' -bench 'PlanInSync100k$' -benchmem -benchtime 1x -timeout 60m ./cmd/accord/cli
//
// With ACCORD_BENCH_DIR=/some/dir the synced spec is kept in
// /some/dir/plan-in-sync, for timing the built binary on it. With
// -cpuprofile, go tool pprof -tagfocus bench=timed shows the plans alone.
func BenchmarkPlanInSync100k(b *testing.B) {
	if testing.Short() {
		b.Skip("creates 600k sandbox listings; not in -short")
	}
	dir := benchDir(b, "plan-in-sync")
	sandboxSpec(b, dir)
	start := time.Now()
	out := applyAll(b, dir)
	done, total := applied(b, out)
	b.Logf("setup: applied %d of %d changes in %s", done, total, time.Since(start).Round(time.Millisecond))
	if done != total || total < 500_000 {
		b.Fatalf("setup apply: applied %d of %d, want every one of about 600k", done, total)
	}
	setupPeak := resetPeakRSS(b)
	var stdout, stderr bytes.Buffer
	env := benchEnv(&stdout, &stderr)
	args := []string{"plan", "--dir", dir, "--at", benchAt, "--detailed-exitcode"}
	b.ResetTimer()
	for b.Loop() {
		stdout.Reset()
		stderr.Reset()
		if code := timed(args, env); code != ExitOK {
			b.Fatalf("plan right after a full apply exited %d, want 0 (in sync)\nstdout:\n%s\nstderr:\n%s",
				code, clipOutput(stdout.String()), clipOutput(stderr.String()))
		}
	}
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
	b.ReportMetric(setupPeak, "setup-peak-RSS-MiB")
}

// BenchmarkApply600k measures `accord apply` pushing a stock change to
// every listing of the 100k-SKU x 6-channel spec on sandbox channels: the
// listings are created in setup, then every on-hand figure of stock.csv is
// moved so that every quantity derived from it moves too (x < 20 becomes
// x+100, x >= 20 becomes x mod 20: no channel's buffer, reserve, cap or
// low-stock rule can map the old and the new figure to the same
// quantity); only the listings of the SKUs specgen leaves out of the stock
// file (about 0.5%) keep theirs. The timed part plans and applies, as `accord apply` does;
// peak-RSS-MiB is its alone, and -tagfocus bench=timed selects it in a
// -cpuprofile.
//
//	go test -run '^$' -bench 'Apply600k$' -benchmem -benchtime 1x -timeout 60m ./cmd/accord/cli
func BenchmarkApply600k(b *testing.B) {
	if testing.Short() {
		b.Skip("creates and updates 600k sandbox listings; not in -short")
	}
	dir := benchDir(b, "apply-600k")
	sandboxSpec(b, dir)
	start := time.Now()
	out := applyAll(b, dir)
	done, total := applied(b, out)
	b.Logf("setup: applied %d of %d changes in %s", done, total, time.Since(start).Round(time.Millisecond))
	if done != total {
		b.Fatalf("setup apply: applied %d of %d", done, total)
	}
	b.ResetTimer()
	changes := 0
	setupPeak := 0.0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		moved, err := moveStock(filepath.Join(dir, "stock.csv"))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			setupPeak = resetPeakRSS(b)
		}
		b.StartTimer()
		var out string
		pprof.Do(context.Background(), pprof.Labels("bench", "timed"), func(context.Context) { out = applyAll(b, dir) })
		b.StopTimer()
		done, total := applied(b, out)
		if done != total {
			b.Fatalf("applied %d of %d:\n%s", done, total, clipOutput(out))
		}
		if i == 0 {
			b.Logf("moved the stock of %d SKUs; apply: %s", moved, strings.TrimSpace(appliedLine.FindString(out)))
		}
		changes = done
		b.StartTimer()
	}
	b.StopTimer()
	peak := peakRSSMiB()
	// The apply should leave every channel in accord with the spec.
	if code, out, errOut := runCLI("plan", "--dir", dir, "--at", benchAt, "--detailed-exitcode"); code != ExitOK {
		b.Errorf("plan after the apply exited %d, want 0 (in sync)\nstdout:\n%s\nstderr:\n%s", code, clipOutput(out), clipOutput(errOut))
	}
	b.ReportMetric(float64(changes), "changes")
	b.ReportMetric(peak, "peak-RSS-MiB")
	b.ReportMetric(setupPeak, "setup-peak-RSS-MiB")
}

// moveStock rewrites a sku,on_hand stock file with every figure moved (see
// BenchmarkApply600k) and returns how many it moved.
func moveStock(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var out bytes.Buffer
	out.Grow(len(data) + len(data)/8)
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 0; sc.Scan(); line++ {
		text := sc.Text()
		sku, qty, ok := strings.Cut(text, ",")
		if line == 0 || !ok {
			out.WriteString(text + "\n")
			continue
		}
		x, err := strconv.Atoi(qty)
		if err != nil {
			return 0, fmt.Errorf("%s:%d: %w", path, line+1, err)
		}
		if x < 20 {
			x += 100
		} else {
			x %= 20
		}
		fmt.Fprintf(&out, "%s,%d\n", sku, x)
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return n, os.WriteFile(path, out.Bytes(), 0o644)
}

// BenchmarkDiff100k measures accord diff of a change to the 100k-SKU x
// 6-channel spec (one channel's price adjustment and a catalog price, so
// that 100k listings move) between two commits of a git repository,
// against accord desired of the same spec: the diff derives both sides,
// now and at every promotion boundary in its window, and compares them.
//
//	go test -run '^$' -bench 'Diff100k$' -benchmem -benchtime 3x -timeout 60m ./cmd/accord/cli
func BenchmarkDiff100k(b *testing.B) {
	if testing.Short() {
		b.Skip("derives 600k listings four times; not in -short")
	}
	root := b.TempDir()
	dir := filepath.Join(root, "spec")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	if err := specgen.Write(dir, specgen.Options{SKUs: 100_000, Channels: 6}); err != nil {
		b.Fatal(err)
	}
	repo, err := git.PlainInit(root, false)
	if err != nil {
		b.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		b.Fatal(err)
	}
	commit := func(msg string) {
		if err := wt.AddGlob("spec/*"); err != nil {
			b.Fatal(err)
		}
		if _, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "bench", Email: "bench@example.com", When: time.Now()}}); err != nil {
			b.Fatal(err)
		}
	}
	commit("base")
	pricing := filepath.Join(dir, "pricing.hcl")
	src, err := os.ReadFile(pricing)
	if err != nil {
		b.Fatal(err)
	}
	changed := strings.Replace(string(src), `adjust        = "+8%"`, `adjust        = "+6%"`, 1)
	if changed == string(src) {
		b.Fatalf("no +8%% adjustment to change in:\n%s", src)
	}
	if err := os.WriteFile(pricing, []byte(changed), 0o600); err != nil {
		b.Fatal(err)
	}
	commit("head")
	var desired, diff time.Duration
	for b.Loop() {
		start := time.Now()
		if code, _, errOut := runCLI("desired", "--dir", dir, "--at", benchAt, "--format", "json"); code != ExitOK {
			b.Fatalf("desired exited %d: %s", code, errOut)
		}
		desired += time.Since(start)
		start = time.Now()
		code, out, errOut := runCLI("diff", "--dir", dir, "--base", "HEAD~1", "--head", "HEAD", "--at", benchAt, "--format", "markdown")
		if code != ExitOK {
			b.Fatalf("diff exited %d: %s", code, errOut)
		}
		diff += time.Since(start)
		if len(out) > markdownBudget {
			b.Fatalf("the markdown is %d characters", len(out))
		}
	}
	b.ReportMetric(desired.Seconds()/float64(b.N), "desired-s/op")
	b.ReportMetric(diff.Seconds()/float64(b.N), "diff-s/op")
	b.ReportMetric(diff.Seconds()/desired.Seconds(), "diff/desired")
}

// BenchmarkReport100k measures accord report --format html of the
// 100k-SKU x 6-channel spec: load, stock, the derivation now, every
// promotion boundary in 30 days, the cascades and charts, and the page. It
// reports the page's size, which must stay a summary (under 5 MB), and the
// JSON's, which holds everything.
//
//	go test -run '^$' -bench 'Report100k$' -benchmem -benchtime 3x -timeout 60m ./cmd/accord/cli
func BenchmarkReport100k(b *testing.B) {
	if testing.Short() {
		b.Skip("derives 600k listings; not in -short")
	}
	dir := b.TempDir()
	if err := specgen.Write(dir, specgen.Options{SKUs: 100_000, Channels: 6}); err != nil {
		b.Fatal(err)
	}
	resetPeakRSS(b)
	var page string
	for b.Loop() {
		code, out, errOut := runCLI("report", "--dir", dir, "--at", benchAt, "--format", "html")
		if code != ExitOK {
			b.Fatalf("report exited %d: %s", code, errOut)
		}
		page = out
	}
	b.ReportMetric(float64(len(page))/1e6, "html-MB")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
	code, out, errOut := runCLI("report", "--dir", dir, "--at", benchAt, "--format", "json")
	if code != ExitOK {
		b.Fatalf("report --format json exited %d: %s", code, errOut)
	}
	b.ReportMetric(float64(len(out))/1e6, "json-MB")
	if len(page) > 5_000_000 {
		b.Fatalf("the page is %d bytes, over 5 MB", len(page))
	}
}
