package money

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Rounding is a price-ending rule: "none" rounds half-up to the currency's
// minor unit; an ending such as "0.99" or "9.99" keeps prices on that ending.
//
// An ending E repeats with period P, the power of ten just above its integer
// part: "0.99" and "0.95" have period 1 (…, 41.99, 42.99), "9.99" has period
// 10 (…, 39.99, 49.99), "49" has period 100 (…, 149, 249). The valid prices are
// n*P + E for whole n >= 0.
type Rounding struct {
	// Scale is the currency's minor-unit places.
	Scale  int32
	ending decimal.Decimal
	period decimal.Decimal
	none   bool
	text   string
}

// ParseRounding reads a rounding rule for a currency with the given
// minor-unit places.
func ParseRounding(s string, scale int32) (Rounding, error) {
	if s == "none" || s == "" {
		return Rounding{Scale: scale, none: true, text: "none"}, nil
	}
	if !amountRe.MatchString(s) || s[0] == '+' || s[0] == '-' {
		return Rounding{}, fmt.Errorf("%q is not a rounding rule: write \"none\" or a price ending such as \"0.99\"", s)
	}
	e, err := decimal.NewFromString(s)
	if err != nil {
		return Rounding{}, err
	}
	places := int32(0)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		places = int32(len(s) - i - 1)
	}
	if places > scale {
		return Rounding{}, fmt.Errorf("price ending %q has %d decimal places, more than the currency's %d", s, places, scale)
	}
	intDigits := len(strings.TrimLeft(strings.SplitN(s, ".", 2)[0], "0"))
	return Rounding{
		Scale:  scale,
		ending: e,
		period: decimal.New(1, int32(intDigits)),
		text:   s,
	}, nil
}

// String returns the rule as written.
func (r Rounding) String() string { return r.text }

// IsNone reports whether the rule is plain rounding to the minor unit.
func (r Rounding) IsNone() bool { return r.none }

// Nearest applies the rule to a value with no floor: half-up to the minor
// unit for "none", the largest price ending in E at or below v otherwise.
// The result may be negative when v is below the first valid price.
func (r Rounding) Nearest(v decimal.Decimal) decimal.Decimal {
	if r.none {
		return v.Round(r.Scale)
	}
	return r.Down(v)
}

// Down returns the largest valid price at or below v (for "none", v cut down
// to the minor unit). It may be negative when v is below the first ending.
func (r Rounding) Down(v decimal.Decimal) decimal.Decimal {
	if r.none {
		return v.RoundFloor(r.Scale)
	}
	n := v.Sub(r.ending)
	if !r.period.Equal(one) {
		n = n.Div(r.period)
	}
	n = n.Floor()
	if !r.period.Equal(one) {
		n = n.Mul(r.period)
	}
	return n.Add(r.ending)
}

// Up returns the smallest valid price at or above v (for "none", v raised to
// the minor unit). It is never below the first valid price.
func (r Rounding) Up(v decimal.Decimal) decimal.Decimal {
	if r.none {
		return v.RoundCeil(r.Scale)
	}
	n := v.Sub(r.ending)
	if !r.period.Equal(one) {
		n = n.Div(r.period)
	}
	n = n.Ceil()
	if n.IsNegative() {
		n = decimal.Zero
	}
	if !r.period.Equal(one) {
		n = n.Mul(r.period)
	}
	return n.Add(r.ending)
}

// Round applies the rule to v against a floor, as the spec language defines
// it: the rounded price is never under the floor. floor may be the zero value
// (no floor). raised reports that the floor, not v, decided the price.
func (r Rounding) Round(v, floor decimal.Decimal) (price decimal.Decimal, raised bool) {
	p := r.Nearest(v)
	if p.LessThan(floor) || p.IsNegative() {
		return r.Up(floor), true
	}
	return p, false
}
