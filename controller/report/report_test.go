package report_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/controller/report"
	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
)

// build loads a spec directory and its stock and builds its report.
func build(t *testing.T, dir string, at time.Time, in report.Input) *report.Report {
	t.Helper()
	reg := builtin.Registry()
	s, diags := spec.LoadDir(dir, spec.Options{Types: reg})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	levels, _, diags := stock.Read(context.Background(), reg, s, dir, time.Now)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	in.Spec, in.Kinds, in.Stock, in.At = s, reg, levels, at
	if in.Window == 0 {
		in.Window = 30 * 24 * time.Hour
	}
	if in.Interval == 0 {
		in.Interval = 15 * time.Minute
	}
	r, err := report.Build(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The spec in testdata/risky carries one of each risk: every one is
// listed, the most severe first, each with its alert.
func TestRiskChecklist(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := build(t, "testdata/risky", at, report.Input{Exceptions: []store.Exception{
		{ID: 7, Code: "drift", Channel: "web", SKU: "A", Message: "price changed outside accord"},
		{ID: 8, Code: "apply_failed", Channel: "amazon_us", SKU: "B", Message: "rejected: invalid attribute"},
		{ID: 9, Code: "drift", Channel: "web", SKU: "C", Message: "price changed outside accord"},
	}})
	want := []struct {
		kind, severity, title, alert string
	}{
		{report.KindOversell, report.High, "Oversell on amazon_us: 100% chance between two syncs", `accord_exceptions_open{code="oversell_risk",channel="amazon_us"}`},
		{report.KindSuppression, report.High, "1 listing on amazon_us without a GTIN", `accord_exceptions_open{code="apply_failed",channel="amazon_us"}`},
		{report.KindSuppression, report.High, "1 listing on amazon_us without a brand", `accord_exceptions_open{code="apply_failed",channel="amazon_us"}`},
		{report.KindSuppression, report.High, "1 title on amazon_us over Amazon's 200-character title limit", `accord_exceptions_open{code="apply_failed",channel="amazon_us"}`},
		{report.KindSuppression, report.High, "1 apply_failed exception open on amazon_us", `accord_exceptions_open{code="apply_failed",channel="amazon_us"}`},
		{report.KindOversell, report.Medium, "amazon_us shares pool main with no buffer", `accord_exceptions_open{code="oversell_risk",channel="amazon_us"}`},
		{report.KindPriceParity, report.Medium, "amazon_us would sit above its parity limit on 4 listings", `accord_findings{code="parity_violation",channel="amazon_us"}`},
		{report.KindOversell, report.Medium, "2 SKUs in pool main hold less stock than their buffers add up to", `accord_exceptions_open{code="oversell_risk"}`},
		{report.KindSuppression, report.Medium, "2 drift exceptions open on web", `accord_exceptions_open{code="drift",channel="web"}`},
		{report.KindPriceParity, report.Medium, "A floor holds back a promotion on web: 1 listing", `accord_findings{code="promotion_clamped",channel="web"}`},
		{report.KindOversell, report.Low, "regional's order rate is unknown", `accord_exceptions_open{code="oversell_risk",channel="regional"}`},
	}
	var got []string
	for _, k := range r.Risks {
		got = append(got, k.Severity+" "+k.Title)
	}
	if len(r.Risks) != len(want) {
		t.Fatalf("%d risks, want %d:\n%s", len(r.Risks), len(want), strings.Join(got, "\n"))
	}
	order := map[string]int{report.High: 0, report.Medium: 1, report.Low: 2}
	for i, w := range want {
		k := r.Risks[i]
		if k.Rank != i+1 || k.Kind != w.kind || k.Severity != w.severity || !strings.HasPrefix(k.Title, w.title) || k.Alert.Metric != w.alert {
			t.Errorf("risk %d: %d %s %s %q alert %s\nwant %s %s %q alert %s", i+1, k.Rank, k.Kind, k.Severity, k.Title, k.Alert.Metric, w.kind, w.severity, w.title, w.alert)
		}
		if i > 0 && order[k.Severity] < order[r.Risks[i-1].Severity] {
			t.Errorf("risk %d (%s) ranks below a less severe one", i+1, k.Severity)
		}
		if k.Alert.Exception == "" && k.Alert.Finding == "" {
			t.Errorf("risk %q has no exception or finding to watch it", k.Title)
		}
		// The JSON lists everything a risk concerns, not only the examples.
		if k.Count > 0 && len(k.Affected) != k.Count && !strings.Contains(k.Title, "shares pool") && !strings.Contains(k.Title, "order rate") {
			t.Errorf("risk %q counts %d but lists %d affected", k.Title, k.Count, len(k.Affected))
		}
	}
	// The clamped promotion starts inside the window: the risk says when.
	for _, k := range r.Risks {
		if strings.HasPrefix(k.Title, "A floor holds back") && (k.First == nil || !k.First.Equal(time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC))) {
			t.Errorf("the clamped promotion's risk starts at %v", k.First)
		}
	}
}

// The inventory matrix adds up to what the derivation lists.
func TestInventoryTotals(t *testing.T) {
	r := build(t, "testdata/risky", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), report.Input{})
	// on hand 40, 5, 2, 9; no safety stock, no reserve. amazon_us lists
	// all of it, web 3 fewer a SKU, regional 4 fewer.
	units := map[string]int64{}
	for _, c := range r.Inventory.Channels {
		units[c.Channel] = c.Units
	}
	if units["amazon_us"] != 56 || units["web"] != 56-3-3-2-3 || units["regional"] != 56-4-4-2-4 {
		t.Errorf("units listed %v", units)
	}
	p := r.Inventory.Pools[0]
	if p.OnHand != 56 || p.SKUs != 4 || p.BelowBuffers != 2 || p.AtZero != 0 {
		t.Errorf("pool %+v", p)
	}
	for _, a := range p.Allocation {
		if a.Listed+a.Withheld != 56 {
			t.Errorf("%s: listed %d + withheld %d is not the 56 available", a.Channel, a.Listed, a.Withheld)
		}
	}
}

