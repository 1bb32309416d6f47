package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/amazon/amazontest"
	"github.com/accordhq/accord/cmd/accord/cli"
)

// amazonSpec is a spec directory with one amazon channel on the fake
// (extra appended to its config), a catalog of n SKUs at price and a
// stock file of 7 units each; the fake holds the same SKUs at 10.00 and
// qty units.
func amazonSpec(t testing.TB, f *amazontest.Server, n int, price string, qty int64, extra string) string {
	t.Helper()
	dir := t.TempDir()
	hcl := fmt.Sprintf(`settings {
  currency = "USD"
  timezone = "UTC"
}

channel "amazon_us" {
  type = "amazon"
  config {%s  }
}

catalog {
  file = "products.csv"
}

stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}

pool "main" {
  source   = "warehouse"
  channels = ["amazon_us"]
}

price_matrix "default" {
  rounding = "none"
}
`, strings.ReplaceAll(f.Config(extra), "\n", "\n    "))
	var products, stock strings.Builder
	products.WriteString("sku,price,title\n")
	stock.WriteString("sku,on_hand\n")
	ls := make([]adapters.Listing, n)
	for i := range n {
		sku := fmt.Sprintf("AZ-%05d", i)
		fmt.Fprintf(&products, "%s,%s,Item %d\n", sku, price, i)
		fmt.Fprintf(&stock, "%s,7\n", sku)
		ls[i] = adapters.Listing{
			Key:      adapters.Key{Channel: "amazon_us", SKU: sku},
			Price:    decimal.NullDecimal{Decimal: decimal.New(1000, -2), Valid: true},
			Quantity: adapters.Quantity{Units: qty, Valid: true},
		}
	}
	f.Seed(ls)
	for name, text := range map[string]string{"accord.hcl": hcl, "products.csv": products.String(), "stock.csv": stock.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// accordAmazon runs accord in-process with the fake's credentials in its
// environment, and nothing else.
func accordAmazon(t testing.TB, dir string, args ...string) (string, int) {
	t.Helper()
	env := amazontest.Env()
	env["NO_COLOR"] = "1"
	var out bytes.Buffer
	code := cli.Run(context.Background(), append(args, "--dir", dir), cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Now: time.Now})
	return out.String(), code
}

// checkPrices fails unless every listing AZ-00000..n-1 on the fake has
// price and quantity 7.
func checkPrices(t testing.TB, f *amazontest.Server, n int, price string) {
	t.Helper()
	want := decimal.RequireFromString(price)
	for i := range n {
		sku := fmt.Sprintf("AZ-%05d", i)
		it, ok := f.Listing(sku)
		if !ok || !it.Price.Valid || !it.Price.Decimal.Equal(want) || it.Quantity == nil || *it.Quantity != 7 {
			t.Fatalf("%s on the fake: %+v, want price %s and quantity 7", sku, it, price)
		}
	}
}

// accord plan then apply against the fake SP-API converge, by patch: the
// next plan is empty.
func TestAmazonPlanApplyConverges(t *testing.T) {
	f := amazontest.New(t)
	const n = 12
	dir := amazonSpec(t, f, n, "12.34", 3, "")
	first, code := accordAmazon(t, dir, "plan")
	if code != 0 || !strings.Contains(first, "AZ-00011") {
		t.Fatalf("plan: exit %d:\n%s", code, first)
	}
	out, code := "", 0
	if out, code = accordAmazon(t, dir, "apply", "--auto-approve"); code != 0 {
		t.Fatalf("apply: exit %d:\n%s", code, out)
	}
	checkPrices(t, f, n, "12.34")
	// Prices and quantities are applied as batches of their own: a patch
	// per listing for each.
	if got := f.Calls("patchListingsItem"); got != 2*n {
		t.Errorf("%d patches for %d listings, want two each", got, n)
	}
	if got := f.Calls("createFeed"); got != 0 {
		t.Errorf("%d feeds under the threshold", got)
	}
	if out, code = accordAmazon(t, dir, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("the plan after apply: exit %d:\n%s", code, out)
	}
}

// An apply of 10,000 price changes goes as one JSON_LISTINGS_FEED and is
// killed (SIGKILL, accord in a process of its own) while the feed is
// IN_PROGRESS on the fake; the next apply asks for that feed's outcome and
// finishes, without a second feed, and the plan after it is empty.
func TestAmazonFeedKilledThenFinished(t *testing.T) {
	if testing.Short() {
		t.Skip("runs accord as a process and kills it")
	}
	f := amazontest.New(t)
	const n = 10000
	// Only the prices differ: one batch, over the default threshold, one feed.
	dir := amazonSpec(t, f, n, "21.50", 7, "")
	f.HoldFeeds()

	cmd := exec.CommandContext(context.Background(), os.Args[0], "apply", "--auto-approve", "--dir", dir) //nolint:gosec // G204, G702: this test binary, run again as accord
	cmd.Env = append(os.Environ(), chaosChild+"=1", "NO_COLOR=1")
	for k, v := range amazontest.Env() {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var childOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Wait until the child polls the feed while it is IN_PROGRESS: the
	// feed is created and journaled, and Amazon is still at it.
	deadline := time.Now().Add(60 * time.Second)
	for {
		fs := f.Feeds()
		if len(fs) == 1 && fs[0].Status == "IN_PROGRESS" && fs[0].Polls >= 2 {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the apply ended (%v) before its feed was processing:\n%s", err, childOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no feed IN_PROGRESS after 60s (feeds %+v):\n%s", fs, childOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; !killed(cmd.ProcessState) {
		t.Fatalf("the apply was not killed (%v):\n%s", err, childOut.String())
	}
	if it, _ := f.Listing("AZ-00000"); it.Price.Decimal.String() != "10" {
		t.Fatalf("the held feed was applied before release: %+v", it)
	}

	f.ReleaseFeeds()
	polls := f.Feeds()[0].Polls
	out, code := accordAmazon(t, dir, "apply", "--auto-approve")
	if code != 0 {
		t.Fatalf("the apply after the kill: exit %d:\n%s", code, out)
	}
	if got := f.Calls("createFeed"); got != 1 {
		t.Errorf("%d createFeed calls, want exactly one: the next apply finishes the first feed\n%s", got, out)
	}
	if fs := f.Feeds(); len(fs) != 1 || fs[0].Status != "DONE" || fs[0].Polls <= polls {
		t.Errorf("feeds on the fake: %+v; want the one feed, asked for again (%d polls before) and DONE", fs, polls)
	}
	if !strings.Contains(out, "Settled an interrupted apply") {
		t.Errorf("the apply after the kill does not say it settled the interrupted one:\n%s", out)
	}
	checkPrices(t, f, n, "21.50")
	if out, code = accordAmazon(t, dir, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("the plan after: exit %d:\n%s", code, out)
	}
	if got := f.Calls("createFeed"); got != 1 {
		t.Errorf("%d createFeed calls after the last plan", got)
	}
}

// A SKU Amazon does not list is created as an offer where the catalog
// gives its ASIN (an asin column), once; without an ASIN it is a
// missing_listing exception that says why. The plan after the apply has
// no changes.
func TestAmazonOfferOnlyCreate(t *testing.T) {
	f := amazontest.New(t)
	dir := amazonSpec(t, f, 1, "12.34", 7, "")
	offer := adapters.Listing{Key: adapters.Key{Channel: "amazon_us", SKU: "AZ-00001"}}
	asin := f.ProductFor(&offer)
	catalog := "sku,price,title,asin\nAZ-00000,12.34,Item 0,\nAZ-00001,15.00,Item 1," + asin + "\nAZ-00002,9.00,Item 2,\n"
	stock := "sku,on_hand\nAZ-00000,7\nAZ-00001,5\nAZ-00002,3\n"
	for name, text := range map[string]string{"products.csv": catalog, "stock.csv": stock} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	plan, code := accordAmazon(t, dir, "plan", "--format", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d:\n%s", code, plan)
	}
	for _, want := range []string{`"identifiers": {`, `"asin": "` + asin + `"`, `"code": "missing_listing"`, "gives no ASIN"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan does not say %s:\n%s", want, plan)
		}
	}
	// A saved plan whose ASIN the catalog no longer gives is refused.
	saved := filepath.Join(t.TempDir(), "p.json")
	if out, code := accordAmazon(t, dir, "plan", "--out", saved); code != 0 {
		t.Fatalf("plan --out: exit %d:\n%s", code, out)
	}
	moved := strings.Replace(catalog, asin, "B0OTHER000", 1)
	if err := os.WriteFile(filepath.Join(dir, "products.csv"), []byte(moved), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := accordAmazon(t, dir, "apply", "--auto-approve", saved); code == 0 || !strings.Contains(out, "the saved plan is stale") {
		t.Fatalf("apply of a plan the catalog moved from: exit %d:\n%s", code, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "products.csv"), []byte(catalog), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := accordAmazon(t, dir, "apply", "--auto-approve", saved); code != 0 {
		t.Fatalf("apply: exit %d:\n%s", code, out)
	}
	it, ok := f.Listing("AZ-00001")
	if !ok || it.ASIN != asin || !it.Price.Decimal.Equal(decimal.RequireFromString("15.00")) || it.Quantity == nil || *it.Quantity != 5 {
		t.Fatalf("the offer on the fake: %+v (there: %v)", it, ok)
	}
	if n := f.Creates("AZ-00001"); n != 1 {
		t.Errorf("the offer was created %d times", n)
	}
	if _, ok := f.Listing("AZ-00002"); ok {
		t.Error("AZ-00002 was created without an ASIN")
	}
	out, code := accordAmazon(t, dir, "plan", "--detailed-exitcode")
	if code != 0 || !strings.Contains(out, "No changes.") || !strings.Contains(out, "AZ-00002") {
		t.Errorf("the plan after apply: exit %d:\n%s", code, out)
	}
}

// A promotion running now reaches Amazon as a sale Amazon schedules
// itself: discounted_price over the promotion's window next to the
// regular our_price. Read back, it is the plan's price over its
// compare-at, and the next plan is empty.
func TestAmazonPromotionScheduled(t *testing.T) {
	f := amazontest.New(t)
	const n = 3
	dir := amazonSpec(t, f, n, "10.00", 7, "")
	now := time.Now().UTC().Truncate(time.Second)
	starts, ends := now.Add(-time.Hour), now.Add(48*time.Hour)
	promo := fmt.Sprintf(`
promotion "winter" {
  starts   = %q
  ends     = %q
  discount = "20%%"
}
`, starts.Format(time.RFC3339), ends.Format(time.RFC3339))
	hcl, err := os.ReadFile(filepath.Join(dir, "accord.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accord.hcl"), append(hcl, promo...), 0o600); err != nil {
		t.Fatal(err)
	}
	plan, code := accordAmazon(t, dir, "plan", "--format", "json")
	if code != 0 || !strings.Contains(plan, `"promotion": "winter"`) || !strings.Contains(plan, `"ends": "`+ends.Format(time.RFC3339)+`"`) {
		t.Fatalf("plan: exit %d, want each price change to carry the sale:\n%s", code, plan)
	}
	// Through a saved plan: its sales are checked against the spec again.
	saved := filepath.Join(t.TempDir(), "p.json")
	if out, code := accordAmazon(t, dir, "plan", "--out", saved); code != 0 {
		t.Fatalf("plan --out: exit %d:\n%s", code, out)
	}
	// A sale made to run longer by hand is refused, naming the promotion.
	raw, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	longer := filepath.Join(t.TempDir(), "longer.json")
	later := ends.Add(72 * time.Hour).Format(time.RFC3339)
	if err := os.WriteFile(longer, bytes.Replace(raw, []byte(`"ends": "`+ends.Format(time.RFC3339)+`"`), []byte(`"ends": "`+later+`"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := accordAmazon(t, dir, "apply", "--auto-approve", longer); code == 0 || !strings.Contains(out, "the plan's promotion is winter") || !strings.Contains(out, later) {
		t.Fatalf("apply of a sale edited to run longer: exit %d:\n%s", code, out)
	}
	if got := f.Calls("patchListingsItem"); got != 0 {
		t.Fatalf("%d patches sent for a refused plan", got)
	}
	if out, code := accordAmazon(t, dir, "apply", "--auto-approve", saved); code != 0 {
		t.Fatalf("apply: exit %d:\n%s", code, out)
	}
	for i := range n {
		sku := fmt.Sprintf("AZ-%05d", i)
		it, _ := f.Listing(sku)
		if !it.Price.Valid || it.Price.Decimal.StringFixed(2) != "10.00" || it.Sale == nil ||
			it.Sale.Price.StringFixed(2) != "8.00" || !it.Sale.Starts.Equal(starts) || !it.Sale.Ends.Equal(ends) {
			t.Fatalf("%s on the fake: our_price %v, sale %+v; want 10.00 and 8.00 from %s to %s", sku, it.Price, it.Sale, starts, ends)
		}
	}
	// The price and the compare-at of a listing went as one patch.
	if got := f.Calls("patchListingsItem"); got != n {
		t.Errorf("%d patches for %d listings on sale, want one each", got, n)
	}
	if out, code := accordAmazon(t, dir, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes.") {
		t.Errorf("the plan after apply: exit %d:\n%s", code, out)
	}
}
