package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters/amazon/amazontest"
	"github.com/accordhq/accord/adapters/shopify/shopifytest"
	"github.com/accordhq/accord/cmd/accord/cli"
)

// Throughput of a big apply against the channels' fakes, held to their
// documented usage plans (issue 13: at least 90% of the documented
// throughput, no throttling answer in steady state). Benchmarks only: go
// test -run '^$' -bench 'ShopifyApply10k|AmazonApply10k' -benchtime 1x.

// The Shopify plan the benchmark holds the fake to: Shopify Plus's restore
// rate of 1,000 points a second (https://shopify.dev/docs/api/usage/rate-limits;
// Standard's 100 makes one run 100 s, and held 99.96% of it with no
// THROTTLED, measured once on 2026-11-30) and a bucket of 2,000
// points (the per-plan bucket size is unconfirmed in
// ../shared/apis/shopify-notes.md; 2,000 is the fake's default).
const (
	shopifyRestore = 1000.0
	shopifyBucket  = 2000.0
)

// costMeter sits in front of the fake store and adds up the cost the store
// charged (extensions.cost.actualQueryCost) of every answer.
type costMeter struct {
	mu     sync.Mutex
	points float64
}

func (m *costMeter) proxy(tb testing.TB, target string) string {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(r *http.Response) error {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(raw))
		var ans struct {
			Extensions struct {
				Cost struct {
					Actual *float64 `json:"actualQueryCost"`
				} `json:"cost"`
			} `json:"extensions"`
		}
		if json.Unmarshal(raw, &ans) == nil && ans.Extensions.Cost.Actual != nil {
			m.mu.Lock()
			m.points += *ans.Extensions.Cost.Actual
			m.mu.Unlock()
		}
		return nil
	}
	srv := httptest.NewServer(p)
	tb.Cleanup(srv.Close)
	return srv.URL
}

func (m *costMeter) spent() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.points
}

