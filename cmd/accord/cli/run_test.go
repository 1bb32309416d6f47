package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/accordhq/accord/cmd/accord/cli"
)

// daemonSpec is a shop and a market selling from one sandbox warehouse,
// with drift corrected (fields reported) and the sandbox watched closely.
const daemonSpec = `settings {
  currency = "USD"
  timezone = "UTC"
}
channel "shop" {
  type = "sandbox"
  config {
    watch_interval = "50ms"
  }
}
channel "market" {
  type = "sandbox"
  config {
    watch_interval = "50ms"
  }
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "sandbox"
  file = "stock.csv"
}
pool "main" {
  source   = "warehouse"
  channels = ["shop", "market"]
}
price_matrix "default" {
  rounding = "none"
}
listing {
  title = product.title
}
drift {
  quantity = "correct"
  price    = "correct"
  fields   = "report"
}
`

func writeDaemonSpec(t *testing.T, dir, products string) {
	t.Helper()
	for name, text := range map[string]string{
		"accord.hcl":   daemonSpec,
		"products.csv": products,
		"stock.csv":    "sku,on_hand\nA-1,10\nB-2,4\n",
		".gitignore":   ".accord/\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

const daemonProducts = "sku,price,title\nA-1,20.00,Alpha\nB-2,10.00,Beta\n"

// daemon is an accord run process.
type daemon struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	done chan struct{}

	mu   sync.Mutex
	logs []string
}

// startDaemon starts accord run with args (and --listen on a free port),
// and waits until it serves.
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	args = append([]string{"run", "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "info"}, args...)
	cmd := exec.CommandContext(context.Background(), os.Args[0], args...) //nolint:gosec // G204, G702: this test binary, run again as accord
	cmd.Env = append(os.Environ(), chaosChild+"=1", "NO_COLOR=1", "ACCORD_API_TOKEN=t0ken", "ACCORD_HOOK_SECRET=h00k")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			d.logs = append(d.logs, line)
			d.mu.Unlock()
			var entry struct {
				Msg    string `json:"msg"`
				Listen string `json:"listen"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "serving" {
				addr <- entry.Listen
			}
		}
		_ = cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.log())
		}
	})
	select {
	case d.addr = <-addr:
	case <-d.done:
		t.Fatalf("accord run ended before it served:\n%s", d.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("accord run did not serve:\n%s", d.log())
	}
	return d
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.logs, "\n")
}

func (d *daemon) get(path string) (int, string) {
	d.t.Helper()
	return d.do("GET", path, "", nil)
}

func (d *daemon) do(method, path, body string, header map[string]string) (int, string) {
	d.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, "http://"+d.addr+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM and returns the exit code and how long it took.
func (d *daemon) stop() (int, time.Duration) {
	d.t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		d.t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.t.Fatalf("accord run did not stop within 30s of SIGTERM:\n%s", d.log())
	}
	return d.cmd.ProcessState.ExitCode(), time.Since(start)
}

// accord runs accord in-process and returns its output and exit code.
func accord(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
		LookupEnv: func(string) (string, bool) { return "", false }, Now: time.Now})
	return out.String(), code
}

// waitFor polls cond until it holds, failing after a generous while.
func waitFor(t *testing.T, d *daemon, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("timed out waiting for %s:\n%s", what, d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// sandboxListing is one listing as the sandbox holds it: quantity and
// price.
func sandboxListing(t *testing.T, dir, channel, sku string) (qty int64, price string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ".accord", "sandbox", "sandbox.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var p sql.NullString
	err = db.QueryRowContext(context.Background(), `SELECT quantity, price FROM listings WHERE channel = ? AND sku = ?`, channel, sku).Scan(&qty, &p)
	if err != nil {
		return -1, ""
	}
	return qty, p.String
}

// The daemon on a watched directory: it converges, follows an edit of the
// catalog, corrects an edit on the channel, carries a sale to the other
// channel, serves its status and metrics, and stops on SIGTERM.
func TestRunDaemonDir(t *testing.T) {
	if testing.Short() {
		t.Skip("runs accord run")
	}
	dir := t.TempDir()
	writeDaemonSpec(t, dir, daemonProducts)
	d := startDaemon(t, "--dir", dir, "--poll", "1h", "--resync", "1h", "--stock-resync", "200ms", "--debounce", "50ms")
	waitFor(t, d, "readiness", func() bool { code, _ := d.get("/readyz"); return code == http.StatusOK })
	if q, p := sandboxListing(t, dir, "market", "A-1"); q != 10 || p != "20.00" {
		t.Fatalf("market A-1 after the first reconcile: %d at %s", q, p)
	}

	// An edit of the spec reaches the channels.
	if err := os.WriteFile(filepath.Join(dir, "products.csv"), []byte("sku,price,title\nA-1,22.00,Alpha\nB-2,10.00,Beta\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, d, "the new price", func() bool { _, p := sandboxListing(t, dir, "shop", "A-1"); return p == "22.00" })

	// An edit on the channel is drift: corrected, the exception resolved.
	if out, code := accord(t, "sandbox", "set", "market", "B-2", "price=1.00", "--dir", dir); code != 0 {
		t.Fatalf("sandbox set: %s", out)
	}
	waitFor(t, d, "the drift corrected", func() bool { _, p := sandboxListing(t, dir, "market", "B-2"); return p == "10.00" })
	waitFor(t, d, "the drift kept as history", func() bool {
		_, body := d.get("/api/exceptions?status=resolved&code=drift")
		return strings.Contains(body, `"sku": "B-2"`) && strings.Contains(body, `"observed": "1.00"`)
	})

	// A sale on the shop lowers the market's quantity.
	if out, code := accord(t, "sandbox", "sell", "shop", "A-1", "3", "--dir", dir); code != 0 {
		t.Fatalf("sandbox sell: %s", out)
	}
	took := waitFor(t, d, "the sale on the market", func() bool { q, _ := sandboxListing(t, dir, "market", "A-1"); return q == 7 })
	t.Logf("a sale reached the other channel in %s", took.Round(time.Millisecond))

	code, body := d.get("/api/status")
	var status struct {
		Ready    bool `json:"ready"`
		Channels []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"channels"`
		Lease *struct{} `json:"lease"`
	}
	if err := json.Unmarshal([]byte(body), &status); err != nil || code != http.StatusOK || !status.Ready || len(status.Channels) != 2 {
		t.Errorf("status %d: %s", code, body)
	}
	code, body = d.get("/metrics")
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil || code != http.StatusOK {
		t.Fatalf("metrics %d do not parse: %v", code, err)
	}
	if f := families["accord_changes_applied_total"]; f == nil || len(f.GetMetric()) == 0 {
		t.Errorf("no changes counted in /metrics")
	}
	if f := families["accord_reconcile_duration_seconds"]; f == nil {
		t.Errorf("no reconcile durations in /metrics")
	}
	if f := families["accord_channel_requests_total"]; f == nil || len(f.GetMetric()) == 0 {
		t.Errorf("no channel requests in /metrics")
	}
	if f := families["accord_sandbox_oversold_orders"]; f == nil || len(f.GetMetric()) != 2 {
		t.Errorf("oversells of the two sandbox channels not in /metrics: %v", f)
	}

	exit, stopped := d.stop()
	if exit != 0 || stopped > 10*time.Second {
		t.Errorf("SIGTERM: exit %d after %s, want 0 within 10s", exit, stopped)
	}
}

// commitAll commits the work tree of the repository at dir.
func commitAll(t *testing.T, dir, message string) string {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddGlob("."); err != nil {
		t.Fatal(err)
	}
	h, err := wt.Commit(message, &git.CommitOptions{Author: &object.Signature{Name: "Ana", Email: "ana@example.com", When: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func hookSignature(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// The daemon on a git repository: a pushed commit that changes a price
// reaches the sandbox; a commit that does not validate is refused while
// the previous revision stays in force, and the next good one resolves
// it; the webhook syncs at once, and refuses a wrong signature.
func TestRunDaemonRepo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs accord run")
	}
	repo := t.TempDir()
	if _, err := git.PlainInit(repo, false); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, "spec"), 0o750); err != nil {
		t.Fatal(err)
	}
	writeDaemonSpec(t, filepath.Join(repo, "spec"), daemonProducts)
	commitAll(t, repo, "First spec")
	work := t.TempDir()
	state := filepath.Join(work, "state.db")
	d := startDaemon(t, "--repo", "file://"+repo, "--path", "spec", "--state", state, "--poll", "200ms", "--resync", "1h")
	waitFor(t, d, "readiness", func() bool { code, _ := d.get("/readyz"); return code == http.StatusOK })
	specDir := filepath.Join(work, "repo", "spec")
	if _, p := sandboxListing(t, specDir, "shop", "A-1"); p != "20.00" {
		t.Fatalf("shop A-1 after the first reconcile: %q", p)
	}

	writeDaemonSpec(t, filepath.Join(repo, "spec"), "sku,price,title\nA-1,24.00,Alpha\nB-2,10.00,Beta\n")
	sha := commitAll(t, repo, "Raise A-1")
	took := waitFor(t, d, "the pushed price", func() bool { _, p := sandboxListing(t, specDir, "shop", "A-1"); return p == "24.00" })
	t.Logf("a pushed price reached the sandbox in %s", took.Round(time.Millisecond))
	if _, body := d.get("/api/status"); !strings.Contains(body, sha) {
		t.Errorf("status does not name commit %s: %s", sha, body)
	}
	if out, _ := accord(t, "audit", "--state", state, "--dir", specDir, "--sku", "A-1", "--channel", "shop"); !strings.Contains(out, "(commit "+sha[:12]+")") {
		t.Errorf("the audit log does not name commit %s:\n%s", sha[:12], out)
	}

	// A commit that does not validate is refused.
	if err := os.WriteFile(filepath.Join(repo, "spec", "broken.hcl"), []byte("pool \"x\" {\n  source = \"nowhere\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := commitAll(t, repo, "Break the spec")
	waitFor(t, d, "the refusal", func() bool {
		_, body := d.get("/api/exceptions?code=spec_invalid")
		return strings.Contains(body, bad[:12]) && strings.Contains(body, "broken.hcl line 2")
	})
	if _, p := sandboxListing(t, specDir, "shop", "A-1"); p != "24.00" {
		t.Errorf("the last good revision no longer in force: shop A-1 at %q", p)
	}

	// The webhook: a wrong signature changes nothing; a good one syncs.
	body := `{"ref": "refs/heads/master"}`
	if code, _ := d.do("POST", "/api/hooks/git", body, map[string]string{"X-Hub-Signature-256": hookSignature("wrong", body)}); code != http.StatusUnauthorized {
		t.Errorf("webhook with a wrong signature: %d, want 401", code)
	}
	if err := os.Remove(filepath.Join(repo, "spec", "broken.hcl")); err != nil {
		t.Fatal(err)
	}
	writeDaemonSpec(t, filepath.Join(repo, "spec"), "sku,price,title\nA-1,25.00,Alpha\nB-2,10.00,Beta\n")
	commitAll(t, repo, "Fix the spec")
	if code, _ := d.do("POST", "/api/hooks/git", body, map[string]string{"X-Hub-Signature-256": hookSignature("h00k", body)}); code != http.StatusAccepted {
		t.Errorf("webhook with a good signature: %d, want 202", code)
	}
	waitFor(t, d, "the fixed spec", func() bool { _, p := sandboxListing(t, specDir, "shop", "A-1"); return p == "25.00" })
	waitFor(t, d, "the refusal resolved", func() bool {
		_, body := d.get("/api/exceptions?code=spec_invalid")
		return strings.TrimSpace(body) == "[]"
	})
	if exit, _ := d.stop(); exit != 0 {
		t.Errorf("exit %d after SIGTERM", exit)
	}
}

// Two daemons on one state never apply at once: the first leads, the
// second stands by; when the leader dies, the other takes over.
func TestRunTwoDaemons(t *testing.T) {
	if testing.Short() {
		t.Skip("runs accord run")
	}
	dir := t.TempDir()
	writeDaemonSpec(t, dir, daemonProducts)
	a := startDaemon(t, "--dir", dir, "--poll", "100ms", "--resync", "1h", "--debounce", "50ms")
	waitFor(t, a, "the first daemon ready", func() bool { code, _ := a.get("/readyz"); return code == http.StatusOK })
	b := startDaemon(t, "--dir", dir, "--poll", "100ms", "--resync", "1h", "--debounce", "50ms")
	waitFor(t, b, "the second daemon standing by", func() bool {
		_, body := b.get("/api/status")
		return strings.Contains(body, `"standby": "standing by: accord run`)
	})
	// The leader dies without a word; the other takes over and applies.
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-a.done
	if err := os.WriteFile(filepath.Join(dir, "products.csv"), []byte("sku,price,title\nA-1,23.00,Alpha\nB-2,10.00,Beta\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "the second daemon applying", func() bool { _, p := sandboxListing(t, dir, "shop", "A-1"); return p == "23.00" })
	// No two runs of the state ever overlapped.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, ".accord", "state.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	rows, err := db.QueryContext(context.Background(), `SELECT started_at, COALESCE(finished_at, 0), lease_id FROM runs ORDER BY started_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var lastEnd int64
	leases := map[string]bool{}
	for rows.Next() {
		var start, end int64
		var lease string
		if err := rows.Scan(&start, &end, &lease); err != nil {
			t.Fatal(err)
		}
		if start < lastEnd {
			t.Errorf("a run started at %d, before the one before it finished (%d)", start, lastEnd)
		}
		lastEnd = max(lastEnd, end)
		leases[lease] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(leases) != 2 {
		t.Errorf("runs under %d leases, want 2 (one per daemon that led)", len(leases))
	}
}

// SIGTERM in the middle of an apply: the daemon exits 0 within 10 s, the
// batch in flight recorded; the next apply finishes the work and nothing
// is lost or sent twice.
func TestRunStopsMidApply(t *testing.T) {
	if testing.Short() {
		t.Skip("runs accord run")
	}
	dir := t.TempDir()
	spec := strings.ReplaceAll(daemonSpec, `watch_interval = "50ms"`, "watch_interval = \"50ms\"\n    batch_size = 1\n    latency = \"10ms\"")
	var products, stock strings.Builder
	products.WriteString("sku,price,title\n")
	stock.WriteString("sku,on_hand\n")
	for i := range 60 {
		fmt.Fprintf(&products, "S-%02d,%d.00,Item %d\n", i, 10+i, i)
		fmt.Fprintf(&stock, "S-%02d,%d\n", i, 5+i)
	}
	for name, text := range map[string]string{"accord.hcl": spec, "products.csv": products.String(), "stock.csv": stock.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := startDaemon(t, "--dir", dir, "--poll", "1h", "--resync", "1h")
	waitFor(t, d, "the apply under way", func() bool { q, _ := sandboxListing(t, dir, "shop", "S-05"); return q >= 0 })
	exit, took := d.stop()
	if exit != 0 || took > 10*time.Second {
		t.Fatalf("SIGTERM mid-apply: exit %d after %s, want 0 within 10s", exit, took)
	}
	if q, _ := sandboxListing(t, dir, "market", "S-59"); q >= 0 {
		t.Fatal("the apply had finished before SIGTERM: make it slower")
	}
	if out, code := accord(t, "apply", "--auto-approve", "--dir", dir); code != 0 {
		t.Fatalf("the next apply: %s", out)
	}
	if out, code := accord(t, "plan", "--detailed-exitcode", "--dir", dir); code != 0 {
		t.Fatalf("the plan after: %s", out)
	}
	got := checkChaos(t, dir)
	if got.missing+got.differing+got.duplicates+got.pending > 0 || got.fields != 60*2*3 {
		t.Errorf("after SIGTERM and the next apply: %+v", got)
	}
}

// accord plan on the multichannel example without credentials names, per
// channel, every environment variable it needs, and plans the others.
func TestPlanNamesMissingCredentials(t *testing.T) {
	out, code := accord(t, "plan", "--dir", filepath.Join("..", "..", "..", "examples", "brand-multichannel"), "--at", "2026-11-23T10:54:09")
	if code != 1 {
		t.Errorf("exit %d, want 1 (channels not read)", code)
	}
	for _, want := range []string{
		"channel amazon_us: config: environment variables AMAZON_LWA_CLIENT_ID, AMAZON_LWA_CLIENT_SECRET, AMAZON_REFRESH_TOKEN, AMAZON_SELLER_ID are not set",
		"channel shopify: config: environment variable SHOPIFY_ACCESS_TOKEN is not set",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan does not say %q:\n%s", want, out)
		}
	}
}
