package review

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func load(t *testing.T, hcl, csv string) *spec.Spec {
	t.Helper()
	s, diags := spec.Load(fstest.MapFS{"main.hcl": {Data: []byte(hcl)}, "products.csv": {Data: []byte(csv)}}, spec.Options{Types: builtin.Registry()})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return s
}

const base = `
channel "web" {
  type = "sandbox"
}
CHANNELS
catalog {
  file = "products.csv"
}
price_matrix "m" {
  rounding = "none"
}
listing {
  title = product.title
}
guard {
  max_price_drop = "5%"
}
`

type stock map[string]int64

func (s stock) OnHand(_, sku string) (int64, bool) { n, ok := s[sku]; return n, ok }

func TestCompare(t *testing.T) {
	b := load(t, strings.Replace(base, "CHANNELS", `channel "old" {
  type = "sandbox"
}`, 1), "sku,price,title,map\nA,20.00,Lamp,\nB,10.00,Mug,9.00\n")
	// The head drops channel old, adds channel new, renames A, and cuts B
	// under its MAP: a new error, and B's price rises to its floor, 10%
	// under the base's, over the guard's 5%.
	h := load(t, strings.Replace(base, "CHANNELS", `channel "new" {
  type = "sandbox"
}`, 1), "sku,price,title,map\nA,20.00,Desk lamp,\nB,6.00,Mug,9.00\n")
	r, err := Compare(context.Background(), Input{Base: b, Head: h, At: now, Window: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Steps) != 1 || !r.NoStock {
		t.Fatalf("steps %d, no stock %v", len(r.Steps), r.NoStock)
	}
	byCh := map[string]ChannelDelta{}
	for _, d := range r.Steps[0].Channels {
		byCh[d.Channel] = d
	}
	if d := byCh["old"]; d.Dropped != 2 || d.Listings != 2 {
		t.Errorf("old: %+v, want its 2 listings dropped", d)
	}
	if d := byCh["new"]; d.Added != 2 {
		t.Errorf("new: %+v, want 2 listings added", d)
	}
	if d := byCh["web"]; d.Fields != 1 || d.PriceDown != 1 || d.MaxCut.StringFixed(2) != "0.10" || d.Listings != 2 {
		t.Errorf("web: %+v, want A's title and B's 10%% cut", d)
	}
	if got := byCh["web"].Describe(); got != "2 listings: 1 price down (max -10.0%), 1 field" {
		t.Errorf("Describe = %q", got)
	}
	var introduced []string
	for _, f := range r.Introduced {
		introduced = append(introduced, string(f.Severity)+" "+f.Code+" "+f.SKU)
	}
	if len(introduced) == 0 || !strings.HasPrefix(introduced[0], "error below_floor B") {
		t.Errorf("introduced %v, want B's price under its MAP first", introduced)
	}
	if len(r.Guards) != 1 || !strings.Contains(r.Guards[0], "max_price_drop") {
		t.Errorf("guards %v", r.Guards)
	}
	if r.Empty() {
		t.Error("a change that moves listings is empty")
	}

	// The same spec on both sides changes nothing.
	same, err := Compare(context.Background(), Input{Base: b, Head: b, At: now, Window: time.Hour, Stock: stock{"A": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if !same.Empty() || len(same.Introduced)+len(same.Cleared) != 0 || same.NoStock {
		t.Errorf("a spec against itself: %+v", same)
	}
}
