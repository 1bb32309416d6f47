package spec_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/spec"
)

const catalogCSV = `sku,price,cost,map,title,brand,category,color
HP-01,39.99,18.00,30.00,Wireless Headphones,Acme,audio,black
HP-02,59.99,27.50,,Studio Headphones,Acme,audio,white
SP-01,89.99,41.00,79.99,Boom Speaker,Boomco,speakers,red
`

// load loads an inline spec with products.csv, an environment and --vars.
func load(t *testing.T, hclSrc string, env map[string]string, vars map[string]string) (*spec.Spec, hcl.Diagnostics) {
	t.Helper()
	fsys := fstest.MapFS{
		"main.hcl":     {Data: []byte(hclSrc)},
		"products.csv": {Data: []byte(catalogCSV)},
		"extra.json":   {Data: []byte(`{"skus": ["HP-02", "SP-01"]}`)},
	}
	return spec.Load(fsys, spec.Options{
		Types: builtin.Registry(),
		Vars:  vars,
		LookupEnv: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	})
}

func mustLoad(t *testing.T, hclSrc string, env, vars map[string]string) *spec.Spec {
	t.Helper()
	s, diags := load(t, hclSrc, env, vars)
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	return s
}

const header = `
channel "shop" {
  type = "sandbox"
}
catalog {
  file = "products.csv"
}
`