func TestPoissonTail(t *testing.T) {
	for _, tc := range []struct {
		lambda float64
		m      int64
		want   float64
	}{
		{0, 0, 0},
		{1, 0, 1 - math.Exp(-1)},
		{1, 1, 1 - 2*math.Exp(-1)},
		{2, 2, 1 - 5*math.Exp(-2)},
		{0.1, 3, 1 - math.Exp(-0.1)*(1+0.1+0.005+0.1*0.1*0.1/6)},
		{0.5, 100, 0},
	} {
		if got := report.PoissonTail(tc.lambda, tc.m); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("P(N > %d | λ=%g) = %g, want %g", tc.m, tc.lambda, got, tc.want)
		}
	}
}

func TestEstimateOrders(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	q := func(ch, sku string, from, to int64, at time.Time) store.AuditEntry {
		return store.AuditEntry{Channel: ch, SKU: sku, Field: adapters.FieldQuantity, From: adapters.Units(from), To: adapters.Units(to), At: at}
	}
	est := report.EstimateOrders([]store.AuditEntry{
		q("shop", "A", 0, 10, day),
		q("shop", "B", 0, 5, day),
		q("shop", "A", 7, 9, day.Add(24*time.Hour)), // 3 sold since 10
		q("shop", "A", 9, 4, day.Add(48*time.Hour)), // none sold: accord lowered it
		q("shop", "B", 2, 5, day.Add(96*time.Hour)), // 3 sold since 5
		q("market", "A", 0, 3, day.Add(time.Hour)),  // one entry: nothing seen sold
		{Channel: "shop", SKU: "A", Field: "price", From: adapters.Text("1"), To: adapters.Text("2"), At: day.Add(200 * time.Hour)},
	})
	if s := est["shop"]; s.Units != 6 || s.Decreases != 2 || s.Days.String() != "4" || s.PerDay.String() != "1.5" {
		t.Errorf("shop %+v", s)
	}
	if m := est["market"]; m.Units != 0 || m.Days.String() != "1" || !m.PerDay.IsZero() {
		t.Errorf("market %+v", m)
	}
}

// The winter promotion's chart: B on the web shop drops to its MAP floor
// on December 10 and back on the 20th; amazon_us's parity limit follows the
// web shop's price.
func TestPriceChart(t *testing.T) {
	r := build(t, "testdata/risky", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), report.Input{})
	if len(r.Pricing.Charts) != 1 {
		t.Fatalf("%d charts, want the winter promotion's", len(r.Pricing.Charts))
	}
	c := r.Pricing.Charts[0]
	if c.Promotion != "winter" || c.SKU != "B" {
		t.Fatalf("chart of %s %s", c.Promotion, c.SKU)
	}
	str := func(s *string) string {
		if s == nil {
			return "-"
		}
		return *s
	}
	got := map[string]string{}
	for _, s := range c.Series {
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, p.At.Format("Jan 2")+" "+str(p.Price)+"/"+str(p.Floor)+"/"+str(p.Limit))
		}
		got[s.Channel] = strings.Join(pts, ", ")
	}
	want := map[string]string{
		"web":       "Dec 1 50.00/45.00/-, Dec 10 45.00/45.00/-, Dec 20 50.00/45.00/-",
		"amazon_us": "Dec 1 65.00/45.00/55.00, Dec 10 65.00/45.00/49.50, Dec 20 65.00/45.00/55.00",
		"regional":  "Dec 1 50.00/45.00/-, Dec 10 50.00/45.00/-, Dec 20 50.00/45.00/-",
	}
	for ch, w := range want {
		if got[ch] != w {
			t.Errorf("%s: %s\nwant %s", ch, got[ch], w)
		}
	}
	// Its cascade: priced on web, nowhere else; clamped once, and
	// amazon_us's B is then further above the web shop's sale price.
	p := r.Pricing.Promotions[0]
	if p.Name != "winter" || p.Status != "scheduled" || len(p.Findings) != 2 || p.Findings[0].Code != "parity_violation" || p.Findings[1].Code != "promotion_clamped" {
		t.Errorf("cascade %+v", p)
	}
	for _, c := range p.Channels {
		if (c.Channel == "web") != (c.Priced == 1) {
			t.Errorf("%s prices %d listings", c.Channel, c.Priced)
		}
	}
}
