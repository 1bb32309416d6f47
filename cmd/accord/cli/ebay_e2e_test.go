package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/ebay/ebaytest"
	"github.com/accordhq/accord/cmd/accord/cli"
	"github.com/accordhq/accord/controller/store"
)

// simClock is a clock a test moves by hand.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// ebaySpec is a spec directory with one ebay channel on the fake and one
// SKU, EB-1, at price with on hand units; the fake lists it at 20.00 and
// 5 units.
func ebaySpec(t *testing.T, f *ebaytest.Server) string {
	t.Helper()
	dir := t.TempDir()
	hcl := fmt.Sprintf(`settings {
  currency = "USD"
  timezone = "America/Los_Angeles"
}

channel "ebay" {
  type = "ebay"
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
  channels = ["ebay"]
}

price_matrix "default" {
  rounding = "none"
}
`, strings.ReplaceAll(f.Config(""), "\n", "\n    "))
	writeFiles(t, dir, map[string]string{"accord.hcl": hcl})
	f.Seed([]adapters.Listing{{
		Key:      adapters.Key{Channel: "ebay", SKU: "EB-1"},
		Price:    decimal.NullDecimal{Decimal: decimal.New(2000, -2), Valid: true},
		Quantity: adapters.Quantity{Units: 5, Valid: true},
		Fields:   []adapters.Field{{Name: "title", Value: "Headphones"}},
	}})
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// accordEbay runs accord in-process on the simulated clock, with the
// fake's credentials in its environment.
func accordEbay(t *testing.T, clock *simClock, dir string, args ...string) (string, int) {
	t.Helper()
	env := ebaytest.Env()
	env["NO_COLOR"] = "1"
	var out bytes.Buffer
	code := cli.Run(context.Background(), append(args, "--dir", dir), cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Now: clock.Now})
	return out.String(), code
}

// A price driven up and down 300 times in one eBay day, and another that
// only climbs: at most 250 revisions reach the listing (eBay refuses the
// 251st), a price that flaps is held where it is after it turned back
// twice, the held changes are revision_held exceptions, and the next day
// the listing converges.
func TestEbayRevisionLimit(t *testing.T) {
	cases := []struct {
		name  string
		price func(i int) string
		stock func(i int) int
		// want is how many revisions reach the listing that day.
		want int
	}{
		// 20.00 → 21.00 → 20.00 → 21.00 goes; the next turn is held.
		{"flapping price", func(i int) string { return []string{"21.00", "20.00"}[i%2] }, func(int) int { return 5 }, 3},
		// Prices stop at 225, the last 25 revisions kept for quantities,
		// which a sale moves every step from 150 on.
		{"climbing price", func(i int) string { return fmt.Sprintf("%d.00", 21+i) }, func(i int) int { return 1000 - max(i-150, 0) }, 250},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := ebaytest.New(t)
			clock := &simClock{}
			f.SetNow(clock.Now)
			dir := ebaySpec(t, f)
			la, err := time.LoadLocation("America/Los_Angeles")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 12, 1, 0, 30, 0, 0, la)
			held := 0
			for i := range 300 {
				clock.set(start.Add(time.Duration(i) * 4 * time.Minute)) // 20 hours of one day
				writeFiles(t, dir, map[string]string{
					"products.csv": "sku,price,title\nEB-1," + c.price(i) + ",Headphones\n",
					"stock.csv":    fmt.Sprintf("sku,on_hand\nEB-1,%d\n", c.stock(i)),
				})
				out, code := accordEbay(t, clock, dir, "apply", "--auto-approve")
				if code != 0 {
					// A held change is an exception, not a failed apply.
					t.Fatalf("step %d: exit %d:\n%s", i, code, out)
				}
				if strings.Contains(out, "held for the channel's daily revision limit") {
					held++
				}
				if n := f.Revisions("EB-1"); n > 250 {
					t.Fatalf("step %d: %d revisions reached eBay:\n%s", i, n, out)
				}
			}
			if got := f.Revisions("EB-1"); got != c.want {
				t.Errorf("%d revisions reached the listing, want %d", got, c.want)
			}
			t.Logf("300 steps in one day: %d revisions reached eBay, %d applies held a change", f.Revisions("EB-1"), held)
			if held == 0 {
				t.Error("no apply said a change was held")
			}
			st, err := store.Open(t.Context(), filepath.Join(dir, ".accord", "state.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			ex, err := st.Exceptions(t.Context(), store.ExceptionFilter{})
			_ = st.Close()
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, e := range ex {
				if e.Code == "revision_held" && e.SKU == "EB-1" && e.Field == "price" {
					found = true
					if !strings.Contains(e.Message, "held until the channel's day ends") {
						t.Errorf("message: %s", e.Message)
					}
				}
			}
			if !found {
				t.Errorf("no revision_held exception for the price: %+v", ex)
			}
			// The next day the held price goes, and the plan is empty.
			clock.set(start.Add(24 * time.Hour))
			if out, code := accordEbay(t, clock, dir, "apply", "--auto-approve"); code != 0 {
				t.Fatalf("next day apply: exit %d:\n%s", code, out)
			}
			if out, code := accordEbay(t, clock, dir, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes.") {
				t.Errorf("the plan the next day: exit %d:\n%s", code, out)
			}
			it, _ := f.Listing("EB-1")
			want := c.price(299)
			if !it.Price.Valid || !it.Price.Decimal.Equal(decimal.RequireFromString(want)) {
				t.Errorf("price on eBay the next day: %+v, want %s", it.Price, want)
			}
		})
	}
}
