package derive_test

// Shared helpers for the table tests of the desired-state engine. Every
// expected number in these tests is worked out by hand, in a comment next to
// the case, from docs/spec-language.md ("How desired state is
// derived"); the tests never compute an expectation with the engine's code.

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// stockMap is on-hand stock by source, then SKU.
type stockMap map[string]map[string]int64

func (m stockMap) OnHand(source, sku string) (int64, bool) {
	n, ok := m[source][sku]
	return n, ok
}

// duringBF is an instant inside the promotion window most cases use
// (2026-11-27T00:00:00Z up to 2026-12-01T00:00:00Z).
var duringBF = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// beforeBF is an instant before any promotion of the tests.
var beforeBF = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Channel blocks the cases combine. Every channel sells in the catalog
// currency (USD) unless it says otherwise.
const (
	chShop = `
channel "shop" {
  type = "sandbox"
}
`
	chAmz = `
channel "amz" {
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
`
	chEbay = `
channel "ebay" {
  type = "ebay"
  config {
    marketplace_id = "EBAY_US"
    client_id      = env("EBAY_CLIENT_ID")
    client_secret  = env("EBAY_CLIENT_SECRET")
    refresh_token  = env("EBAY_REFRESH_TOKEN")
  }
}
`
	// chEU sells in EUR: 0.9 EUR per USD.
	chEU = `
channel "eu" {
  type     = "sandbox"
  currency = "EUR"
  fx_rate  = 0.9
}
`
	// chJP sells in JPY (no minor unit): 150 JPY per USD.
	chJP = `
channel "jp" {
  type     = "sandbox"
  currency = "JPY"
  fx_rate  = 150
}
`
	catalogBlock = `
catalog {
  file = "products.csv"
}
`
	stockBlock = `
stock_source "wh" {
  type = "file"
  file = "stock.csv"
}
`
)

// load loads a spec from HCL text and a catalog CSV, failing the test on any
// load error.
func load(t *testing.T, hcl, csv string) *spec.Spec {
	t.Helper()
	fsys := fstest.MapFS{
		"main.hcl":     {Data: []byte(hcl)},
		"products.csv": {Data: []byte(csv)},
	}
	s, diags := spec.Load(fsys, spec.Options{Types: builtin.Registry()})
	if diags.HasErrors() {
		t.Fatalf("spec does not load:\n%s\n--- spec ---\n%s", diags.Error(), hcl)
	}
	if s == nil {
		t.Fatalf("spec.Load returned nil without errors")
	}
	return s
}

// find returns the listing of (channel, sku), or false.
func find(res *derive.Result, channel, sku string) (derive.Listing, bool) {
	for _, l := range res.Listings {
		if l.Channel == channel && l.SKU == sku {
			return l, true
		}
	}
	return derive.Listing{}, false
}

func mustFind(t *testing.T, res *derive.Result, channel, sku string) derive.Listing {
	t.Helper()
	l, ok := find(res, channel, sku)
	if !ok {
		t.Fatalf("no listing for (%s, %s); listings: %s", channel, sku, listingKeys(res))
	}
	return l
}

func listingKeys(res *derive.Result) string {
	var keys []string
	for _, l := range res.Listings {
		keys = append(keys, l.Channel+"/"+l.SKU)
	}
	return "[" + strings.Join(keys, " ") + "]"
}

// null marks an expected null money value.
const null = "null"

// checkMoney asserts a NullDecimal: want is a decimal string or null.
func checkMoney(t *testing.T, what string, got decimal.NullDecimal, want string) {
	t.Helper()
	if want == null {
		if got.Valid {
			t.Errorf("%s = %s, want null", what, got.Decimal.String())
		}
		return
	}
	w := decimal.RequireFromString(want)
	if !got.Valid {
		t.Errorf("%s = null, want %s", what, want)
		return
	}
	if !got.Decimal.Equal(w) {
		t.Errorf("%s = %s, want %s", what, got.Decimal.String(), want)
	}
}

// anyValue matches any channel (or field) in a wanted finding.
const anyValue = "*"