func TestVariablePrecedence(t *testing.T) {
	src := header + `
variable "markup" {
  default = "+8%"
}
variable "units" {
  default = 3
}
price_matrix "m" {
  channel "shop" {
    adjust = var.markup
  }
}
stock_source "w" {
  type = "file"
  file = "stock.csv"
}
pool "p" {
  channels = ["shop"]
  safety_stock = var.units
}
`
	tests := []struct {
		name       string
		env, vars  map[string]string
		wantAdjust string
		wantUnits  int64
		wantSource string
	}{
		{"default", nil, nil, "+8%", 3, "default"},
		{"environment", map[string]string{"ACCORD_VAR_markup": "+5%"}, nil, "+5%", 3, "ACCORD_VAR_markup"},
		{"--var beats the environment", map[string]string{"ACCORD_VAR_markup": "+5%"}, map[string]string{"markup": "-2%"}, "-2%", 3, "--var"},
		{"a number variable reads a number", nil, map[string]string{"units": "7"}, "+8%", 7, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustLoad(t, src, tt.env, tt.vars)
			if got := s.Matrices[0].PerChannel["shop"].Adjust.String(); got != tt.wantAdjust {
				t.Errorf("adjust = %s, want %s", got, tt.wantAdjust)
			}
			if got := s.Pools[0].SafetyStock; got != tt.wantUnits {
				t.Errorf("safety_stock = %d, want %d", got, tt.wantUnits)
			}
			if got := s.Variables["markup"].Source; got != tt.wantSource {
				t.Errorf("markup came from %q, want %q", got, tt.wantSource)
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	src := header + `
variable "units" {
  default = 3
}
`
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"undeclared", map[string]string{"unit": "4"}, `no variable "unit". Did you mean "units"?`},
		{"not a number", map[string]string{"units": "many"}, `The value "many" given by --var for variable "units" is not a valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := load(t, src, nil, tt.vars)
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Fatalf("diagnostics %q do not contain %q", diags.Error(), tt.want)
			}
		})
	}
}

func TestLocalsProductsAndFunctions(t *testing.T) {
	src := header + `
locals {
  audio    = [for p in products : p.sku if p.category == "audio"]
  dear     = [for p in products : p.sku if p.price > 50]
  from_env = env("REGION", "us")
  listed   = jsondecode(file("extra.json")).skus
  rows     = csvdecode("sku,n\nHP-01,2\n")
  both     = setintersection(local.dear, local.listed)
}
promotion "a" {
  starts   = "2026-11-27"
  ends     = "2026-11-28"
  skus     = local.audio
  discount = "10%"
}
promotion "b" {
  starts   = "2026-11-27"
  ends     = "2026-11-28"
  skus     = tolist(local.both)
  discount = "10%"
}
promotion "c" {
  starts   = "2026-11-27"
  ends     = "2026-11-28"
  skus     = [local.rows[0].sku]
  where    = local.from_env == "eu"
  discount = "10%"
}
`
	s := mustLoad(t, src, map[string]string{"REGION": "eu"}, nil)
	covered := func(p *spec.Promotion) []string {
		var out []string
		for i, c := range p.Covers {
			if c {
				out = append(out, s.Products[i].SKU)
			}
		}
		return out
	}
	if got := strings.Join(covered(s.Promotions[0]), ","); got != "HP-01,HP-02" {
		t.Errorf("audio = %s, want HP-01,HP-02", got)
	}
	if got := strings.Join(covered(s.Promotions[1]), ","); got != "HP-02,SP-01" {
		t.Errorf("dear and listed = %s, want HP-02,SP-01", got)
	}
	if got := strings.Join(covered(s.Promotions[2]), ","); got != "HP-01" {
		t.Errorf("env-driven where = %s, want HP-01", got)
	}
}

func TestEnvWithoutDefaultMustBeSet(t *testing.T) {
	_, diags := load(t, header+`
locals {
  token = env("SHOP_TOKEN")
}
`, nil, nil)
	if !strings.Contains(diags.Error(), "environment variable SHOP_TOKEN is not set") {
		t.Fatalf("got %s", diags.Error())
	}
}

func TestFileStaysInTheSpecDirectory(t *testing.T) {
	for _, path := range []string{"../secrets.txt", "/etc/passwd"} {
		_, diags := load(t, header+`
locals {
  x = file("`+path+`")
}
`, nil, nil)
		if !diags.HasErrors() {
			t.Errorf("file(%q) was allowed", path)
		}
	}
}

func TestSKUColumn(t *testing.T) {
	s := mustLoad(t, header+`
channel "colored" {
  type       = "sandbox"
  sku_column = "color"
}
`, nil, nil)
	ch, _, _ := s.Channel("colored")
	p, _, _ := s.Product("SP-01")
	if sku, ok := ch.ChannelSKU(p); !ok || sku != "red" {
		t.Errorf("ChannelSKU = %q, %v; want red", sku, ok)
	}
	_, diags := load(t, header+`
channel "x" {
  type       = "sandbox"
  sku_column = "colour"
}
`, nil, nil)
	if !strings.Contains(diags.Error(), `Did you mean "color"?`) {
		t.Errorf("an unknown sku_column gave %s", diags.Error())
	}
}

func TestProductsAreSortedAndIndexed(t *testing.T) {
	s := mustLoad(t, header+`
product "AA-1" {
  price = 5
  attributes = { color = "blue" }
}
`, nil, nil)
	var skus []string
	for _, p := range s.Products {
		skus = append(skus, p.SKU)
	}
	if got := strings.Join(skus, ","); got != "AA-1,HP-01,HP-02,SP-01" {
		t.Errorf("products = %s", got)
	}
	if p, i, ok := s.Product("HP-02"); !ok || i != 2 || p.Cost.Decimal.String() != "27.5" || p.MAP.Valid {
		t.Errorf("Product(HP-02) = %+v, %d, %v", p, i, ok)
	}
	if s.Products[0].Attributes["color"] != "blue" {
		t.Errorf("inline attributes lost: %v", s.Products[0].Attributes)
	}
}

func TestParseTime(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		in   string
		want string
	}{
		{"2026-11-27T00:00:00", "2026-11-27T05:00:00Z"},
		{"2026-11-27T00:00", "2026-11-27T05:00:00Z"},
		{"2026-11-27", "2026-11-27T05:00:00Z"},
		{"2026-07-04T12:00:00", "2026-07-04T16:00:00Z"},
		{"2026-11-27T00:00:00+01:00", "2026-11-26T23:00:00Z"},
		{"2026-11-27T00:00:00Z", "2026-11-27T00:00:00Z"},
	}
	for _, tt := range tests {
		got, err := spec.ParseTime(tt.in, ny)
		if err != nil || got.UTC().Format(time.RFC3339) != tt.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", tt.in, got.UTC(), err, tt.want)
		}
	}
	for _, bad := range []string{"27/11/2026", "2026-13-01", "tomorrow", ""} {
		if _, err := spec.ParseTime(bad, ny); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}
