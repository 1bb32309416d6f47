package money

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"8%", "0.08", ""},
		{"12.5%", "0.125", ""},
		{"0%", "0", ""},
		{"100%", "1", ""},
		{"8 %", "", `write it without spaces, as "8%"`},
		{" 8%", "", `write it without spaces, as "8%"`},
		{"8", "", "followed directly by %"},
		{"+8%", "", "without a sign"},
		{"-5%", "", "without a sign"},
		{"eight%", "", "not a percentage"},
		{"8.%", "", "not a percentage"},
		{"", "", "not a percentage"},
	}
	for _, tt := range tests {
		got, err := ParsePercent(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePercent(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(d(tt.want)) {
			t.Errorf("ParsePercent(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestAdjustment(t *testing.T) {
	tests := []struct {
		adj, price, want string
	}{
		{"+8%", "39.99", "43.1892"},
		{"8%", "39.99", "43.1892"},
		{"-5%", "20.00", "19"},
		{"+2.00", "39.99", "41.99"},
		{"-1.50", "10", "8.5"},
		{"+0%", "10", "10"},
	}
	for _, tt := range tests {
		a, err := ParseAdjustment(tt.adj)
		if err != nil {
			t.Fatalf("ParseAdjustment(%q): %v", tt.adj, err)
		}
		if got := a.Apply(d(tt.price)); !got.Equal(d(tt.want)) {
			t.Errorf("%s on %s = %s, want %s", tt.adj, tt.price, got, tt.want)
		}
	}
	for _, bad := range []string{"8 %", "+ 2.00", "two", "+8%%", "1,50"} {
		if _, err := ParseAdjustment(bad); err == nil {
			t.Errorf("ParseAdjustment(%q) accepted a bad adjustment", bad)
		}
	}
}

func TestDiscount(t *testing.T) {
	tests := []struct {
		disc, regular, fx, want string
	}{
		{"20%", "43.1892", "1", "34.55136"},
		{"5.00", "43.1892", "1", "38.1892"},
		{"5.00", "100", "1.5", "92.5"},
		{"100%", "10", "1", "0"},
	}
	for _, tt := range tests {
		dc, err := ParseDiscount(tt.disc)
		if err != nil {
			t.Fatalf("ParseDiscount(%q): %v", tt.disc, err)
		}
		if got := dc.Apply(d(tt.regular), d(tt.fx)); !got.Equal(d(tt.want)) {
			t.Errorf("%s off %s (fx %s) = %s, want %s", tt.disc, tt.regular, tt.fx, got, tt.want)
		}
	}
	fixed := Discount{Kind: FixedPrice, Value: d("29.99")}
	if got := fixed.Apply(d("50"), d("1.1")); !got.Equal(d("32.989")) {
		t.Errorf("fixed 29.99 at fx 1.1 = %s, want 32.989", got)
	}
	for _, bad := range []string{"120%", "-5.00", "20 %", "abc"} {
		if _, err := ParseDiscount(bad); err == nil {
			t.Errorf("ParseDiscount(%q) accepted a bad discount", bad)
		}
	}
}

func TestMinorUnits(t *testing.T) {
	for code, want := range map[string]int32{"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0, "KWD": 3, "GBP": 2} {
		got, err := MinorUnits(code)
		if err != nil || got != want {
			t.Errorf("MinorUnits(%s) = %d, %v; want %d", code, got, err, want)
		}
	}
	if _, err := MinorUnits("XYZW"); err == nil {
		t.Error("MinorUnits accepted a code that is not ISO 4217")
	}
}

func TestRound(t *testing.T) {
	tests := []struct {
		name           string
		rule           string
		scale          int32
		value, floor   string
		want           string
		wantRaisedByFl bool
	}{
		{"none half-up below the half cent", "none", 2, "10.004", "0", "10", false},
		{"none half-up at the half cent", "none", 2, "10.005", "0", "10.01", false},
		{"none half-up just under the half cent", "none", 2, "10.00499", "0", "10", false},
		{"none under floor takes floor rounded up", "none", 2, "9.994", "9.991", "10", true},
		{"none exact floor is kept", "none", 2, "9.99", "9.99", "9.99", false},
		{"ending .99 goes down", "0.99", 2, "43.1892", "0", "42.99", false},
		{"ending .99 exact stays", "0.99", 2, "42.99", "0", "42.99", false},
		{"ending .99 just under next", "0.99", 2, "43.9899", "0", "42.99", false},
		{"ending under floor takes next ending above floor", "0.99", 2, "34.55136", "34.60", "34.99", true},
		{"ending under floor exactly on an ending", "0.99", 2, "30.00", "30.99", "30.99", true},
		{"ending below first price", "0.99", 2, "0.50", "0", "0.99", true},
		{"ending 9.99 period ten", "9.99", 2, "47.50", "0", "39.99", false},
		{"ending 9.99 under floor", "9.99", 2, "47.50", "41.00", "49.99", true},
		{"ending .95", "0.95", 2, "20.949", "0", "19.95", false},
		{"zero-decimal currency none", "none", 0, "4320.5", "0", "4321", false},
		{"zero-decimal currency none below half", "none", 0, "4320.49", "0", "4320", false},
		{"zero-decimal currency ending 80", "80", 0, "4321", "0", "4280", false},
		{"zero-decimal currency none under floor", "none", 0, "4320.2", "4320.01", "4321", true},
		{"three-decimal currency", "none", 3, "1.2345", "0", "1.235", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRounding(tt.rule, tt.scale)
			if err != nil {
				t.Fatal(err)
			}
			got, raised := r.Round(d(tt.value), d(tt.floor))
			if !got.Equal(d(tt.want)) || raised != tt.wantRaisedByFl {
				t.Errorf("Round(%s, floor %s) with %q = %s (raised %v), want %s (raised %v)",
					tt.value, tt.floor, tt.rule, got, raised, tt.want, tt.wantRaisedByFl)
			}
			if got.LessThan(d(tt.floor)) {
				t.Errorf("rounded price %s is under its floor %s", got, tt.floor)
			}
		})
	}
}

func TestRoundingDownUp(t *testing.T) {
	r, _ := ParseRounding("0.99", 2)
	for _, tt := range []struct{ v, down, up string }{
		{"45.3", "44.99", "45.99"},
		{"44.99", "44.99", "44.99"},
		{"45", "44.99", "45.99"},
	} {
		if got := r.Down(d(tt.v)); !got.Equal(d(tt.down)) {
			t.Errorf("Down(%s) = %s, want %s", tt.v, got, tt.down)
		}
		if got := r.Up(d(tt.v)); !got.Equal(d(tt.up)) {
			t.Errorf("Up(%s) = %s, want %s", tt.v, got, tt.up)
		}
	}
	n, _ := ParseRounding("none", 2)
	if got := n.Down(d("45.349")); !got.Equal(d("45.34")) {
		t.Errorf("none Down(45.349) = %s, want 45.34", got)
	}
}

func TestParseRoundingErrors(t *testing.T) {
	for _, tt := range []struct {
		in    string
		scale int32
		want  string
	}{
		{"0.99", 0, "more than the currency's 0"},
		{"0.999", 2, "more than the currency's 2"},
		{".99", 2, "not a rounding rule"},
		{"-0.99", 2, "not a rounding rule"},
		{"ninety-nine", 2, "not a rounding rule"},
		{"1234567890123456.99", 2, "more whole digits than any price"},
	} {
		_, err := ParseRounding(tt.in, tt.scale)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRounding(%q, %d) = %v, want an error containing %q", tt.in, tt.scale, err, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"8%", "+8%", "-1.50", "0.99", "9.99", "8 %", "", "%", "1e5", "00.10%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := ParsePercent(s); err == nil && p.IsNegative() {
			t.Errorf("ParsePercent(%q) = %s, negative", s, p)
		}
		_, _ = ParseSignedPercent(s)
		if a, err := ParseAdjustment(s); err == nil {
			_ = a.Apply(d("10"))
		}
		if dc, err := ParseDiscount(s); err == nil {
			if dc.Value.IsNegative() {
				t.Errorf("ParseDiscount(%q) is negative", s)
			}
		}
		if r, err := ParseRounding(s, 2); err == nil {
			v := d("12.34")
			got, _ := r.Round(v, d("5"))
			if got.LessThan(d("5")) {
				t.Errorf("rounding %q gave %s under floor 5", s, got)
			}
			if dn := r.Down(v); dn.GreaterThan(v) {
				t.Errorf("rounding %q Down(%s) = %s, above", s, v, dn)
			}
			if up := r.Up(v); up.LessThan(v) {
				t.Errorf("rounding %q Up(%s) = %s, below", s, v, up)
			}
		}
	})
}

// FuzzRoundingFastPath checks the integer path against the decimal one on
// arbitrary values, rules and scales.
func FuzzRoundingFastPath(f *testing.F) {
	f.Add(int64(431892), int32(-4), "0.99", uint8(2))
	f.Add(int64(-10005), int32(-3), "none", uint8(2))
	f.Add(int64(43205), int32(-1), "80", uint8(0))
	f.Add(int64(999999999999999999), int32(-2), "9.99", uint8(2))
	f.Add(int64(12345), int32(3), "0.95", uint8(2))
	f.Fuzz(func(t *testing.T, coef int64, exp int32, rule string, scale uint8) {
		if exp < -30 || exp > 30 || scale > 4 {
			return
		}
		r, err := ParseRounding(rule, int32(scale))
		if err != nil {
			return
		}
		v := decimal.New(coef, exp)
		if got, want := r.Down(v), r.downDecimal(v); !got.Equal(want) {
			t.Errorf("%q Down(%s) = %s, decimal path says %s", rule, v, got, want)
		}
		if got, want := r.Up(v), r.upDecimal(v); !got.Equal(want) {
			t.Errorf("%q Up(%s) = %s, decimal path says %s", rule, v, got, want)
		}
		if r.IsNone() {
			if got, want := r.Nearest(v), v.Round(int32(scale)); !got.Equal(want) {
				t.Errorf("none Nearest(%s) = %s, decimal.Round says %s", v, got, want)
			}
		}
	})
}

func TestEqual(t *testing.T) {
	big := "123456789012345678901234567890"
	cases := []struct {
		a, b string
		want bool
	}{
		{"43.90", "43.90", true},
		{"43.9", "43.90", true},
		{"43.9", "43.91", false},
		{"43.90", "43.9000", true},
		{"0", "0.00", true},
		{"-1.5", "-1.50", true},
		{"-1.5", "1.50", false},
		{"100", "1E2", true},
		{"1E2", "1E3", false},
		{"0.001", "0.00100000", true},
		{big, big + ".0", true},                                // past int64: the decimal path
		{big, big + ".1", false},                               // past int64: the decimal path
		{"9223372036854775807", "9223372036854775807.0", true}, // overflows at the finer scale
	}
	for _, c := range cases {
		a, b := decimal.RequireFromString(c.a), decimal.RequireFromString(c.b)
		if got := Equal(a, b); got != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := Equal(b, a); got != c.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", c.b, c.a, got, c.want)
		}
		if got := a.Equal(b); got != c.want {
			t.Errorf("case %s %s: decimal.Equal says %v", c.a, c.b, got)
		}
	}
}
