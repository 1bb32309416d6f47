package plan

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// A plan written and read back is the same plan.
func TestJSONRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.drop("shop", "A-2")
	f.listing(t, "shop", "A-1").Quantity = adapters.Quantity{Units: 1, Valid: true}
	f.listing(t, "shop", "A-3").Price = amount("29.5")
	f.listing(t, "market", "M-2").Quantity = adapters.Quantity{Units: 11, Valid: true}
	p := f.diff(t, history{key("shop", "A-3", "price"): "30.00"}, nil)
	if len(p.Changes) != 4 || len(p.Exceptions) == 0 {
		t.Fatalf("fixture plan: %q", lines(p))
	}
	var buf bytes.Buffer
	if err := p.WriteJSON(&buf, map[string]int32{"shop": 2, "market": 2}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !back.At.Equal(p.At) || !back.Created.Equal(p.Created) || back.Revision != p.Revision {
		t.Errorf("header: %s %s %s, want %s %s %s", back.Revision, back.At, back.Created, p.Revision, p.At, p.Created)
	}
	if got, want := lines(back), lines(p); !reflect.DeepEqual(got, want) {
		t.Errorf("read back:\n%q\nwant:\n%q", got, want)
	}
	created := back.Changes[slicesIndex(back.Changes, adapters.FieldListing)].Listing
	if created == nil || created.SKU != "A-2" || created.Quantity.Units != 7 || created.Price.Decimal.String() != "20" {
		t.Errorf("created listing read back as %+v", created)
	}
}

