package lazada

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/lazada/lazadatest"
)

// addItems puts n items of one SKU each on the fake, named prefix and a
// number, created at created(i) (zero: the fake's own sequence).
func addItems(f *fake, prefix string, n int, created func(i int) time.Time) {
	for i := range n {
		it := lazadatest.Item{
			Attributes: map[string]string{"name": fmt.Sprintf("Item %d", i)},
			Skus:       []lazadatest.Sku{{SellerSku: fmt.Sprintf("%s-%05d", prefix, i), Quantity: int64(i % 9), Price: decimal.New(int64(100+i%50), 0)}},
		}
		if created != nil {
			it.Created = created(i)
		}
		f.AddItem(it)
	}
}

// observeOrder is every listing of a full read, in the order handed over;
// it fails the test when a SKU comes twice or a page holds more than 50.
func observeOrder(t *testing.T, c *Channel) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	err := c.Observe(context.Background(), nil, func(page []adapters.Listing) error {
		if len(page) > pageLimit {
			t.Errorf("a page of %d listings", len(page))
		}
		for _, l := range page {
			if seen[l.SKU] {
				t.Errorf("%s handed over twice", l.SKU)
			}
			seen[l.SKU] = true
			out = append(out, l.SKU)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	return out
}

var offsetParam = regexp.MustCompile(` offset=(\d+) `)

// pagedWithin checks that every GetProducts of the fake asked an offset of
// at most 10,000 (the fake refuses more, failing the test, as Lazada
// does) and reports the largest.
func pagedWithin(t *testing.T, f *fake) int {
	t.Helper()
	most := 0
	for _, r := range f.Requests() {
		if m := offsetParam.FindStringSubmatch(r); m != nil {
			n, _ := strconv.Atoi(m[1])
			most = max(most, n)
		}
	}
	if most > maxOffset {
		t.Errorf("paged to offset %d", most)
	}
	return most
}

// A shop of 25,000 items, more than offset paging reaches, is read whole
// in windows of created time, each SKU once, within Lazada's offset cap,
// in the order Lazada answers, whatever the clock. (TestObserveWindowEdge
// reads with the fake answering newest first.)
func TestObserveLargeShop(t *testing.T) {
	const n = 25000
	f := newFake(t)
	addItems(f, "BIG", n, nil)
	c := f.open(t, "", clockAt(testNow))
	start := time.Now()
	got := observeOrder(t, c)
	took := time.Since(start)
	if len(got) != n {
		t.Fatalf("observed %d listings, want %d", len(got), n)
	}
	calls, served, most := f.Calls("/products/get"), f.Served(), pagedWithin(t, f)
	if !strings.Contains(strings.Join(f.Requests(), "\n"), "create_before=") {
		t.Error("the read did not walk windows of created time")
	}
	for i, sku := range got {
		if want := fmt.Sprintf("BIG-%05d", i); sku != want {
			t.Fatalf("listing %d is %s, want %s: not in the order Lazada answered", i, sku, want)
		}
	}
	// Another read, at another time, asks the same windows.
	before := len(f.Requests())
	again := observeOrder(t, f.open(t, "", clockAt(testNow.Add(90*24*time.Hour))))
	if strings.Join(again, ",") != strings.Join(got, ",") || strings.Join(f.Requests()[before:], "\n") != strings.Join(f.Requests()[:before], "\n") {
		t.Error("a second read asked other windows or handed the listings over in another order")
	}
	t.Logf("%d items: %d GetProducts calls, %d products served, largest offset %d, %v", n, calls, served, most, took)
}

// Items created in the second at a window's edge are read by both windows
// and handed over once: the first split of the walk falls at G, where
// 6,000 items were created to the millisecond and 1,000 half a second
// later; 5,000 more came shortly before.
func TestObserveWindowEdge(t *testing.T) {
	g := walkStart.Add(time.Duration(walkSpan/2) * time.Second) // the grid's first midpoint
	for _, newest := range []bool{false, true} {
		t.Run(fmt.Sprintf("newest first %v", newest), func(t *testing.T) {
			f := newFake(t)
			addItems(f, "EARLY", 5000, func(int) time.Time { return g.Add(-1000 * time.Second) })
			addItems(f, "EDGE", 6000, func(int) time.Time { return g })
			addItems(f, "HALF", 1000, func(int) time.Time { return g.Add(500 * time.Millisecond) })
			f.NewestFirst(newest)
			got := observeOrder(t, f.open(t, "", clockAt(testNow)))
			if len(got) != 12000 {
				t.Fatalf("observed %d listings, want 12000", len(got))
			}
			edge := g.In(lazadatest.Zone).Format(createdLayout)
			log := strings.Join(f.Requests(), "\n")
			if !strings.Contains(log, "create_before="+edge) || !strings.Contains(log, "create_after="+edge) {
				t.Fatalf("no window ends or starts at %s", edge)
			}
			if f.Served() < 12000+6000 { // the 6,000 at the edge came twice
				t.Errorf("served %d products: the items at the edge were not read by both windows", f.Served())
			}
			pagedWithin(t, f)
			if !newest && (got[0] != "EARLY-00000" || got[5000] != "EDGE-00000" || got[11000] != "HALF-00000") {
				t.Errorf("order: %s %s %s", got[0], got[5000], got[11000])
			}
		})
	}
}

// More than 10,000 items created in one second cannot be split by
// create_after and create_before: the read fails saying so, and asked
// no offset past the cap.
func TestObserveUnsplittable(t *testing.T) {
	f := newFake(t)
	at := time.Date(2025, 5, 1, 12, 0, 0, 0, lazadatest.Zone)
	addItems(f, "SAME", maxOffset+1, func(int) time.Time { return at })
	err := f.open(t, "", clockAt(testNow)).Observe(context.Background(), nil, func([]adapters.Listing) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "cannot split further") {
		t.Fatalf("Observe = %v, want the unsplittable window", err)
	}
	pagedWithin(t, f)
}

// A shop that fits under the cap is read as before: one unfiltered query.
func TestObserveSmallShopUnwindowed(t *testing.T) {
	f := newFake(t)
	addItems(f, "S", 120, nil)
	if got := observeOrder(t, f.open(t, "", clockAt(testNow))); len(got) != 120 {
		t.Fatalf("observed %d", len(got))
	}
	if log := strings.Join(f.Requests(), "\n"); strings.Contains(log, "create_") || f.Calls("/products/get") != 3 {
		t.Errorf("%d calls:\n%s", f.Calls("/products/get"), log)
	}
}