// newShopify10k is a store of 1,000 products of 10 variants each at 10.00
// with 5 available, a catalog that prices every one of them at price and a
// stock file of onHand each: at 12.50 and 5, a plan of exactly 10,000
// price changes. The endpoint is a costMeter in front of the store.
func newShopify10k(b *testing.B, price string, onHand int) (*shopifyStore, *costMeter) {
	b.Helper()
	s := &shopifyStore{t: b, dir: b.TempDir(), store: shopifytest.New(b)}
	m := &costMeter{}
	var products, stock strings.Builder
	products.WriteString("sku,price,title\n")
	stock.WriteString("sku,on_hand\n")
	for p := range 1000 {
		title := fmt.Sprintf("Product %04d", p)
		vs := make([]shopifytest.SeedVariant, 10)
		for v := range vs {
			sku := fmt.Sprintf("SH-%04d-%02d", p, v)
			vs[v] = shopifytest.SeedVariant{SKU: sku, Price: "10.00", Available: 5}
			fmt.Fprintf(&products, "%s,%s,%s\n", sku, price, title)
			fmt.Fprintf(&stock, "%s,%d\n", sku, onHand)
		}
		s.store.AddProduct(title, vs...)
	}
	for name, text := range map[string]string{
		"accord.hcl":   fmt.Sprintf(shopifySpec, m.proxy(b, s.store.URL())),
		"products.csv": products.String(),
		"stock.csv":    stock.String(),
	} {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(text), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return s, m
}

// shopifyRun is what benchShopify10k measured over b.N applies.
type shopifyRun struct {
	elapsed   time.Duration
	points    float64
	throttled int
}

// benchShopify10k applies a plan of exactly 10,000 changes (newShopify10k
// at price and onHand) b.N times, each from an empty bucket refilling at
// restore points a second, so that the whole apply runs in steady state;
// check looks at the store after each. It fails on any THROTTLED answer.
func benchShopify10k(b *testing.B, price string, onHand int, restore float64, check func(*shopifytest.Store) error) shopifyRun {
	if testing.Short() {
		b.Skip("10,000 changes through the fake store")
	}
	var run shopifyRun
	for range b.N {
		b.StopTimer()
		s, m := newShopify10k(b, price, onHand)
		out, code := s.accord("plan", "--detailed-exitcode")
		if code != cli.ExitChanges || !strings.Contains(out, "Plan: 10000 changes on 1 channel") {
			b.Fatalf("the first plan exited %d, want exactly 10,000 changes:\n%s", code, lastLines(out))
		}
		s.store.SetThrottle(shopifyBucket, restore, 0)
		before, throttledBefore := m.spent(), s.store.Throttled()
		b.StartTimer()
		start := time.Now()
		out, code = s.accord("apply", "--auto-approve")
		run.elapsed += time.Since(start)
		b.StopTimer()
		if code != cli.ExitOK || !strings.Contains(out, "Applied 10000 of 10000.") {
			b.Fatalf("apply exited %d:\n%s", code, lastLines(out))
		}
		run.points += m.spent() - before
		run.throttled += s.store.Throttled() - throttledBefore
		if err := check(s.store); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(run.throttled)/float64(b.N), "throttled/op")
	if run.throttled != 0 {
		b.Errorf("%d THROTTLED answers in steady state, want none", run.throttled)
	}
	return run
}

// BenchmarkShopifyApply10k applies 10,000 price changes (1,000 products of
// 10 variants) at Plus's restore rate: the points it spends a second,
// against the restore rate, are its share of the documented throughput.
func BenchmarkShopifyApply10k(b *testing.B) {
	run := benchShopify10k(b, "12.50", 5, shopifyRestore, func(s *shopifytest.Store) error {
		if v, _ := s.Variant("SH-0999-09"); v.Price != "12.50" {
			return fmt.Errorf("SH-0999-09 is at %s after apply, want 12.50", v.Price)
		}
		return nil
	})
	secs := run.elapsed.Seconds()
	b.ReportMetric(float64(10000*b.N)/secs, "changes/s")
	b.ReportMetric(run.points/secs, "points/s")
	b.ReportMetric(100*run.points/secs/shopifyRestore, "%restore")
}

// BenchmarkShopifyQuantities10k applies 10,000 quantity changes at the
// Standard plan's restore rate of 100 points a second. The quantities of a
// request go as one inventorySetQuantities (10 points, whatever it
// carries); one mutation per quantity would take 1,000 s here.
func BenchmarkShopifyQuantities10k(b *testing.B) {
	const restore = 100.0
	run := benchShopify10k(b, "10.00", 9, restore, func(s *shopifytest.Store) error {
		if v, _ := s.Variant("SH-0999-09"); v.Available != 9 {
			return fmt.Errorf("SH-0999-09 has %d available after apply, want 9", v.Available)
		}
		return nil
	})
	secs := run.elapsed.Seconds()
	b.ReportMetric(secs/float64(b.N), "s/apply")
	b.ReportMetric(float64(10000*b.N)/secs, "changes/s")
	b.ReportMetric(run.points/float64(b.N), "points/apply")
	b.ReportMetric(100*run.points/secs/restore, "%restore")
}

// The Amazon usage plans the benchmarks hold the fake to: the defaults in
// Amazon's models (docs/channels/amazon.md, "Limits that shape a big
// apply"). The fake declares no x-amzn-RateLimit-Limit of its own (its
// default 100 a second for every operation would let the adapter read
// faster than the plan), so the adapter paces by the same defaults.
func amazonLimits(f *amazontest.Server) {
	f.SetRateHeader("")
	f.SetLimit("searchListingsItems", rate.NewLimiter(5, 5))
	f.SetLimit("patchListingsItem", rate.NewLimiter(5, 5))
	f.SetLimit("createFeedDocument", rate.NewLimiter(0.5, 15))
	f.SetLimit("createFeed", rate.NewLimiter(0.0083, 15))
	f.SetLimit("getFeed", rate.NewLimiter(2, 15))
	f.SetLimit("getFeedDocument", rate.NewLimiter(0.0222, 10))
}

// BenchmarkAmazonApply10k applies 10,000 price changes under the default
// feed_threshold: one createFeed; the time to submit is until the fake has
// the feed, the time to confirm until apply has read its processing
// report. Then, the patch path: 150 changes under a feed_threshold above
// that, against patchListingsItem's 5 a second.
func BenchmarkAmazonApply10k(b *testing.B) {
	if testing.Short() {
		b.Skip("10,000 changes through the fake SP-API")
	}
	var submit, confirm, patchElapsed time.Duration
	var throttled, patchThrottled, searches int
	for range b.N {
		b.StopTimer()
		f := amazontest.New(b)
		const n = 10000
		dir := amazonSpec(b, f, n, "21.50", 7, "")
		amazonLimits(f)
		b.StartTimer()
		start := time.Now()
		submitted := make(chan time.Duration, 1)
		done := make(chan struct{})
		go func() {
			for {
				if len(f.Feeds()) > 0 {
					submitted <- time.Since(start)
					return
				}
				select {
				case <-done:
					submitted <- 0
					return
				case <-time.After(time.Millisecond):
				}
			}
		}()
		out, code := accordAmazon(b, dir, "apply", "--auto-approve")
		confirm += time.Since(start)
		b.StopTimer()
		close(done)
		submit += <-submitted
		if code != cli.ExitOK {
			b.Fatalf("apply exited %d:\n%s", code, lastLines(out))
		}
		if got := f.Calls("createFeed"); got != 1 {
			b.Fatalf("%d createFeed calls for 10,000 changes, want one", got)
		}
		checkPrices(b, f, n, "21.50")
		throttled += f.Throttled()
		searches += f.Calls("searchListingsItems")

		// The patch path: 150 changes, each a patchListingsItem.
		p := amazontest.New(b)
		const np = 150
		dir = amazonSpec(b, p, np, "21.50", 7, "feed_threshold = 1000\n")
		amazonLimits(p)
		b.StartTimer()
		start = time.Now()
		out, code = accordAmazon(b, dir, "apply", "--auto-approve")
		patchElapsed += time.Since(start)
		b.StopTimer()
		if code != cli.ExitOK || p.Calls("patchListingsItem") != np || p.Calls("createFeed") != 0 {
			b.Fatalf("patch apply exited %d with %d patches, %d feeds:\n%s", code, p.Calls("patchListingsItem"), p.Calls("createFeed"), lastLines(out))
		}
		checkPrices(b, p, np, "21.50")
		patchThrottled += p.Throttled()
	}
	runs := float64(b.N)
	b.ReportMetric(submit.Seconds()/runs, "s-submit")
	b.ReportMetric(confirm.Seconds()/runs, "s-confirm")
	b.ReportMetric(float64(throttled)/runs, "throttled/op")
	// What the time to submit is made of: the read before the feed.
	b.ReportMetric(float64(searches)/runs, "searches/op")
	patchRate := float64(150*b.N) / patchElapsed.Seconds()
	b.ReportMetric(patchRate, "patch-changes/s")
	b.ReportMetric(100*patchRate/5, "%patch-rate")
	b.ReportMetric(float64(patchThrottled)/runs, "patch-throttled/op")
	if throttled != 0 || patchThrottled != 0 {
		b.Errorf("%d throttled answers to the feed apply, %d to the patch apply; want none", throttled, patchThrottled)
	}
}

// lastLines is the last five lines of a long output, for a failure
// message.
func lastLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-5, 0):], "\n")
}
