package cli_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to read the state and the sandbox
)

// chaosChild is the environment variable that makes the test binary run
// accord itself (see TestMain): the fault campaign kills real processes.
const chaosChild = "ACCORD_CHAOS_CHILD"

// chaosSize is the campaign: SKUs per channel and kills. CI runs a small
// one; `make chaos` sets ACCORD_CHAOS_SKUS and ACCORD_CHAOS_KILLS for the
// full size (10k SKUs x 6 channels, 20 kills).
func chaosSize(t *testing.T) (skus, kills int, seed uint64) {
	skus, kills, seed = 120, 4, 1
	for name, into := range map[string]*int{"ACCORD_CHAOS_SKUS": &skus, "ACCORD_CHAOS_KILLS": &kills} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: a whole number of at least 1", name, v)
			}
			*into = n
		}
	}
	if v := os.Getenv("ACCORD_CHAOS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ACCORD_CHAOS_SEED=%q: %v", v, err)
		}
		seed = n
	}
	return skus, kills, seed
}

var chaosChannels = []string{"c1", "c2", "c3", "c4", "c5", "c6"}

// TestChaos is the fault campaign: applies to six sandbox channels under
// 20% timeouts (half of which land), 15% throttling, 10% server errors and
// 10% of items failing inside their batch are killed (SIGKILL) at random
// batches, right after a batch landed and before accord heard the answer;
// halfway the spec changes every third SKU's price and title. Then the
// faults stop and one more apply runs. Invariants: every field on the
// channels is the audit log's last value for it, no listing was created
// twice, the journal holds nothing unsettled, and the final plan is empty.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault campaign runs processes")
	}
	nSKUs, nKills, seed := chaosSize(t)
	rng := rand.New(rand.NewPCG(seed, 0xc4a05)) //nolint:gosec // G404: a reproducible campaign, not security
	dir := t.TempDir()
	batch := max(5, nSKUs/100)
	writeChaosSpec(t, dir, nSKUs, batch, 1)
	// runKill runs accord, killing it (SIGKILL) after killAfter when that
	// is not zero: a kill at a point of the apply no hook names (planning,
	// recovering, between journal writes).
	runKill := func(killAfter time.Duration, args ...string) (string, *os.ProcessState, error) {
		cmd := exec.CommandContext(context.Background(), os.Args[0], append(args, "--dir", dir)...) //nolint:gosec // G204, G702: this test binary, run again as accord with the campaign's arguments
		cmd.Env = append(os.Environ(), chaosChild+"=1", "NO_COLOR=1")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if killAfter > 0 {
			timer := time.AfterFunc(killAfter, func() { _ = cmd.Process.Kill() })
			defer timer.Stop()
		}
		err := cmd.Wait()
		return out.String(), cmd.ProcessState, err
	}
	run := func(args ...string) (string, *os.ProcessState, error) { return runKill(0, args...) }
	must := func(args ...string) string {
		t.Helper()
		out, _, err := run(args...)
		if err != nil {
			t.Fatalf("accord %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	faults := func(round int, crash string, crashAfter int) {
		for i, ch := range chaosChannels {
			args := []string{"sandbox", "faults", ch, "--timeout", "20%", "--throttle", "15%", "--server-error", "10%",
				"--partial", "10%", "--retry-after", "1ms", "--seed", strconv.Itoa(round*10 + i + 1)}
			if ch == crash {
				args = append(args, "--crash-after", strconv.Itoa(crashAfter))
			}
			must(args...)
		}
	}
	start := time.Now()
	kills, hooked, runs, revision := 0, 0, 0, 1
	typical := time.Duration(0) // how long an apply that lived took
	for kills < nKills {
		runs++
		if runs > nKills*8 {
			t.Fatalf("%d runs and only %d kills: the crash hook is not firing", runs, kills)
		}
		// Every other kill is the crash hook: right after a batch landed,
		// before accord heard the answer. The first pass creates every
		// listing, about nSKUs/batch batches a channel; a revision changes
		// two fields of a third of them. The others are a timer, at any
		// point of an apply.
		var killAfter time.Duration
		if kills%2 == 1 && typical > 0 {
			killAfter = time.Duration(1 + rng.Int64N(int64(typical)))
			faults(runs, "", 0)
		} else {
			faults(runs, chaosChannels[rng.IntN(len(chaosChannels))], 1+rng.IntN(max(1, nSKUs/batch/2)))
		}
		began := time.Now()
		out, state, err := runKill(killAfter, "apply", "--auto-approve", "--backoff", "1ms", "--max-attempts", "3")
		if killed(state) {
			kills++
			if killAfter == 0 {
				hooked++
			}
			continue
		}
		typical = time.Since(began)
		if err != nil && exitCode(state) != 1 {
			t.Fatalf("apply run %d: %v\n%s", runs, err, out)
		}
		// The apply lived: the next one gets work, the other revision.
		revision = 3 - revision
		writeChaosSpec(t, dir, nSKUs, batch, revision)
	}
	// The faults go on: the applies converge through them.
	converged := false
	for i := range 8 {
		faults(100+i, "", 0)
		_, state, err := run("apply", "--auto-approve", "--backoff", "1ms", "--max-attempts", "6")
		if killed(state) {
			t.Fatal("an apply was killed with no crash hook set")
		}
		if err == nil {
			converged = true
			break
		}
	}
	for _, ch := range chaosChannels {
		must("sandbox", "faults", ch, "--clear")
	}
	must("apply", "--auto-approve")
	if out, _, err := run("plan", "--detailed-exitcode"); err != nil || !strings.Contains(out, "No changes.") {
		t.Errorf("the final plan is not empty (%v):\n%s", err, out)
	}
	got := checkChaos(t, dir)
	t.Logf("chaos: %d SKUs x %d channels, %d runs, %d killed (%d by the crash hook after a batch landed, %d at a random moment); converged under faults: %v; %d fields checked: %d missing from the audit, %d differing from it; %d listings created twice; %d batches unsettled; %s",
		nSKUs, len(chaosChannels), runs, kills, hooked, kills-hooked, converged, got.fields, got.missing, got.differing, got.duplicates, got.pending, time.Since(start).Round(time.Second))
	if got.missing+got.differing+got.duplicates+got.pending > 0 {
		t.Errorf("invariants broken: %+v (examples: %q)", got, got.examples)
	}
	if got.fields < nSKUs*len(chaosChannels)*3 {
		t.Errorf("only %d fields on the channels; want at least %d", got.fields, nSKUs*len(chaosChannels)*3)
	}
}

func killed(ps *os.ProcessState) bool {
	if ps == nil {
		return false
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	return ps.ExitCode()
}

// writeChaosSpec writes the campaign's spec: revision 2 changes every
// third SKU's price and title.
func writeChaosSpec(t *testing.T, dir string, skus, batch, revision int) {
	t.Helper()
	var hcl strings.Builder
	hcl.WriteString("settings {\n  currency = \"USD\"\n  timezone = \"UTC\"\n}\n")
	for i, ch := range chaosChannels {
		async := ""
		if i == 5 {
			async = "\n    async = true"
		}
		fmt.Fprintf(&hcl, "channel %q {\n  type = \"sandbox\"\n  config {\n    batch_size = %d%s\n  }\n}\n", ch, batch, async)
	}
	fmt.Fprintf(&hcl, `catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "sandbox"
  file = "stock.csv"
}
pool "main" {
  source       = "warehouse"
  channels     = [%s]
  safety_stock = 1
}
price_matrix "default" {
  rounding = "none"
  channel "c2" {
    adjust = "+10%%"
  }
}
listing {
  title = product.title
}
drift {
  quantity = "correct"
  price    = "correct"
  fields   = "report"
}
`, `"`+strings.Join(chaosChannels, `", "`)+`"`)
	var products, stock strings.Builder
	products.WriteString("sku,price,title\n")
	stock.WriteString("sku,on_hand\n")
	for i := range skus {
		price, title := fmt.Sprintf("%d.%02d", 5+i%90, i%100), fmt.Sprintf("Item %d", i)
		if revision == 2 && i%3 == 0 {
			price, title = fmt.Sprintf("%d.%02d", 6+i%90, (i+7)%100), fmt.Sprintf("Item %d (second edition)", i)
		}
		fmt.Fprintf(&products, "S-%05d,%s,%s\n", i, price, title)
		fmt.Fprintf(&stock, "S-%05d,%d\n", i, 3+i%40)
	}
	for name, text := range map[string]string{"accord.hcl": hcl.String(), "products.csv": products.String(), "stock.csv": stock.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// chaosResult is what the invariants found.
type chaosResult struct {
	fields, missing, differing, duplicates, pending int
	examples                                        []string
}

// checkChaos compares every field of every listing on the sandbox with the
// audit log's last value for it, counts listings created more than once
// and batches the journal has not settled.
func checkChaos(t *testing.T, dir string) chaosResult {
	t.Helper()
	open := func(path string) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	ctx := context.Background()
	state := open(filepath.Join(dir, ".accord", "state.db"))
	audited := lastAudited(t, state)
	var r chaosResult
	if err := state.QueryRowContext(ctx, `SELECT count(*) FROM batches WHERE state IN ('sent', 'unknown')`).Scan(&r.pending); err != nil {
		t.Fatal(err)
	}
	sb := open(filepath.Join(dir, ".accord", "sandbox", "sandbox.db"))
	rows, err := sb.QueryContext(ctx, `SELECT channel, sku, quantity, price, compare_at, fields, creates FROM listings`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	note := func(format string, args ...any) {
		if len(r.examples) < 5 {
			r.examples = append(r.examples, fmt.Sprintf(format, args...))
		}
	}
	for rows.Next() {
		var (
			ch, sku, fields string
			qty             sql.NullInt64
			price, compare  sql.NullString
			creates         int
		)
		if err := rows.Scan(&ch, &sku, &qty, &price, &compare, &fields, &creates); err != nil {
			t.Fatal(err)
		}
		if creates > 1 {
			r.duplicates++
			note("%s %s created %d times", ch, sku, creates)
		}
		have := map[string]sql.NullString{"price": price, "compare_at": compare}
		if qty.Valid {
			have["quantity"] = sql.NullString{String: strconv.FormatInt(qty.Int64, 10), Valid: true}
		}
		var fs map[string]string
		if err := json.Unmarshal([]byte(fields), &fs); err != nil {
			t.Fatal(err)
		}
		for k, v := range fs {
			have[k] = sql.NullString{String: v, Valid: true}
		}
		for field, v := range have {
			if !v.Valid && field == "compare_at" {
				continue // never set: nothing to audit
			}
			r.fields++
			a, ok := audited[ch+" "+sku+" "+field]
			switch {
			case !ok:
				r.missing++
				note("%s %s %s = %q is not in the audit", ch, sku, field, v.String)
			case a != v:
				r.differing++
				note("%s %s %s = %q, the audit's last value %q", ch, sku, field, v.String, a.String)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

// lastAudited is the audit log's last value of each field, by "channel sku
// field".
func lastAudited(t *testing.T, state *sql.DB) map[string]sql.NullString {
	t.Helper()
	rows, err := state.QueryContext(context.Background(), `SELECT channel, sku, field, to_value FROM audit ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	audited := map[string]sql.NullString{}
	for rows.Next() {
		var ch, sku, field string
		var to sql.NullString
		if err := rows.Scan(&ch, &sku, &field, &to); err != nil {
			t.Fatal(err)
		}
		audited[ch+" "+sku+" "+field] = to
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return audited
}
