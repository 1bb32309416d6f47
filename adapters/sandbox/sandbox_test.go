package sandbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
)

var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// open opens sandbox channel name in dir.
func open(t *testing.T, dir, name string) *Channel {
	t.Helper()
	c, err := OpenChannel(context.Background(), adapters.Setup{Name: name, Currency: "USD", Scale: 2, SpecDir: dir, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func v(s string) adapters.Value { return adapters.Value{Text: s, Set: true} }

func listing(sku string, qty int64, price string) *adapters.Listing {
	return &adapters.Listing{Key: adapters.Key{Channel: "shop", SKU: sku}, Currency: "USD",
		Quantity: adapters.Quantity{Units: qty, Valid: true},
		Price:    decimal.NullDecimal{Decimal: decimal.RequireFromString(price), Valid: true},
		Fields:   []adapters.Field{{Name: "title", Value: "Lamp " + sku}}}
}

func create(sku string, qty int64, price string) adapters.Change {
	return adapters.Change{Key: adapters.Key{Channel: "shop", SKU: sku}, Kind: adapters.KindCreate, Listing: listing(sku, qty, price)}
}

func observe(t *testing.T, c *Channel, skus ...string) map[string]adapters.Listing {
	t.Helper()
	out := map[string]adapters.Listing{}
	err := c.Observe(context.Background(), skus, func(page []adapters.Listing) error {
		for _, l := range page {
			out[l.SKU] = l
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// errText renders a result for comparison: "ok" or the error's type and text.
func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return fmt.Sprintf("%T: %v", err, err)
}

func TestApplyAndObserve(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := open(t, dir, "shop")
	other := open(t, dir, "market") // shares sandbox.db, not its listings
	res := c.Apply(ctx, []adapters.Change{create("A", 5, "10.00"), create("B", 0, "20.5")})
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("create %d: %v", i, r.Err)
		}
	}
	if _, err := c.Sell(ctx, "A", "A", 2); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		change adapters.Change
		want   string
	}{
		// Compare-and-set: a write from the quantity seen before the sale
		// is refused with the quantity now.
		{adapters.Change{Key: adapters.Key{SKU: "A"}, Kind: adapters.KindQuantity, From: v("5"), To: v("9")}, "*adapters.ConflictError: quantity changed on the channel since it was observed (now 3)"},
		{adapters.Change{Key: adapters.Key{SKU: "A"}, Kind: adapters.KindQuantity, From: v("3"), To: v("9")}, "ok"},
		{adapters.Change{Key: adapters.Key{SKU: "B"}, Kind: adapters.KindQuantity, To: v("-1")}, "*adapters.RejectedError: rejected: quantity -1 is not a whole number of units >= 0"},
		{adapters.Change{Key: adapters.Key{SKU: "B"}, Kind: adapters.KindPrice, From: v("20.50"), To: v("0.00")}, "*adapters.RejectedError: rejected: price 0.00 must be above zero"},
		{adapters.Change{Key: adapters.Key{SKU: "B"}, Kind: adapters.KindCompareAt, To: v("25.00")}, "ok"},
		{adapters.Change{Key: adapters.Key{SKU: "B"}, Kind: adapters.KindField, Field: "title", To: v(strings.Repeat("x", 256))}, "*adapters.RejectedError: rejected: title is 256 characters; the most is 255"},
		{adapters.Change{Key: adapters.Key{SKU: "B"}, Kind: adapters.KindField, Field: "gtin", To: v("0850")}, "ok"},
		{adapters.Change{Key: adapters.Key{SKU: "Z"}, Kind: adapters.KindPrice, To: v("1.00")}, "*adapters.RejectedError: rejected: no such listing on the channel"},
		{adapters.Change{Key: adapters.Key{SKU: "C"}, Kind: adapters.KindCreate, Listing: &adapters.Listing{Currency: "EUR"}}, "*adapters.RejectedError: rejected: currency EUR; the channel sells in USD"},
	}
	var changes []adapters.Change
	for _, tc := range cases {
		changes = append(changes, tc.change)
	}
	for i, r := range c.Apply(ctx, changes) {
		if got := errText(r.Err); got != cases[i].want {
			t.Errorf("%s %s -> %s: %s, want %s", cases[i].change.SKU, cases[i].change.Field, cases[i].change.To, got, cases[i].want)
		}
	}
	got := observe(t, c)
	a, b := got["A"], got["B"]
	if len(got) != 2 || a.Quantity.Units != 9 || a.Price.Decimal.StringFixed(2) != "10.00" || a.Status != "active" || a.Currency != "USD" {
		t.Errorf("observed A: %+v (of %d)", a, len(got))
	}
	if b.Price.Decimal.StringFixed(2) != "20.50" || b.CompareAt.Decimal.StringFixed(2) != "25.00" {
		t.Errorf("observed B prices: %v %v", b.Price, b.CompareAt)
	}
	if gtin, _ := b.Field("gtin"); gtin != "0850" {
		t.Errorf("observed B fields: %q", b.Fields)
	}
	if n := len(observe(t, other)); n != 0 {
		t.Errorf("market observes %d of shop's listings", n)
	}
	if only := observe(t, c, "B", "Z"); len(only) != 1 || only["B"].SKU != "B" {
		t.Errorf("observe B and Z: %v", only)
	}
}

// Observe pages through every listing, and asks for many SKUs in chunks.
func TestObservePages(t *testing.T) {
	ctx := context.Background()
	c := open(t, t.TempDir(), "shop")
	const n = 10_003
	var skus []string
	for start := 0; start < n; start += c.Limits().BatchSize {
		var batch []adapters.Change
		for i := start; i < min(start+c.Limits().BatchSize, n); i++ {
			sku := fmt.Sprintf("S%05d", i)
			skus = append(skus, sku)
			batch = append(batch, create(sku, int64(i%7), "9.99"))
		}
		for _, r := range c.Apply(ctx, batch) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	var pages []int
	seen := map[string]bool{}
	err := c.Observe(ctx, nil, func(page []adapters.Listing) error {
		pages = append(pages, len(page))
		for _, l := range page {
			seen[l.SKU] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n || len(pages) != 2 || pages[0] != c.Limits().PageSize {
		t.Errorf("observed %d listings in pages %v", len(seen), pages)
	}
	if got := observe(t, c, skus[:1201]...); len(got) != 1201 {
		t.Errorf("observed %d of 1201 SKUs asked for", len(got))
	}
	stop := errors.New("stop")
	if err := c.Observe(ctx, nil, func([]adapters.Listing) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("an error from page: Observe = %v", err)
	}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	c := open(t, t.TempDir(), "shop")
	if r := c.Apply(ctx, []adapters.Change{create("A", 5, "10.00")}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	price := adapters.Change{Key: adapters.Key{SKU: "A"}, Kind: adapters.KindPrice, To: v("11.00")}
	cases := []struct {
		faults Faults
		want   string
	}{
		{Faults{Throttle: "100%", RetryAfter: "20ms"}, "*adapters.ThrottledError: throttled, retry after 20ms: HTTP 429 Too Many Requests"},
		{Faults{ServerError: "100%"}, "*adapters.TemporaryError: HTTP 503 Service Unavailable"},
		{Faults{Partial: "100%"}, "*adapters.TemporaryError: item failed: internal error, retry"},
		{Faults{Reject: "100%"}, "*adapters.RejectedError: rejected: listing is under marketplace review and cannot be edited"},
		{Faults{Throttle: "0%", Reject: "0%"}, "ok"},
	}
	for _, tc := range cases {
		if err := c.SetFaults(ctx, tc.faults); err != nil {
			t.Fatal(err)
		}
		if got := errText(c.Apply(ctx, []adapters.Change{price})[0].Err); got != tc.want {
			t.Errorf("faults %+v: %s, want %s", tc.faults, got, tc.want)
		}
	}
	if err := c.SetFaults(ctx, Faults{Throttle: "150%"}); err == nil {
		t.Error("a share over 100% was accepted")
	}

	// Timeouts: half land anyway; every one is reported as a timeout.
	if err := c.SetFaults(ctx, Faults{Timeout: "100%", Seed: 7}); err != nil {
		t.Fatal(err)
	}
	landed := 0
	for i := range 40 {
		to := fmt.Sprintf("%d.00", 20+i)
		r := c.Apply(ctx, []adapters.Change{{Key: adapters.Key{SKU: "A"}, Kind: adapters.KindPrice, To: v(to)}})
		var te *adapters.TemporaryError
		if !errors.As(r[0].Err, &te) || !te.Timeout {
			t.Fatalf("attempt %d: %v, want a timeout", i, r[0].Err)
		}
		if observe(t, c)["A"].Price.Decimal.StringFixed(2) == to {
			landed++
		}
	}
	if landed < 8 || landed > 32 {
		t.Errorf("%d of 40 timed-out requests landed; about half should", landed)
	}
}

// A sale injected before the apply that writes the quantity is not
// overwritten: the write meets a conflict.
func TestSellOnApply(t *testing.T) {
	ctx := context.Background()
	c := open(t, t.TempDir(), "shop")
	if r := c.Apply(ctx, []adapters.Change{create("A", 5, "10.00")}); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if err := c.SetFaults(ctx, Faults{SellOnApply: []Sale{{SKU: "A", Units: 2}}}); err != nil {
		t.Fatal(err)
	}
	r := c.Apply(ctx, []adapters.Change{{Key: adapters.Key{SKU: "A"}, Kind: adapters.KindQuantity, From: v("5"), To: v("4")}})
	var conf *adapters.ConflictError
	if !errors.As(r[0].Err, &conf) || conf.Current != v("3") {
		t.Fatalf("write after an injected sale: %v, want a conflict at 3", r[0].Err)
	}
	if f, _ := c.Faults(ctx); len(f.SellOnApply) != 0 {
		t.Errorf("the sale hook fired and is still set: %+v", f.SellOnApply)
	}
	if q := observe(t, c)["A"].Quantity.Units; q != 3 {
		t.Errorf("quantity %d after the sale, want 3", q)
	}
}

func body(t *testing.T, src string) hcl.Body {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "accord.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return f.Body
}

func TestDecodeConfig(t *testing.T) {
	cases := []struct {
		src     string
		want    Config
		wantErr string
	}{
		{src: ``, want: Config{Dir: filepath.Join("/spec", DefaultDir), BatchSize: 1000, PageSize: 10000, RateLimit: rate.Inf, WatchInterval: DefaultWatchInterval}},
		{src: "dir = \"sim\"\nbatch_size = 50\nrate_limit = 2\nlatency = \"20ms\"\n",
			want: Config{Dir: filepath.Join("/spec", "sim"), BatchSize: 50, PageSize: 10000, RateLimit: 2, Latency: 20 * time.Millisecond, WatchInterval: DefaultWatchInterval}},
		{src: `dir = "/var/sandbox"`, want: Config{Dir: "/var/sandbox", BatchSize: 1000, PageSize: 10000, RateLimit: rate.Inf, WatchInterval: DefaultWatchInterval}},
		{src: `batch_size = 0`, wantErr: "accord.hcl:1,14-15: Invalid batch_size"},
		{src: `batch_size = 1.5`, wantErr: "Invalid batch_size"},
		{src: `rate_limit = -1`, wantErr: "accord.hcl:1,14-16: Invalid rate_limit"},
		{src: `latency = "soon"`, wantErr: "\"soon\" is not a duration"},
		{src: `watch_interval = "10ms"`, want: Config{Dir: filepath.Join("/spec", DefaultDir), BatchSize: 1000, PageSize: 10000, RateLimit: rate.Inf, WatchInterval: 10 * time.Millisecond}},
		{src: `watch_interval = "0s"`, wantErr: "accord.hcl:1,18-22: Invalid watch_interval"},
		{src: `watch_interval = "-1s"`, wantErr: "Invalid watch_interval"},
		{src: `watch_interval = 5`, wantErr: "\"5\" is not a duration"},
		{src: `colour = "red"`, wantErr: "Unsupported argument"},
	}
	for _, tc := range cases {
		cfg, err := DecodeConfig(adapters.Setup{Name: "shop", SpecDir: "/spec", Config: body(t, tc.src)})
		if tc.wantErr != "" {
			var ce *adapters.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: %v, want a config error containing %q", tc.src, err, tc.wantErr)
			}
			continue
		}
		if err != nil || cfg != tc.want {
			t.Errorf("%q: %+v, %v; want %+v", tc.src, cfg, err, tc.want)
		}
	}
}

// A creation sent twice lands twice: the listing keeps its reference and
// is counted, as a real channel would hold a duplicate product.
func TestDuplicates(t *testing.T) {
	ctx := context.Background()
	c := open(t, t.TempDir(), "shop")
	for _, batch := range [][]adapters.Change{{create("A", 5, "10.00"), create("B", 1, "2.00")}, {create("A", 4, "10.00")}, {create("A", 4, "10.00")}} {
		for _, r := range c.Apply(ctx, batch) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	got, err := c.Duplicates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["A"] != 3 {
		t.Errorf("duplicates %v, want A created 3 times", got)
	}
	if ref := observe(t, c, "A")["A"].Ref; ref != "sbx-1" {
		t.Errorf("A's reference after it was created again: %q, want the first one", ref)
	}
}