// A change's sale is written with its window and money at the channel's
// places, and read back the same.
func TestJSONSaleRoundTrip(t *testing.T) {
	starts := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	sale := &adapters.Sale{Promotion: "bf", Price: decimal.RequireFromString("8"), Regular: decimal.RequireFromString("10.5"), Starts: starts, Ends: starts.Add(72 * time.Hour)}
	p := &Plan{Revision: "sha256:1", At: starts, Changes: []Change{
		{Channel: "shop", SKU: "A-1", Kind: adapters.KindPrice, From: adapters.Value{Text: "10.50", Set: true}, To: adapters.Value{Text: "8.00", Set: true}, Reason: ReasonSpec, Sale: sale},
		{Channel: "shop", SKU: "A-2", Kind: adapters.KindPrice, From: adapters.Value{Text: "10.50", Set: true}, To: adapters.Value{Text: "9.00", Set: true}, Reason: ReasonSpec},
	}}
	var buf bytes.Buffer
	if err := p.WriteJSON(&buf, map[string]int32{"shop": 2}); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	want := `"sale":{"promotion":"bf","price":"8.00","regular":"10.50","starts":"2026-11-27T05:00:00Z","ends":"2026-11-30T05:00:00Z"}`
	if !strings.Contains(compact.String(), want) || strings.Count(compact.String(), `"sale"`) != 1 {
		t.Errorf("written:\n%s\nwant one sale:\n%s", compact.String(), want)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !SameSale(back.Changes[0].Sale, sale) || back.Changes[1].Sale != nil || back.Edited() {
		t.Errorf("read back: %+v and %+v (edited %v)", back.Changes[0].Sale, back.Changes[1].Sale, back.Edited())
	}
}

func slicesIndex(cs []Change, field string) int {
	for i := range cs {
		if cs[i].Name() == field {
			return i
		}
	}
	return -1
}

func TestReadJSONRefuses(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{`, "read plan: unexpected EOF"},
		{`{"format_version": 1, "revision": "sha256:1"}`, "format_version 1; this build of accord reads version 3"},
		{`{"format_version": 3, "revision": "r", "changes": [{"channel": "shop", "sku": "A", "field": "status", "from": "active", "to": "inactive", "reason": "spec"}]}`,
			`change 1: "status" is not something a plan changes`},
		{`{"format_version": 3}`, "no revision"},
		{`{"format_version": 3, "revision": "r", "changes": [{"channel": "shop", "sku": "A", "field": "price", "from": "1.00", "to": "2.00", "reason": "whim"}]}`,
			"change 1: channel, sku, field and reason (spec or drift) are required"},
		{`{"format_version": 3, "revision": "r", "changes": [{"channel": "shop", "sku": "A", "field": "price", "from": {}, "to": "2.00", "reason": "spec"}]}`,
			"change 1: from:"},
		{`{"format_version": 3, "revision": "r", "changes": [{"channel": "shop", "sku": "A", "field": "price", "from": "1.00", "to": "2.00", "reason": "spec",
			"sale": {"promotion": "p", "price": "2.00", "regular": "3.00", "starts": "2026-12-02T00:00:00Z", "ends": "2026-12-01T00:00:00Z"}}]}`,
			"change 1: sale: a promotion, its price and regular price and a window that ends after it starts are required"},
		{`{"format_version": 3, "revision": "r", "changes": [{"channel": "shop", "sku": "A", "field": "price", "from": "1.00", "to": "2.00", "reason": "spec",
			"sale": {"promotion": "p", "price": "two", "regular": "3.00", "starts": "2026-11-30T00:00:00Z", "ends": "2026-12-01T00:00:00Z"}}]}`,
			"change 1: sale:"},
	}
	for _, c := range cases {
		_, err := ReadJSON(strings.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadJSON(%s): %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

// FuzzReadJSON feeds saved plan files, which are outside input: reading
// never panics, and what reads writes back to a file that reads the same,
// its checksum intact.
func FuzzReadJSON(f *testing.F) {
	f.Add(`{"format_version": 3, "revision": "sha256:1", "changes": [{"channel": "shop", "sku": "A", "field": "quantity", "from": 1, "to": 2, "reason": "spec"}]}`)
	f.Add(`{"format_version": 3, "revision": "r", "changes": [{"channel": "s", "sku": "A", "field": "listing", "from": null, "to": {"quantity": 3, "price": "9.99", "fields": {"title": "x"}}, "reason": "spec"}], "exceptions": [{"code": "drift", "channel": "s", "sku": "A", "field": "price", "observed": "1.00", "expected": "2.00"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ReadJSON(strings.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := p.WriteJSON(&buf, nil); err != nil {
			t.Fatalf("write back: %v", err)
		}
		again, err := ReadJSON(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("read back %s: %v", buf.Bytes(), err)
		}
		if got, want := lines(again), lines(p); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip of %s:\n%q\nwant\n%q", in, got, want)
		}
		if again.Edited() {
			t.Fatalf("a plan accord wrote reads as edited: %s", buf.Bytes())
		}
	})
}

// A plan file carries a checksum of its changes: read back as written it
// is not edited, whatever its indentation; a change altered by hand is.
func TestJSONChecksum(t *testing.T) {
	f := newFixture(t)
	f.drop("shop", "A-2")
	f.listing(t, "shop", "A-3").Price = amount("29.5")
	p := f.diff(t, nil, nil)
	var buf bytes.Buffer
	if err := p.WriteJSON(&buf, map[string]int32{"shop": 2, "market": 2}); err != nil {
		t.Fatal(err)
	}
	written := buf.String()
	if !strings.Contains(written, `"checksum": "sha256:`) {
		t.Fatalf("no checksum in %s", written)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(written)); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"as written": written, "compacted": compact.String()} {
		back, err := ReadJSON(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		if back.Edited() {
			t.Errorf("%s: read as edited", name)
		}
	}
	if p.Edited() {
		t.Error("a plan made in memory reports itself edited")
	}
	for name, edit := range map[string][2]string{
		"price":          {`"to": "30.00"`, `"to": "0.01"`},
		"listing title":  {`"title": `, `"title": "<script>" , "x": `},
		"change removed": {`"changes": [`, `"changes": [` + "\n" + `{"channel": "shop", "sku": "A-1", "field": "quantity", "from": 1, "to": 99999, "reason": "spec"},`},
	} {
		if !strings.Contains(written, edit[0]) {
			t.Fatalf("%s: %q not in the plan file:\n%s", name, edit[0], written)
		}
		back, err := ReadJSON(strings.NewReader(strings.Replace(written, edit[0], edit[1], 1)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !back.Edited() {
			t.Errorf("%s: an edited plan file reads as not edited", name)
		}
	}
}
