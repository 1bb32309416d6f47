package plan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

const testSpec = `
settings {
  currency = "USD"
}
channel "shop" {
  type = "sandbox"
}
channel "market" {
  type       = "sandbox"
  sku_column = "market_sku"
  drift {
    price  = "report"
    fields = "ignore"
  }
}
catalog {
  file = "products.csv"
}
stock_source "warehouse" {
  type = "file"
  file = "stock.csv"
}
pool "main" {
  channels = ["shop", "market"]
}
listing {
  title = product.title
}
price_matrix "default" {
  anchor = "shop"
  channel "market" {
    adjust = "+10%"
  }
}
parity "fair" {
  channel      = "market"
  against      = ["shop"]
  max_gap      = "15%"
  on_violation = "warn"
}
drift {
  quantity = "correct"
  price    = "correct"
  fields   = "report"
}
guard {
  max_changes    = 5
  max_price_drop = "50%"
}
`

// A-3 has no market SKU: it is not listed there.
const testCatalog = `sku,price,map,title,market_sku
A-1,10.00,9.00,Lamp,M-1
A-2,20.00,,Chair,M-2
A-3,30.00,,Desk,
`

type levels map[string]int64

func (l levels) OnHand(_, sku string) (int64, bool) { u, ok := l[sku]; return u, ok }

// history is a store's last applied values, in memory.
type history map[store.FieldKey]string

