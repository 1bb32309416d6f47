package calendar

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
)

const calendarSpec = `
settings {
  timezone = "UTC"
}
channel "shop" {
  type = "sandbox"
}
channel "amazon" {
  type = "amazon"
  config {
    region         = "na"
    marketplace_id = "ATVPDKIKX0DER"
    seller_id      = env("AMAZON_SELLER_ID")
    client_id      = env("AMAZON_LWA_CLIENT_ID")
    client_secret  = env("AMAZON_LWA_CLIENT_SECRET")
    refresh_token  = env("AMAZON_REFRESH_TOKEN")
  }
}
catalog {
  file = "products.csv"
}
promotion "black_friday" {
  starts   = "2026-11-27T00:00:00"
  ends     = "2026-12-01T00:00:00"
  where    = product.category == "audio"
  discount = "20%"
  partner  = "acme"
}
promotion "flash" {
  starts   = "2026-11-28T10:00:00"
  ends     = "2026-11-28T22:00:00"
  channels = ["amazon"]
  skus     = ["A-1"]
  discount = "10%"
  priority = 5
}
promotion "twin" {
  starts   = "2026-11-30T00:00:00"
  ends     = "2026-12-02T00:00:00"
  channels = ["shop"]
  skus     = ["A-2", "B-1"]
  discount = "5.00"
}
promotion "january" {
  starts   = "2027-01-02T00:00:00"
  ends     = "2027-01-09T00:00:00"
  skus     = ["B-1"]
  price    = 9.99
}
`

func load(t *testing.T) *spec.Spec {
	t.Helper()
	s, diags := spec.Load(fstest.MapFS{
		"main.hcl":     {Data: []byte(calendarSpec)},
		"products.csv": {Data: []byte("sku,price,category\nA-1,10,audio\nA-2,20,audio\nB-1,30,home\n")},
	}, spec.Options{Types: builtin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return s
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBuild(t *testing.T) {
	s := load(t)
	cal := Build(s, at("2026-11-28T12:00:00Z"), time.Time{}, time.Time{})
	var names []string
	for _, e := range cal.Entries {
		names = append(names, e.Promotion.Name+":"+string(e.Status)+":"+strings.Join(e.Channels, "+"))
	}
	want := "black_friday:active:amazon+shop flash:active:amazon twin:scheduled:shop january:scheduled:amazon+shop"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries\n got %s\nwant %s", got, want)
	}
	if cal.Entries[0].SKUs != 2 || cal.Entries[2].SKUs != 2 {
		t.Errorf("SKU counts: black_friday %d, twin %d; want 2 and 2", cal.Entries[0].SKUs, cal.Entries[2].SKUs)
	}
	var changes []string
	for _, c := range cal.Changes {
		changes = append(changes, c.At.UTC().Format("01-02T15")+"+"+strings.Join(c.Starts, ",")+"-"+strings.Join(c.Ends, ","))
	}
	wantChanges := "11-27T00+black_friday- 11-28T10+flash- 11-28T22+-flash 11-30T00+twin- 12-01T00+-black_friday 12-02T00+-twin 01-02T00+january- 01-09T00+-january"
	if got := strings.Join(changes, " "); got != wantChanges {
		t.Errorf("changes\n got %s\nwant %s", got, wantChanges)
	}
	// black_friday and flash meet on amazon for A-1: flash wins on
	// priority. black_friday and twin meet on shop for A-2 from the 30th at
	// the same priority: a conflict. january overlaps nothing.
	if len(cal.Overlaps) != 2 {
		t.Fatalf("overlaps = %+v, want 2", cal.Overlaps)
	}
	o := cal.Overlaps[0]
	if o.A != "black_friday" || o.B != "flash" || o.Winner != "flash" || o.Conflict || o.SKUs != 1 || strings.Join(o.Channels, ",") != "amazon" {
		t.Errorf("first overlap = %+v", o)
	}
	o = cal.Overlaps[1]
	if o.A != "black_friday" || o.B != "twin" || !o.Conflict || o.SKUs != 1 || !o.From.Equal(at("2026-11-30T00:00:00Z")) || !o.To.Equal(at("2026-12-01T00:00:00Z")) {
		t.Errorf("second overlap = %+v", o)
	}
}

func TestBuildWindow(t *testing.T) {
	s := load(t)
	// [Nov 29, Dec 31) keeps the promotions running in it: black_friday
	// (until Dec 1) and twin; flash ended on the 28th, january starts later.
	cal := Build(s, at("2026-11-23T00:00:00Z"), at("2026-11-29T00:00:00Z"), at("2026-12-31T00:00:00Z"))
	var names []string
	for _, e := range cal.Entries {
		names = append(names, e.Promotion.Name)
	}
	if got := strings.Join(names, ","); got != "black_friday,twin" {
		t.Errorf("entries = %s, want black_friday,twin", got)
	}
	for _, c := range cal.Changes {
		if c.At.Before(at("2026-11-29T00:00:00Z")) {
			t.Errorf("a change at %s is outside the window", c.At)
		}
	}
}
