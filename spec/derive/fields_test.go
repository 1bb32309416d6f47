package derive_test

import (
	"testing"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec/derive"
)

// The contract's fields: evaluated per (c, s) with the channel's block
// overriding the top level; a value over max_length (in characters) is an
// error naming the SKU, field and length, unless truncate = true: then it
// becomes its longest prefix of whole space-separated words that fits (a
// first word longer than the limit is cut at the limit), with a warning.

// fieldsCSV: titles and their lengths in characters, with brand:
//
//	HP-01 "Acme Wireless Headphones"           24
//	HP-02 "Acme Noise Cancelling Headphones"   32
//	HP-03 "Café Crème Brûlée Speaker"          25 characters, 29 bytes
const fieldsCSV = `sku,price,title,brand,description,gtin,color,reg_sku
HP-01,39.99,Wireless Headphones,Acme,Over-ear headphones.,00850000000011,black,R-1001
HP-02,59.99,Noise Cancelling Headphones,Acme,Active noise cancelling.,00850000000028,white,
HP-03,19.99,Crème Brûlée Speaker,Café,A small speaker.,00850000000035,red,R-1003
`

func fields(kv ...string) []adapters.Field {
	var out []adapters.Field
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, adapters.Field{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestFields(t *testing.T) {
	cases := []struct {
		name string
		hcl  string
		csv  string
		// want holds the exact fields (sorted by name) of "channel/sku".
		want map[string][]adapters.Field
		// absent lists "channel/sku" pairs that must have no listing.
		absent   []string
		findings []wantFinding
	}{
		{
			// title: "${brand} ${title}", amz overrides it with the color.
			// description uses channel.name; handle uses std functions:
			// lower(replace("Wireless Headphones", " ", "-")) = "wireless-headphones".
			// gtin keeps its leading zeros (a string column).
			name: "templates, channel override and channel.name",
			hcl: chShop + chAmz + catalogBlock + `
listing {
  title       = "${product.brand} ${product.title}"
  description = "${product.description} Sold on ${channel.name}."
  gtin        = product.gtin
  handle      = lower(replace(product.title, " ", "-"))
  channel "amz" {
    title = "${product.brand} ${product.title} - ${product.attributes.color}"
  }
}`,
			csv: fieldsCSV,
			want: map[string][]adapters.Field{
				"shop/HP-01": fields(
					"description", "Over-ear headphones. Sold on shop.",
					"gtin", "00850000000011",
					"handle", "wireless-headphones",
					"title", "Acme Wireless Headphones"),
				"amz/HP-01": fields(
					"description", "Over-ear headphones. Sold on amz.",
					"gtin", "00850000000011",
					"handle", "wireless-headphones",
					"title", "Acme Wireless Headphones - black"),
				"amz/HP-02": fields(
					"description", "Active noise cancelling. Sold on amz.",
					"gtin", "00850000000028",
					"handle", "noise-cancelling-headphones",
					"title", "Acme Noise Cancelling Headphones - white"),
			},
		},
		{
			// max_length title 25 at the top, 40 on amz; no truncate.
			// shop HP-01 24 <= 25: fine. shop HP-02 32 > 25: max_length error
			// naming the length 32; the value is kept whole.
			// shop HP-03 25 characters (29 bytes) <= 25: fine.
			// amz titles add " - color": HP-01 32, HP-02 40, HP-03 31: all <= 40.
			name: "max_length error, counted in characters",
			hcl: chShop + chAmz + catalogBlock + `
listing {
  title      = "${product.brand} ${product.title}"
  max_length = { title = 25 }
  channel "amz" {
    title      = "${product.brand} ${product.title} - ${product.attributes.color}"
    max_length = { title = 40 }
  }
}`,
			csv: fieldsCSV,
			want: map[string][]adapters.Field{
				"shop/HP-01": fields("title", "Acme Wireless Headphones"),
				"shop/HP-02": fields("title", "Acme Noise Cancelling Headphones"),
				"shop/HP-03": fields("title", "Café Crème Brûlée Speaker"),
				"amz/HP-02":  fields("title", "Acme Noise Cancelling Headphones - white"),
			},
			findings: []wantFinding{
				{Severity: derive.Error, Code: derive.CodeMaxLength, Channel: "shop", SKU: "HP-02", Field: "title", MessageHas: []string{"32"}},
			},
		},
		{
			// truncate = true, max_length title 20 (amz: 40, with the color).
			// shop HP-01 "Acme Wireless Headphones" (24): "Acme Wireless" (13),
			//   as "Acme Wireless Headphones" does not fit.
			// shop HP-02 "Acme Noise Cancelling Headphones" (32): "Acme Noise"
			//   (10); "Acme Noise Cancelling" is 21.
			// shop HP-03 "Café Crème Brûlée Speaker" (25): "Café Crème Brûlée"
			//   (17); with " Speaker" it is 25.
			// amz: 32, 40 and 31 characters all fit 40: untouched, no warning.
			name: "truncate at a word boundary",
			hcl: chShop + chAmz + catalogBlock + `
listing {
  title      = "${product.brand} ${product.title}"
  max_length = { title = 20 }
  truncate   = true
  channel "amz" {
    title      = "${product.brand} ${product.title} - ${product.attributes.color}"
    max_length = { title = 40 }
  }
}`,
			csv: fieldsCSV,
			want: map[string][]adapters.Field{
				"shop/HP-01": fields("title", "Acme Wireless"),
				"shop/HP-02": fields("title", "Acme Noise"),
				"shop/HP-03": fields("title", "Café Crème Brûlée"),
				"amz/HP-01":  fields("title", "Acme Wireless Headphones - black"),
				"amz/HP-02":  fields("title", "Acme Noise Cancelling Headphones - white"),
			},
			findings: []wantFinding{
				{Severity: derive.Warning, Code: derive.CodeTruncated, Channel: "shop", SKU: "HP-01", Field: "title"},
				{Severity: derive.Warning, Code: derive.CodeTruncated, Channel: "shop", SKU: "HP-02", Field: "title"},
				{Severity: derive.Warning, Code: derive.CodeTruncated, Channel: "shop", SKU: "HP-03", Field: "title"},
			},
		},
		{
			// A first word longer than the limit is cut at the limit:
			// "Megabassboomerang Speaker" with max_length 10 -> "Megabassbo".
			name: "truncate a first word longer than the limit",
			hcl: chShop + catalogBlock + `
listing {
  title      = "${product.brand} ${product.title}"
  max_length = { title = 10 }
  truncate   = true
}`,
			csv:  "sku,price,title,brand\nX-1,1.00,Speaker,Megabassboomerang\n",
			want: map[string][]adapters.Field{"shop/X-1": fields("title", "Megabassbo")},
			findings: []wantFinding{
				{Severity: derive.Warning, Code: derive.CodeTruncated, Channel: "shop", SKU: "X-1", Field: "title"},
			},
		},
		{
			// gtin is shared: amz writes "0" + gtin, which differs from shop's
			// (and the top level's) value: shared_field_mismatch for each SKU.
			// ebay overrides gtin too, with an expression of the same value
			// (trimspace changes nothing): no finding.
			name: "shared field mismatch",
			hcl: chShop + chAmz + chEbay + catalogBlock + `
listing {
  gtin   = product.gtin
  shared = ["gtin"]
  channel "amz" {
    gtin = "0${product.gtin}"
  }
  channel "ebay" {
    gtin = trimspace(product.gtin)
  }
}`,
			csv: fieldsCSV,
			want: map[string][]adapters.Field{
				"shop/HP-01": fields("gtin", "00850000000011"),
				"ebay/HP-01": fields("gtin", "00850000000011"),
				"amz/HP-01":  fields("gtin", "000850000000011"),
			},
			findings: []wantFinding{
				{Severity: derive.Error, Code: derive.CodeSharedField, Channel: anyValue, SKU: "HP-01", Field: "gtin"},
				{Severity: derive.Error, Code: derive.CodeSharedField, Channel: anyValue, SKU: "HP-02", Field: "gtin"},
				{Severity: derive.Error, Code: derive.CodeSharedField, Channel: anyValue, SKU: "HP-03", Field: "gtin"},
			},
		},
		{
			// A shared field whose top-level expression reads channel.name
			// differs between channels: "00850000000011-amz" on amz,
			// "00850000000011-shop" on shop: shared_field_mismatch.
			name: "shared field that depends on the channel",
			hcl: chShop + chAmz + catalogBlock + `
listing {
  gtin   = "${product.gtin}-${channel.name}"
  shared = ["gtin"]
}`,
			csv: "sku,price,gtin\nHP-01,1.00,00850000000011\n",
			want: map[string][]adapters.Field{
				"amz/HP-01":  fields("gtin", "00850000000011-amz"),
				"shop/HP-01": fields("gtin", "00850000000011-shop"),
			},
			findings: []wantFinding{
				{Severity: derive.Error, Code: derive.CodeSharedField, Channel: anyValue, SKU: "HP-01", Field: "gtin"},
			},
		},
		{
			// amz's block sets only max_length (10): the top-level title
			// "Acme Wireless Headphones" (24) is over it on amz only; shop
			// has no limit.
			name: "channel max_length over a top-level field",
			hcl: chShop + chAmz + catalogBlock + `
listing {
  title = "${product.brand} ${product.title}"
  channel "amz" {
    max_length = { title = 10 }
  }
}`,
			csv: "sku,price,title,brand\nHP-01,1.00,Wireless Headphones,Acme\n",
			want: map[string][]adapters.Field{
				"amz/HP-01":  fields("title", "Acme Wireless Headphones"),
				"shop/HP-01": fields("title", "Acme Wireless Headphones"),
			},
			findings: []wantFinding{
				{Severity: derive.Error, Code: derive.CodeMaxLength, Channel: "amz", SKU: "HP-01", Field: "title", MessageHas: []string{"24"}},
			},
		},
		{
			// reg knows products by reg_sku; HP-02's cell is empty, so reg does
			// not list HP-02 at all (no listing, though HP-02 is in the pool and
			// the matrix). Listings stay keyed by the catalog SKU: HP-01, not
			// R-1001.
			name: "sku_column with an empty cell does not list the product",
			hcl: chShop + `
channel "reg" {
  type       = "file"
  sku_column = "reg_sku"
  config {
    export = "reg.csv"
  }
}
` + catalogBlock + stockBlock + `
pool "main" {
  source   = "wh"
  channels = ["shop", "reg"]
}
price_matrix "m" {
}
listing {
  title = product.title
}`,
			csv: fieldsCSV,
			want: map[string][]adapters.Field{
				"reg/HP-01":  fields("title", "Wireless Headphones"),
				"reg/HP-03":  fields("title", "Crème Brûlée Speaker"),
				"shop/HP-02": fields("title", "Noise Cancelling Headphones"),
			},
			absent: []string{"reg/HP-02", "reg/R-1001", "reg/R-1003"},
			// No stock is given to Derive here (Options.Stock nil), so no
			// stock_missing either.
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.hcl, tc.csv)
			res := derive.Derive(s, derive.Options{At: beforeBF})
			for key, want := range tc.want {
				l, ok := findKey(res, key)
				if !ok {
					t.Errorf("no listing %s; listings: %s", key, listingKeys(res))
					continue
				}
				if !equalFields(l.Fields, want) {
					t.Errorf("%s fields = %q, want %q", key, l.Fields, want)
				}
			}
			for _, key := range tc.absent {
				if _, ok := findKey(res, key); ok {
					t.Errorf("listing %s exists, want none", key)
				}
			}
			checkFindings(t, res.Findings, tc.findings)
		})
	}
}

