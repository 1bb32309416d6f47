package money

import (
	"fmt"
	"math"
	"math/bits"
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
	// periodExp is log10 of the period: dividing by the period is an exact
	// shift, never a division rounded to some precision.
	periodExp int32
	none      bool
	text      string
	// endMinor and periodMinor are the ending and period in minor units,
	// for the integer fast path.
	endMinor, periodMinor int64
}

// maxEndingDigits bounds the whole digits of a price ending: no price in
// any currency has more.
const maxEndingDigits = 15

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
	places := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		places = len(s) - i - 1
	}
	if places > int(scale) {
		return Rounding{}, fmt.Errorf("price ending %q has %d decimal places, more than the currency's %d", s, places, scale)
	}
	intDigits := len(strings.TrimLeft(strings.SplitN(s, ".", 2)[0], "0"))
	if intDigits > maxEndingDigits {
		return Rounding{}, fmt.Errorf("price ending %q has more whole digits than any price (at most %d)", s, maxEndingDigits)
	}
	r := Rounding{
		Scale:     scale,
		ending:    e,
		period:    decimal.New(1, int32(intDigits)),
		periodExp: int32(intDigits),
		text:      s,
	}
	// The fast path needs the ending and period as whole minor units.
	if endMinor, ok := exactMinor(r.ending, scale); ok {
		if periodMinor, ok := exactMinor(r.period, scale); ok {
			r.endMinor, r.periodMinor = endMinor, periodMinor
		}
	}
	return r, nil
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
		if m, ok := toMinor(v, r.Scale, halfUp); ok {
			return decimal.New(m, -r.Scale)
		}
		return v.Round(r.Scale)
	}
	return r.Down(v)
}

// Down returns the largest valid price at or below v (for "none", v cut down
// to the minor unit). It may be negative when v is below the first ending.
func (r Rounding) Down(v decimal.Decimal) decimal.Decimal {
	if m, ok := toMinor(v, r.Scale, floorMode); ok {
		if r.none {
			return decimal.New(m, -r.Scale)
		}
		if r.periodMinor > 0 {
			if n, ok := floorDiv(m-r.endMinor, r.periodMinor); ok {
				if p, ok := mulAdd(n, r.periodMinor, r.endMinor); ok {
					return decimal.New(p, -r.Scale)
				}
			}
		}
	}
	return r.downDecimal(v)
}

// downDecimal is Down in decimal arithmetic: the reference the integer
// path must agree with, and the path for values beyond int64.
func (r Rounding) downDecimal(v decimal.Decimal) decimal.Decimal {
	if r.none {
		return v.RoundFloor(r.Scale)
	}
	n := v.Sub(r.ending).Shift(-r.periodExp).Floor().Shift(r.periodExp)
	return n.Add(r.ending)
}

// Up returns the smallest valid price at or above v (for "none", v raised to
// the minor unit). It is never below the first valid price.
func (r Rounding) Up(v decimal.Decimal) decimal.Decimal {
	if m, ok := toMinor(v, r.Scale, ceilMode); ok {
		if r.none {
			return decimal.New(m, -r.Scale)
		}
		if r.periodMinor > 0 {
			if n, ok := ceilDiv(m-r.endMinor, r.periodMinor); ok {
				n = max(n, 0)
				if p, ok := mulAdd(n, r.periodMinor, r.endMinor); ok {
					return decimal.New(p, -r.Scale)
				}
			}
		}
	}
	return r.upDecimal(v)
}

// upDecimal is Up in decimal arithmetic, the reference for the integer path.
func (r Rounding) upDecimal(v decimal.Decimal) decimal.Decimal {
	if r.none {
		return v.RoundCeil(r.Scale)
	}
	n := v.Sub(r.ending).Shift(-r.periodExp).Ceil()
	if n.IsNegative() {
		n = decimal.Zero
	}
	return n.Shift(r.periodExp).Add(r.ending)
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

// The integer path. Rounding runs twice for each of hundreds of thousands
// of listings, and in big-integer decimals each step allocates. Every value
// here is an exact count of minor units held in an int64; whenever a value
// does not fit, the functions report false and the decimal path runs.

type minorMode int

const (
	floorMode minorMode = iota
	ceilMode
	halfUp // half away from zero, as decimal.Round
)

var pow10 = [19]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// toMinor returns v x 10^scale rounded by mode, when it fits an int64.
func toMinor(v decimal.Decimal, scale int32, mode minorMode) (int64, bool) {
	if v.NumDigits() > 18 {
		return 0, false
	}
	c := v.CoefficientInt64()
	e := int64(v.Exponent()) + int64(scale)
	if e >= 0 {
		if e > 18 {
			return 0, false
		}
		p := pow10[e]
		if c > math.MaxInt64/p || c < math.MinInt64/p {
			return 0, false
		}
		return c * p, true
	}
	if -e > 18 {
		return 0, false
	}
	p := pow10[-e]
	q, rem := c/p, c%p
	switch mode {
	case floorMode:
		if rem < 0 {
			q--
		}
	case ceilMode:
		if rem > 0 {
			q++
		}
	case halfUp:
		if rem >= 0 && rem >= p-rem {
			q++
		} else if rem < 0 && -rem >= p+rem {
			q--
		}
	}
	return q, true
}

// exactMinor returns v x 10^scale when it is a whole number in an int64.
func exactMinor(v decimal.Decimal, scale int32) (int64, bool) {
	f, ok1 := toMinor(v, scale, floorMode)
	c, ok2 := toMinor(v, scale, ceilMode)
	return f, ok1 && ok2 && f == c
}

func floorDiv(a, b int64) (int64, bool) {
	if b <= 0 {
		return 0, false
	}
	q := a / b
	if a%b < 0 {
		q--
	}
	return q, true
}

func ceilDiv(a, b int64) (int64, bool) {
	if b <= 0 {
		return 0, false
	}
	q := a / b
	if a%b > 0 {
		q++
	}
	return q, true
}

// mulAdd returns n*p + e, reporting an overflow.
func mulAdd(n, p, e int64) (int64, bool) {
	if p < 0 {
		return 0, false
	}
	// abs64 of math.MinInt64 stays negative, and its conversion to uint64 is
	// exactly its magnitude, 2^63; p is not negative.
	hi, lo := bits.Mul64(uint64(abs64(n)), uint64(p)) //nolint:gosec // G115: see above
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	m := int64(lo)
	if n < 0 {
		m = -m
	}
	sum := m + e
	if (e > 0 && sum < m) || (e < 0 && sum > m) {
		return 0, false
	}
	return sum, true
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Equal reports whether a and b are the same amount. decimal.Equal rescales
// through big integers when the two have different exponents (a derived
// 43.9 against an observed 43.90); amounts that fit an int64 at the finer
// of the two scales compare as integers instead.
func Equal(a, b decimal.Decimal) bool {
	ea, eb := a.Exponent(), b.Exponent()
	if ea != eb {
		scale := -min(ea, eb)
		if ma, ok := exactMinor(a, scale); ok {
			if mb, ok := exactMinor(b, scale); ok {
				return ma == mb
			}
		}
	}
	return a.Equal(b)
}
