package lazada

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/adaptertest"
	"github.com/accordhq/accord/adapters/lazada/lazadatest"
)

// clockAt is a fixed clock: 10:00 in Singapore on 2 March 2026.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, lazadatest.Zone)

func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

func seeded(t *testing.T, n int, extra string) (*fake, *Channel, []adapters.Listing) {
	t.Helper()
	f := newFake(t)
	ls := adaptertest.Listings(adaptertest.Fixture{Channel: "lazada_sg", Currency: "SGD", Scale: 2}, n)
	f.Seed(ls)
	return f, f.open(t, extra, clockAt(testNow)), ls
}

func money(s string) adapters.Value { return adapters.Value{Text: s, Set: true} }

func dec(s string) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: decimal.RequireFromString(s), Valid: true}
}

// TestRequestsGolden pins the exact requests of an observe and an apply
// (testdata/requests.golden; ACCORD_UPDATE_GOLDEN=1 rewrites it).
func TestRequestsGolden(t *testing.T) {
	f, c, ls := seeded(t, 4, "")
	got := adaptertest.ObserveAll(t, c, nil)
	adaptertest.ObserveAll(t, c, []string{ls[1].SKU, "NOPE-1"})
	sale := &adapters.Sale{Promotion: "spring", Price: decimal.RequireFromString("9.50"), Regular: decimal.RequireFromString("13.00"),
		Starts: time.Date(2026, 3, 5, 0, 0, 0, 0, lazadatest.Zone), Ends: time.Date(2026, 3, 8, 23, 59, 30, 0, lazadatest.Zone)}
	rs := c.Apply(context.Background(), []adapters.Change{
		{Key: ls[0].Key, Kind: adapters.KindQuantity, To: adapters.Units(40), Ref: got[ls[0].SKU].Ref},
		{Key: ls[1].Key, Kind: adapters.KindPrice, To: money("25.99")},
		{Key: ls[2].Key, Kind: adapters.KindCompareAt, To: money("99.00")},
		{Key: ls[3].Key, Kind: adapters.KindPrice, To: money("9.50"), Sale: sale},
		{Key: ls[3].Key, Kind: adapters.KindCompareAt, To: money("13.00"), Sale: sale},
		{Key: ls[0].Key, Kind: adapters.KindField, Field: "title", To: adapters.Text("A new title & more")},
	})
	for i, r := range rs {
		if r.Err != nil {
			t.Errorf("change %d: %v", i, r.Err)
		}
	}
	text := strings.Join(f.Requests(), "\n") + "\n"
	adaptertest.Golden(t, filepath.Join("testdata", "requests.golden"), text)
	for _, s := range []string{lazadatest.AppSecret, lazadatest.AccessToken, lazadatest.RefreshToken} {
		if strings.Contains(text, s) {
			t.Errorf("the golden file holds a secret")
		}
	}
}

func TestObservePrices(t *testing.T) {
	f := newFake(t)
	day := 24 * time.Hour
	f.AddItem(lazadatest.Item{Attributes: map[string]string{"name": "Shirt", "brand": "No Brand"}, Skus: []lazadatest.Sku{
		{SellerSku: "PLAIN", Quantity: 3, Price: decimal.RequireFromString("20.00")},
		{SellerSku: "ON-SALE", Quantity: 4, Price: decimal.RequireFromString("20.00"), SpecialPrice: dec("15.50"), SpecialFrom: testNow.Add(-day), SpecialTo: testNow.Add(day)},
		{SellerSku: "FUTURE", Quantity: 5, Price: decimal.RequireFromString("20.00"), SpecialPrice: dec("15.50"), SpecialFrom: testNow.Add(day), SpecialTo: testNow.Add(2 * day)},
		{SellerSku: "PAST", Quantity: 6, Price: decimal.RequireFromString("20.00"), SpecialPrice: dec("15.50"), SpecialFrom: testNow.Add(-2 * day), SpecialTo: testNow.Add(-day)},
		{SellerSku: "OPEN", Quantity: 7, Price: decimal.RequireFromString("20.00"), SpecialPrice: dec("18.00")},
		{SellerSku: "ABOVE", Quantity: 8, Price: decimal.RequireFromString("20.00"), SpecialPrice: dec("25.00")},
		{SellerSku: "GONE", Status: "deleted", Price: decimal.RequireFromString("20.00")},
		{SellerSku: "OFF", Status: "inactive", Price: decimal.RequireFromString("20.00")},
	}})
	for _, strs := range []bool{false, true} {
		f.StringNumbers(strs)
		c := f.open(t, "", clockAt(testNow))
		got := adaptertest.ObserveAll(t, c, nil)
		for sku, want := range map[string][2]string{
			"PLAIN": {"20.00", ""}, "ON-SALE": {"15.50", "20.00"}, "FUTURE": {"20.00", ""}, "PAST": {"20.00", ""},
			"OPEN": {"18.00", "20.00"}, "ABOVE": {"20.00", ""}, "OFF": {"20.00", ""},
		} {
			l, ok := got[sku]
			if !ok {
				t.Errorf("%s not observed", sku)
				continue
			}
			if p, ca := adapters.Money(l.Price, 2).Text, adapters.Money(l.CompareAt, 2).Text; p != want[0] || ca != want[1] {
				t.Errorf("strings %v: %s observed price %q compare-at %q, want %q %q", strs, sku, p, ca, want[0], want[1])
			}
		}
		if _, ok := got["GONE"]; ok {
			t.Error("a deleted SKU was observed")
		}
		l := got["ON-SALE"]
		if title, _ := l.Field("title"); title != "Shirt" || l.Status != "active" || l.Quantity != (adapters.Quantity{Units: 4, Valid: true}) || l.Currency != "SGD" {
			t.Errorf("ON-SALE: %+v", l)
		}
		if brand, _ := l.Field("brand"); brand != "No Brand" {
			t.Errorf("brand %q", brand)
		}
		if got["OFF"].Status != "inactive" || l.Ref != adapters.Ref(f.Ref("ON-SALE")) {
			t.Errorf("status %q, ref %q", got["OFF"].Status, l.Ref)
		}
	}
}