// wantFinding is a finding a case expects. Channel or Field "*" match any.
type wantFinding struct {
	Severity derive.Severity
	Code     string
	Channel  string
	SKU      string
	Field    string
	// MessageHas, when set, must appear in the message.
	MessageHas []string
}

func (w wantFinding) String() string {
	s := fmt.Sprintf("%s %s %s/%s", w.Severity, w.Code, w.Channel, w.SKU)
	if w.Field != "" {
		s += " field " + w.Field
	}
	return s
}

func (w wantFinding) matches(f derive.Finding) bool {
	if w.Severity != f.Severity || w.Code != f.Code || w.SKU != f.SKU {
		return false
	}
	if w.Channel != anyValue && w.Channel != f.Channel {
		return false
	}
	if w.Field != anyValue && w.Field != f.Field {
		return false
	}
	for _, m := range w.MessageHas {
		if !strings.Contains(f.Message, m) {
			return false
		}
	}
	return true
}

func errorF(code, channel, sku string) wantFinding {
	return wantFinding{Severity: derive.Error, Code: code, Channel: channel, SKU: sku}
}

func warnF(code, channel, sku string) wantFinding {
	return wantFinding{Severity: derive.Warning, Code: code, Channel: channel, SKU: sku}
}

func fmtFinding(f derive.Finding) string {
	s := fmt.Sprintf("%s %s %s/%s", f.Severity, f.Code, f.Channel, f.SKU)
	if f.Field != "" {
		s += " field " + f.Field
	}
	return s + ": " + f.Message
}

// checkFindings asserts that the findings are exactly the wanted ones: every
// wanted finding is there (at least once) and every finding is wanted.
func checkFindings(t *testing.T, got []derive.Finding, want []wantFinding) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, f := range got {
			if w.matches(f) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("missing finding %s (messages %q)", w, w.MessageHas)
		}
	}
	for _, f := range got {
		wanted := false
		for _, w := range want {
			if w.matches(f) {
				wanted = true
				break
			}
		}
		if !wanted {
			t.Errorf("unexpected finding %s", fmtFinding(f))
		}
	}
	if t.Failed() {
		var all []string
		for _, f := range got {
			all = append(all, "  "+fmtFinding(f))
		}
		sort.Strings(all)
		t.Logf("all findings:\n%s", strings.Join(all, "\n"))
	}
}

// wantPrice is the expected price side of one listing. An empty Promotion
// means none; CompareAt null means no strike-through price.
type wantPrice struct {
	Channel, SKU string
	Price        string
	CompareAt    string
	Promotion    string
	Currency     string // checked when set
}

func checkPrices(t *testing.T, res *derive.Result, want []wantPrice) {
	t.Helper()
	for _, w := range want {
		l, ok := find(res, w.Channel, w.SKU)
		if !ok {
			t.Errorf("no listing for (%s, %s); listings: %s", w.Channel, w.SKU, listingKeys(res))
			continue
		}
		key := w.Channel + "/" + w.SKU
		checkMoney(t, key+" price", l.Price, w.Price)
		compare := w.CompareAt
		if compare == "" {
			compare = null
		}
		checkMoney(t, key+" compare_at", l.CompareAt, compare)
		if l.Promotion != w.Promotion {
			t.Errorf("%s promotion = %q, want %q", key, l.Promotion, w.Promotion)
		}
		if w.Currency != "" && l.Currency != w.Currency {
			t.Errorf("%s currency = %q, want %q", key, l.Currency, w.Currency)
		}
	}
}

// priceCase is one case of the price, promotion, parity and deviation
// tables: a spec, a catalog, an instant and what must come out.
type priceCase struct {
	name     string
	hcl      string
	csv      string
	at       time.Time // zero: beforeBF
	want     []wantPrice
	findings []wantFinding
}

func runPriceCases(t *testing.T, cases []priceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.hcl, tc.csv)
			at := tc.at
			if at.IsZero() {
				at = beforeBF
			}
			res := derive.Derive(s, derive.Options{At: at})
			checkPrices(t, res, tc.want)
			checkFindings(t, res.Findings, tc.findings)
		})
	}
}