// TestFieldsOnlyListing checks a listing managed for its fields alone: no
// pool and no matrix, so quantity and price are null.
func TestFieldsOnlyListing(t *testing.T) {
	s := load(t, chShop+catalogBlock+`
listing {
  title = product.title
}`, fieldsCSV)
	res := derive.Derive(s, derive.Options{At: beforeBF, Stock: stockMap{}})
	if got := listingKeys(res); got != "[shop/HP-01 shop/HP-02 shop/HP-03]" {
		t.Fatalf("listings = %s", got)
	}
	l := mustFind(t, res, "shop", "HP-01")
	if l.Quantity.Valid {
		t.Errorf("quantity = %d, want null", l.Quantity.Units)
	}
	checkMoney(t, "price", l.Price, null)
	checkMoney(t, "compare_at", l.CompareAt, null)
	if v, _ := l.Field("title"); v != "Wireless Headphones" {
		t.Errorf("title = %q", v)
	}
	checkFindings(t, res.Findings, nil)
}

func findKey(res *derive.Result, key string) (derive.Listing, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return find(res, key[:i], key[i+1:])
		}
	}
	return derive.Listing{}, false
}

func equalFields(a, b []adapters.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		in    string
		limit int
		want  string
	}{
		// Fits: unchanged.
		{"Acme Wireless Headphones", 24, "Acme Wireless Headphones"},
		{"Acme Wireless Headphones", 100, "Acme Wireless Headphones"},
		{"", 5, ""},
		// Longest prefix of whole words within the limit.
		{"Acme Wireless Headphones", 23, "Acme Wireless"},
		{"Acme Wireless Headphones", 20, "Acme Wireless"},
		{"Acme Wireless Headphones", 14, "Acme Wireless"}, // "Acme Wireless " then a space
		{"Acme Wireless Headphones", 13, "Acme Wireless"}, // ends exactly at a word
		{"Acme Wireless Headphones", 12, "Acme"},
		{"Acme Wireless Headphones", 4, "Acme"},
		{"a b c d", 3, "a b"},
		{"a b c d", 4, "a b"},
		{"abc def", 4, "abc"},
		{"a  b", 2, "a"}, // no trailing space left in the result
		// A first word longer than the limit is cut at the limit.
		{"Supercalifragilistic Speaker", 10, "Supercalif"},
		{"Supercalifragilistic", 5, "Super"},
		{"Acme Wireless Headphones", 3, "Acm"},
		// Characters, not bytes.
		{"Café Crème Brûlée", 12, "Café Crème"},
		{"Café Crème Brûlée", 17, "Café Crème Brûlée"},
		{"Brûlée", 3, "Brû"},
		{"日本語のテキスト です", 5, "日本語のテ"},
		{"日本語 テキスト", 6, "日本語"},
	}
	for _, tc := range cases {
		got := derive.Truncate(tc.in, tc.limit)
		if got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}
