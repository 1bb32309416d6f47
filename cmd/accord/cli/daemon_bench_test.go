package cli

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/sandbox"
)

// benchDaemon is an accord run process started by a benchmark.
type benchDaemon struct {
	b    *testing.B
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// startBenchDaemon runs accord run (this test binary, as the fault campaign
// does) with args, and waits until it serves HTTP.
func startBenchDaemon(b *testing.B, args ...string) *benchDaemon {
	b.Helper()
	args = append([]string{"run", "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "info"}, args...)
	cmd := exec.CommandContext(context.Background(), os.Args[0], args...) //nolint:gosec // G204, G702: this test binary, run again as accord
	cmd.Env = append(os.Environ(), "ACCORD_CHAOS_CHILD=1", "NO_COLOR=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	d := &benchDaemon{b: b, cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var entry struct {
				Msg, Listen string
			}
			if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Msg == "serving" {
				addr <- entry.Listen
			}
		}
		_ = cmd.Wait()
		close(d.done)
	}()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-d.done
		}
	})
	select {
	case d.addr = <-addr:
	case <-d.done:
		b.Fatal("accord run ended before it served")
	}
	return d
}

func (d *benchDaemon) get(path string) (int, string) {
	req, err := http.NewRequestWithContext(context.Background(), "GET", "http://"+d.addr+path, nil)
	if err != nil {
		d.b.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// until polls cond every 10 ms, failing after limit; it returns how long
// cond took to hold.
func (d *benchDaemon) until(what string, limit time.Duration, cond func() bool) time.Duration {
	d.b.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			d.b.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// peakRSS is the daemon's peak resident set (VmHWM), in MiB.
func (d *benchDaemon) peakRSS() float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
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

var reconcilesTotal = regexp.MustCompile(`(?m)^accord_reconciles_total\{result="(\w+)"\} (\d+)`)

// reconciles is how many reconciles the daemon has run, by result.
func (d *benchDaemon) reconciles() map[string]int {
	_, body := d.get("/metrics")
	out := map[string]int{}
	for _, m := range reconcilesTotal.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}

// commitSpec commits the repository's work tree.
func commitSpec(b *testing.B, repo, message string) {
	b.Helper()
	r, err := git.PlainOpen(repo)
	if err != nil {
		b.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		b.Fatal(err)
	}
	if err := wt.AddGlob("."); err != nil {
		b.Fatal(err)
	}
	if _, err := wt.Commit(message, &git.CommitOptions{Author: &object.Signature{Name: "Bench", Email: "bench@example.com", When: time.Now()}}); err != nil {
		b.Fatal(err)
	}
}

// sandboxField reads one listing's column from a sandbox database.
func sandboxField(b *testing.B, db *sql.DB, channel, sku, column string) string {
	b.Helper()
	var v sql.NullString
	err := db.QueryRowContext(context.Background(), `SELECT CAST(`+column+` AS TEXT) FROM listings WHERE channel = ? AND sku = ?`, channel, sku).Scan(&v)
	if err != nil {
		return ""
	}
	return v.String
}

// BenchmarkDaemon100k runs accord run on the 100k-SKU x 6-channel spec,
// kept in a git repository and applied to sandbox channels that draw on a
// sandbox warehouse, and measures what the daemon promises: how long a
// one-SKU price change pushed to git takes to reach the sandbox with
// --poll 1s, how long a sale on one channel takes to lower the others, and
// the daemon's peak RSS across 100 reconciles (full resyncs back to back).
// The first reconcile, which creates every listing, is setup. Run it
// alone; it takes about ten minutes:
//
//	go test -run '^$' -bench 'Daemon100k$' -benchtime 1x -timeout 60m ./cmd/accord/cli
func BenchmarkDaemon100k(b *testing.B) {
	repo := benchDir(b, "daemon")
	specDir := filepath.Join(repo, "spec")
	if err := os.MkdirAll(specDir, 0o755); err != nil {
		b.Fatal(err)
	}
	sandboxSpec(b, specDir)
	hclPath := filepath.Join(specDir, "accord.hcl")
	src, err := os.ReadFile(hclPath)
	if err != nil {
		b.Fatal(err)
	}
	// The warehouse is the sandbox's, so that a sale draws it down.
	withWarehouse := strings.Replace(string(src), "stock_source \"warehouse\" {\n  type = \"file\"", "stock_source \"warehouse\" {\n  type = \"sandbox\"", 1)
	if withWarehouse == string(src) {
		b.Fatal("no file stock source to make a sandbox one")
	}
	if err := os.WriteFile(hclPath, []byte(withWarehouse), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".gitignore"), []byte(".accord/\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if _, err := git.PlainInit(repo, false); err != nil {
		b.Fatal(err)
	}
	commitSpec(b, repo, "The 100k spec")
	work := b.TempDir()
	state := filepath.Join(work, "state.db")
	clone := filepath.Join(work, "repo", "spec")
	for range b.N {
		d := startBenchDaemon(b, "--repo", "file://"+repo, "--path", "spec", "--state", state,
			"--poll", "1s", "--resync", "1h", "--stock-resync", "1h", "--max-attempts", "3")
		setup := d.until("the first reconcile", 30*time.Minute, func() bool { code, _ := d.get("/readyz"); return code == http.StatusOK })
		b.Logf("setup: the first reconcile (every listing created) took %s; peak RSS so far %.0f MiB", setup.Round(time.Second), d.peakRSS())
		db, err := sql.Open("sqlite", "file:"+filepath.Join(clone, ".accord", "sandbox", "sandbox.db")+"?mode=ro")
		if err != nil {
			b.Fatal(err)
		}
		// shopify and walmart know products by the catalog's SKU.
		const seller, other = "shopify", "walmart"

		// A one-SKU price change pushed to git.
		products := filepath.Join(specDir, "products.csv")
		var pushes []time.Duration
		for trial := range 3 {
			sku, line, changed := bumpPrice(b, products, 1000+trial*7919)
			data, err := os.ReadFile(products)
			if err != nil {
				b.Fatal(err)
			}
			before := sandboxField(b, db, seller, sku, "price")
			if err := os.WriteFile(products, []byte(strings.Replace(string(data), line, changed, 1)), 0o644); err != nil {
				b.Fatal(err)
			}
			commitSpec(b, repo, "Reprice "+sku)
			took := d.until("the pushed price of "+sku, 2*time.Minute, func() bool {
				now := sandboxField(b, db, seller, sku, "price")
				return now != "" && now != before
			})
			pushes = append(pushes, took)
		}
		b.Logf("a one-SKU price change pushed to git reached the sandbox in %v (--poll 1s)", pushes)
		b.ReportMetric(maxDuration(pushes).Seconds(), "push-to-sandbox-max-s")

		// A sale on one channel lowers the others.
		var sales []time.Duration
		for trial := 0; len(sales) < 5 && trial < 50; trial++ {
			sku := fmt.Sprintf("SKU-%06d", 20000+trial*997)
			before := sandboxField(b, db, other, sku, "quantity")
			if n, _ := strconv.Atoi(before); n < 10 {
				continue // a SKU with stock to spare, so that the sale moves walmart's quantity
			}
			start := time.Now()
			code, out, errOut := runCLI("sandbox", "sell", seller, sku, "3", "--dir", clone)
			if code != ExitOK {
				b.Fatalf("sell %s: %s %s", sku, out, errOut)
			}
			d.until("the sale on walmart", time.Minute, func() bool { return sandboxField(b, db, other, sku, "quantity") != before })
			sales = append(sales, time.Since(start))
		}
		b.Logf("a sale reached the last channel in %v", sales)
		b.ReportMetric(maxDuration(sales).Seconds(), "sale-to-others-max-s")
		_ = db.Close()

		// 100 reconciles: full resyncs back to back.
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		<-d.done
		d = startBenchDaemon(b, "--repo", "file://"+repo, "--path", "spec", "--state", state,
			"--poll", "1h", "--resync", "100ms", "--stock-resync", "1h")
		start := time.Now()
		d.until("100 reconciles", 60*time.Minute, func() bool {
			n := 0
			for _, c := range d.reconciles() {
				n += c
			}
			return n >= 100
		})
		b.Logf("100 reconciles took %s; results %v", time.Since(start).Round(time.Second), d.reconciles())
		b.ReportMetric(d.peakRSS(), "daemon-peak-RSS-MiB")
	}
}

// bumpPrice picks the catalog row n and returns its SKU, the row, and the
// row with its price raised by 1.00.
func bumpPrice(b *testing.B, path string, n int) (sku, line, changed string) {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	header := strings.Split(lines[0], ",")
	col := -1
	for i, h := range header {
		if h == "price" {
			col = i
		}
	}
	if col < 0 {
		b.Fatalf("no price column in %s", lines[0])
	}
	line = lines[1+n]
	fields := strings.Split(line, ",")
	price, err := decimal.NewFromString(fields[col])
	if err != nil {
		b.Fatalf("price %q: %v", fields[col], err)
	}
	fields[col] = price.Add(decimal.NewFromInt(1)).StringFixed(2)
	return fields[0], line, strings.Join(fields, ",")
}

func maxDuration(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// ordersSpec is three sandbox channels selling from one sandbox warehouse,
// watched closely, with no buffer: the oversells counted are the daemon's
// to prevent.
const ordersSpec = `settings {
  currency = "USD"
  timezone = "UTC"
}
channel "shop" {
  type = "sandbox"
  config {
    watch_interval = "100ms"
  }
}
channel "market" {
  type = "sandbox"
  config {
    watch_interval = "100ms"
  }
}
channel "outlet" {
  type = "sandbox"
  config {
    watch_interval = "100ms"
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
  channels = ["shop", "market", "outlet"]
}
price_matrix "default" {
  rounding = "none"
}
listing {
  title = product.title
}
`

// BenchmarkOrders2000 places 2,000 orders at 10 a second on three sandbox
// channels that share one pool, with restocks, and reports the oversells
// per 1,000 accepted orders: an order the channel accepted (it listed the
// units) that the warehouse could not fill, because another channel sold
// them first and this one had not been lowered yet. "daemon" keeps the
// channels in accord with accord run; "cron20", for scale, with an apply
// after every 20 orders. Each takes about three and a half minutes:
//
//	go test -run '^$' -bench 'Orders2000' -benchtime 1x -timeout 30m ./cmd/accord/cli
func BenchmarkOrders2000(b *testing.B) {
	b.Run("daemon", func(b *testing.B) { simulateOrders(b, true) })
	b.Run("cron20", func(b *testing.B) { simulateOrders(b, false) })
}

func simulateOrders(b *testing.B, daemon bool) {
	for range b.N {
		dir := b.TempDir()
		var products, stock strings.Builder
		products.WriteString("sku,price,title\n")
		stock.WriteString("sku,on_hand\n")
		const skus = 40
		for i := range skus {
			fmt.Fprintf(&products, "P-%02d,%d.00,Product %d\n", i, 10+i, i)
			fmt.Fprintf(&stock, "P-%02d,%d\n", i, 4+i%12)
		}
		for name, text := range map[string]string{"accord.hcl": ordersSpec, "products.csv": products.String(), "stock.csv": stock.String()} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		apply := func() {
			if code, out, errOut := runCLI("apply", "--auto-approve", "--dir", dir); code != ExitOK {
				b.Fatalf("apply: %s %s", out, errOut)
			}
		}
		if daemon {
			d := startBenchDaemon(b, "--dir", dir, "--poll", "1h", "--resync", "1h", "--stock-resync", "1s")
			d.until("the first reconcile", 5*time.Minute, func() bool { code, _ := d.get("/readyz"); return code == http.StatusOK })
		} else {
			apply()
		}
		ctx := context.Background()
		var chans []*sandbox.Channel
		for _, name := range []string{"shop", "market", "outlet"} {
			ch, err := sandbox.OpenChannel(ctx, adapters.Setup{Name: name, Currency: "USD", Scale: 2, SpecDir: dir})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = ch.Close() }()
			chans = append(chans, ch)
		}
		wh, err := sandbox.OpenWarehouse(ctx, filepath.Join(dir, ".accord", "sandbox"))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = wh.Close() }()
		rng := rand.New(rand.NewPCG(7, 11)) //nolint:gosec // G404: a reproducible stream of orders
		var accepted, refused, oversold, restocks int
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		start := time.Now()
		for n := range 2000 {
			<-tick.C
			if n%40 == 39 {
				// A delivery: a few SKUs restocked.
				for range 3 {
					if _, err := wh.Restock(ctx, fmt.Sprintf("P-%02d", rng.IntN(skus)), int64(5+rng.IntN(10))); err != nil {
						b.Fatal(err)
					}
					restocks++
				}
			}
			if !daemon && n%20 == 19 {
				apply()
			}
			// Demand leans on a few SKUs, as it does.
			sku := fmt.Sprintf("P-%02d", min(rng.IntN(skus), rng.IntN(skus)))
			ch := chans[rng.IntN(len(chans))]
			order, err := ch.Sell(ctx, sku, sku, int64(1+rng.IntN(2)))
			var ref *sandbox.RefusedError
			switch {
			case errors.As(err, &ref):
				refused++
				continue
			case err != nil:
				b.Fatal(err)
			}
			accepted++
			if order.Oversold > 0 {
				oversold++
			}
		}
		per1000 := float64(oversold) * 1000 / float64(max(accepted, 1))
		b.Logf("2000 orders in %s: %d accepted, %d refused (not listed), %d restocks; %d oversold: %.2f per 1000 accepted orders",
			time.Since(start).Round(time.Second), accepted, refused, restocks, oversold, per1000)
		b.ReportMetric(per1000, "oversells-per-1000")
		b.ReportMetric(float64(accepted), "accepted-orders")
	}
}