func (h history) LastApplied(_ context.Context, keys []store.FieldKey) (map[store.FieldKey]store.Applied, error) {
	out := map[store.FieldKey]store.Applied{}
	for _, k := range keys {
		if v, ok := h[k]; ok {
			out[k] = store.Applied{Value: adapters.Value{Text: v, Set: true}, Revision: "sha256:0123456789abcdef", At: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
		}
	}
	return out, nil
}

// fixture is the test spec derived, and the channels holding exactly that.
type fixture struct {
	spec     *spec.Spec
	desired  *derive.Result
	observed map[string][]adapters.Listing
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, diags := spec.Load(fstest.MapFS{
		"main.hcl":     {Data: []byte(testSpec)},
		"products.csv": {Data: []byte(testCatalog)},
		"stock.csv":    {Data: []byte("sku,on_hand\nA-1,5\nA-2,7\nA-3,9\n")},
	}, spec.Options{Types: builtin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	res := derive.Derive(s, derive.Options{At: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), Stock: levels{"A-1": 5, "A-2": 7, "A-3": 9}})
	if len(res.Listings) != 5 {
		t.Fatalf("derived %d listings, want 5 (3 on shop, 2 on market)", len(res.Listings))
	}
	f := &fixture{spec: s, desired: res, observed: map[string][]adapters.Listing{}}
	for _, l := range res.Listings {
		o := l.Listing
		o.Fields = slices.Clone(o.Fields)
		o.Status = "active"
		if l.Channel == "market" {
			o.SKU = "M-" + strings.TrimPrefix(o.SKU, "A-")
		}
		f.observed[l.Channel] = append(f.observed[l.Channel], o)
	}
	return f
}

// listing returns the observed listing of a channel SKU.
func (f *fixture) listing(t *testing.T, channel, sku string) *adapters.Listing {
	t.Helper()
	for i := range f.observed[channel] {
		if l := &f.observed[channel][i]; l.SKU == sku {
			return l
		}
	}
	t.Fatalf("no observed listing %s %s", channel, sku)
	return nil
}

func (f *fixture) drop(channel, sku string) {
	f.observed[channel] = slices.DeleteFunc(f.observed[channel], func(l adapters.Listing) bool { return l.SKU == sku })
}

func (f *fixture) diff(t *testing.T, h History, skus []string) *Plan {
	t.Helper()
	p, err := Diff(context.Background(), Input{
		Spec: f.spec, Desired: f.desired, History: h, Channels: []string{"shop", "market"}, SKUs: skus,
		Revision: "sha256:feedfacefeedface", Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
	}, f.observed, map[string]adapters.Creator{"shop": creator{}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// creator is a channel that creates every listing it lacks.
type creator struct{}

func (creator) CreatesListings() {}

func amount(s string) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: decimal.RequireFromString(s), Valid: true}
}

// lines renders a plan's changes and exceptions one per line, for
// comparison.
func lines(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, fmt.Sprintf("change %s %s %s %s -> %s (%s)", c.Channel, c.SKU, c.Name(), c.From, c.To, c.Reason))
	}
	for _, e := range p.Exceptions {
		out = append(out, fmt.Sprintf("exception %s %s %s %s [%s]", e.Code, e.Channel, e.SKU, e.Field, e.Action))
	}
	return out
}

func key(channel, sku, field string) store.FieldKey {
	return store.FieldKey{Channel: channel, SKU: sku, Field: field}
}

func TestDiff(t *testing.T) {
	cases := []struct {
		name string
		// edit changes what the channels hold and what accord last applied.
		edit func(t *testing.T, f *fixture, h history)
		skus []string
		want []string
	}{
		{name: "in sync", edit: func(*testing.T, *fixture, history) {}},
		{
			name: "values equal in canonical form are no change",
			edit: func(t *testing.T, f *fixture, _ history) {
				f.listing(t, "shop", "A-1").Price = amount("10.000")
				f.listing(t, "shop", "A-2").Fields[0].Value = "  Chair\n"
				f.listing(t, "market", "M-1").Fields[0].Value = "Lamp\u00a0"
				// A channel that returns fields in its own order.
				l := f.listing(t, "shop", "A-3")
				l.Fields = append([]adapters.Field{{Name: "vendor", Value: "Acme"}}, l.Fields...)
				l.Fields = append(l.Fields, adapters.Field{Name: "color", Value: "red"})
			},
		},
		{
			name: "a value accord never set is a spec change",
			edit: func(t *testing.T, f *fixture, _ history) {
				f.listing(t, "shop", "A-1").Quantity = adapters.Quantity{Units: 2, Valid: true}
				f.listing(t, "shop", "A-2").Price = amount("19.5")
				f.listing(t, "shop", "A-3").Fields[0].Value = "Writing desk"
				f.listing(t, "shop", "A-3").CompareAt = amount("35")
			},
			want: []string{
				"change shop A-1 quantity 2 -> 5 (spec)",
				"change shop A-2 price 19.50 -> 20.00 (spec)",
				"change shop A-3 compare_at 35.00 -> (none) (spec)",
				"change shop A-3 title Writing desk -> Desk (spec)",
			},
		},
		{
			name: "a desired value that moved since the last apply is a spec change",
			edit: func(t *testing.T, f *fixture, h history) {
				f.listing(t, "shop", "A-1").Quantity = adapters.Quantity{Units: 4, Valid: true}
				h[key("shop", "A-1", "quantity")] = "4"
			},
			want: []string{"change shop A-1 quantity 4 -> 5 (spec)"},
		},
		{
			name: "drift is corrected, reported or ignored per the channel's policy",
			edit: func(t *testing.T, f *fixture, h history) {
				f.listing(t, "shop", "A-2").Quantity = adapters.Quantity{Units: 3, Valid: true}
				h[key("shop", "A-2", "quantity")] = "7"
				f.listing(t, "shop", "A-3").Fields[0].Value = "Desk (sale)"
				h[key("shop", "A-3", "title")] = "Desk"
				f.listing(t, "market", "M-2").Price = amount("21.00")
				h[key("market", "A-2", "price")] = "22.00"
				f.listing(t, "market", "M-1").Fields[0].Value = "Lamp!"
				h[key("market", "A-1", "title")] = "Lamp"
			},
			want: []string{
				"change shop A-2 quantity 3 -> 7 (drift)",
				"exception drift market A-2 price [report]",
				"exception drift shop A-2 quantity [correct]",
				"exception drift shop A-3 title [report]",
			},
		},
		{
			name: "missing listings are created where the channel can, reported where not",
			edit: func(_ *testing.T, f *fixture, _ history) {
				f.drop("shop", "A-2")
				f.drop("market", "M-1")
			},
			want: []string{
				"change shop A-2 listing (none) -> (none) (spec)",
				"exception missing_listing market A-1  [report]",
			},
		},
		{
			name: "a listing outside the catalog is unmanaged",
			edit: func(_ *testing.T, f *fixture, _ history) {
				f.observed["shop"] = append(f.observed["shop"], adapters.Listing{Key: adapters.Key{Channel: "shop", SKU: "ZZ-9"}})
				// A-3 is not on market: its listing there is unmanaged too.
				f.observed["market"] = append(f.observed["market"], adapters.Listing{Key: adapters.Key{Channel: "market", SKU: "A-3"}})
			},
			want: []string{
				"exception unmanaged_listing market A-3  [report]",
				"exception unmanaged_listing shop ZZ-9  [report]",
			},
		},
		{
			name: "a plan for some SKUs says nothing of listings outside them",
			edit: func(t *testing.T, f *fixture, _ history) {
				f.observed["shop"] = append(f.observed["shop"], adapters.Listing{Key: adapters.Key{Channel: "shop", SKU: "ZZ-9"}})
				f.listing(t, "shop", "A-2").Quantity = adapters.Quantity{Units: 1, Valid: true}
			},
			skus: []string{"A-1", "A-2", "A-3"},
			want: []string{"change shop A-2 quantity 1 -> 7 (spec)"},
		},
		{
			name: "listing more than the allocation is an oversell risk",
			edit: func(t *testing.T, f *fixture, _ history) {
				f.listing(t, "market", "M-2").Quantity = adapters.Quantity{Units: 12, Valid: true}
			},
			want: []string{
				"change market A-2 quantity 12 -> 7 (spec)",
				"exception oversell_risk market A-2 quantity []",
			},
		},
		{
			name: "a price under MAP on a channel is a violation",
			edit: func(t *testing.T, f *fixture, h history) {
				f.listing(t, "shop", "A-1").Price = amount("8.50")
				h[key("shop", "A-1", "price")] = "10.00"
			},
			want: []string{
				"change shop A-1 price 8.50 -> 10.00 (drift)",
				// market's 11.00 is now more than 15% above shop's 8.50
				"exception price_parity market A-1 price []",
				"exception drift shop A-1 price [correct]",
				"exception map_violation shop A-1 price []",
			},
		},
		{
			name: "parity is checked on the prices the channels show",
			edit: func(t *testing.T, f *fixture, h history) {
				f.listing(t, "shop", "A-2").Price = amount("18.00")
				h[key("shop", "A-2", "price")] = "20.00"
			},
			want: []string{
				"change shop A-2 price 18.00 -> 20.00 (drift)",
				"exception price_parity market A-2 price []",
				"exception drift shop A-2 price [correct]",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			h := history{}
			c.edit(t, f, h)
			got := lines(f.diff(t, h, c.skus))
			if !slices.Equal(got, c.want) {
				t.Errorf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

// A channel that pages in another order than SKU order, or repeats a
// listing, gives the same plan as one that pages in order.
func TestDiffPageOrder(t *testing.T) {
	f := newFixture(t)
	f.listing(t, "shop", "A-1").Quantity = adapters.Quantity{Units: 1, Valid: true}
	f.listing(t, "shop", "A-3").Price = amount("31")
	f.drop("shop", "A-2")
	f.observed["shop"] = append(f.observed["shop"], adapters.Listing{Key: adapters.Key{Channel: "shop", SKU: "A-0"}})
	want := lines(f.diff(t, nil, nil))
	if len(want) != 4 {
		t.Fatalf("in order: %q, want 4 lines", want)
	}
	shop := f.observed["shop"]
	orders := map[string][][]adapters.Listing{
		"reversed":        {{shop[2], shop[1]}, {shop[0]}},
		"back in a page":  {{shop[0], shop[2], shop[1]}},
		"repeated":        {{shop[0], shop[1]}, {shop[1], shop[2]}},
		"one at a time":   {{shop[0]}, {shop[1]}, {shop[2]}},
		"late first page": {{shop[1], shop[2]}, {shop[0]}},
	}
	for name, pages := range orders {
		d := NewDiffer(Input{Spec: f.spec, Desired: f.desired, Channels: []string{"shop", "market"},
			Now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)})
		for _, pg := range pages {
			d.Page("shop", pg)
		}
		d.Done("shop", creator{})
		d.Page("market", f.observed["market"])
		d.Done("market", nil)
		p, err := d.Plan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := lines(p); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// A channel that was not observed gets no changes and no exceptions.
func TestDiffUnobservedChannel(t *testing.T) {
	f := newFixture(t)
	delete(f.observed, "market")
	f.listing(t, "shop", "A-1").Quantity = adapters.Quantity{Units: 1, Valid: true}
	got := lines(f.diff(t, nil, nil))
	if want := []string{"change shop A-1 quantity 1 -> 5 (spec)"}; !slices.Equal(got, want) {
		t.Errorf("plan %q, want %q", got, want)
	}
}

func TestGuards(t *testing.T) {
	f := newFixture(t)
	for _, sku := range []string{"A-1", "A-2", "A-3"} {
		f.listing(t, "shop", sku).Quantity = adapters.Quantity{Units: 100, Valid: true}
		f.listing(t, "shop", sku).Fields[0].Value = "old"
	}
	f.listing(t, "shop", "A-3").Price = amount("90")
	p := f.diff(t, nil, nil)
	if len(p.Changes) != 7 {
		t.Fatalf("%d changes, want 7: %q", len(p.Changes), lines(p))
	}
	want := []string{
		"max_changes: 7 changes; the spec allows 5 (guard at main.hcl:46)",
		"max_price_drop: 1 price cuts exceed 50%, the largest shop A-3 from 90.00 to 30.00 (-66.7%) (guard at main.hcl:46)",
	}
	if !slices.Equal(p.Blocked, want) {
		t.Errorf("blocked:\n  %s\nwant:\n  %s", strings.Join(p.Blocked, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestPriceDrop(t *testing.T) {
	cases := []struct {
		from, to string
		want     string // "" when not a cut
	}{
		{"100.00", "90.00", "0.1"},
		{"100.00", "100.00", ""},
		{"90.00", "100.00", ""},
		{"0.00", "0.00", ""},
		{"", "10.00", ""},
		{"10.00", "", ""},
		{"40.00", "10.00", "0.75"},
	}
	for _, c := range cases {
		ch := Change{Kind: adapters.KindPrice, From: adapters.Value{Text: c.from, Set: c.from != ""}, To: adapters.Value{Text: c.to, Set: c.to != ""}}
		got, ok := PriceDrop(&ch)
		if c.want == "" {
			if ok {
				t.Errorf("PriceDrop(%s -> %s) = %s, want no cut", c.from, c.to, got)
			}
			continue
		}
		if !ok || !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("PriceDrop(%s -> %s) = %s, %v; want %s", c.from, c.to, got, ok, c.want)
		}
	}
}
