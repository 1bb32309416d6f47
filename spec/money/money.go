// Package money holds the money arithmetic of the spec language: percentages
// ("8%"), price adjustments ("+8%", "-1.50"), discounts, currency minor units
// and price-ending rounding ("0.99"). Every value is a shopspring decimal; no
// float ever touches money here.
//
// The parsers in this package read what a user typed, so they are strict and
// their errors say what to write instead.
package money

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
)

var (
	one = decimal.NewFromInt(1)

	percentRe = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?%$`)
	amountRe  = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)
)

// MinorUnits returns the number of decimal places of the currency's minor
// unit: 2 for USD and EUR, 0 for JPY and KRW, 3 for KWD.
func MinorUnits(code string) (int32, error) {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 0, fmt.Errorf("%q is not an ISO 4217 currency code", code)
	}
	scale, _ := currency.Standard.Rounding(u)
	return int32(scale), nil //nolint:gosec // G115: ISO 4217 minor units are 0 to 4
}

// ParsePercent reads an unsigned percentage such as "8%" or "12.5%" and
// returns it as a fraction (0.08, 0.125).
func ParsePercent(s string) (decimal.Decimal, error) {
	if !percentRe.MatchString(s) || s[0] == '+' || s[0] == '-' {
		return decimal.Decimal{}, percentError(s, false)
	}
	return fraction(s)
}

// ParseSignedPercent is ParsePercent that also accepts a leading sign.
func ParseSignedPercent(s string) (decimal.Decimal, error) {
	if !percentRe.MatchString(s) {
		return decimal.Decimal{}, percentError(s, true)
	}
	return fraction(s)
}

func fraction(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(strings.TrimPrefix(strings.TrimSuffix(s, "%"), "+"))
	if err != nil {
		return decimal.Decimal{}, err
	}
	return d.Shift(-2), nil
}

func percentError(s string, signed bool) error {
	example := `"8%"`
	if signed {
		example = `"+8%" or "-5%"`
	}
	compact := strings.Join(strings.Fields(s), "")
	if compact != s && percentRe.MatchString(compact) && (signed || (compact[0] != '+' && compact[0] != '-')) {
		return fmt.Errorf("%q is not a percentage: write it without spaces, as %q", s, compact)
	}
	if !signed && percentRe.MatchString(s) {
		return fmt.Errorf("%q is not a percentage here: write it without a sign, such as %s", s, example)
	}
	return fmt.Errorf("%q is not a percentage: write a number followed directly by %%, such as %s", s, example)
}

// ParseAmount reads a decimal amount such as "2.00", "+2.00" or "-1.50".
func ParseAmount(s string) (decimal.Decimal, error) {
	if !amountRe.MatchString(s) {
		compact := strings.Join(strings.Fields(s), "")
		if compact != s && amountRe.MatchString(compact) {
			return decimal.Decimal{}, fmt.Errorf("%q is not an amount: write it without spaces, as %q", s, compact)
		}
		return decimal.Decimal{}, fmt.Errorf("%q is not an amount: write digits with an optional sign and decimal point, such as \"2.00\"", s)
	}
	return decimal.NewFromString(strings.TrimPrefix(s, "+"))
}

// Adjustment is a price change written as a signed percentage of the price
// ("+8%") or a signed amount in the catalog currency ("-1.50").
type Adjustment struct {
	Percent bool
	// Value is the signed fraction (0.08 for "+8%") or the signed amount.
	Value decimal.Decimal
	// Text is the adjustment as the user wrote it.
	Text string
	// factor is 1 + Value for a percentage, worked out once.
	factor decimal.Decimal
}

// ParseAdjustment reads "+8%", "-5%", "+2.00" or "-1.50". A value without a
// sign ("8%") raises the price.
func ParseAdjustment(s string) (Adjustment, error) {
	if strings.HasSuffix(strings.TrimSpace(s), "%") {
		v, err := ParseSignedPercent(s)
		if err != nil {
			return Adjustment{}, err
		}
		return Adjustment{Percent: true, Value: v, Text: s, factor: one.Add(v)}, nil
	}
	v, err := ParseAmount(s)
	if err != nil {
		return Adjustment{}, fmt.Errorf("%q is not a price adjustment: write a signed percentage such as \"+8%%\" or a signed amount such as \"-1.50\"", s)
	}
	return Adjustment{Value: v, Text: s}, nil
}

// IsZero reports whether the adjustment leaves a price unchanged.
func (a Adjustment) IsZero() bool { return a.Value.IsZero() }

// Apply returns the adjusted price.
func (a Adjustment) Apply(price decimal.Decimal) decimal.Decimal {
	if a.Value.IsZero() {
		return price
	}
	if a.Percent {
		if a.factor.IsZero() { // an Adjustment built without ParseAdjustment
			return price.Mul(one.Add(a.Value))
		}
		return price.Mul(a.factor)
	}
	return price.Add(a.Value)
}

// String writes the adjustment the way the user wrote it.
func (a Adjustment) String() string {
	if a.Text != "" {
		return a.Text
	}
	sign := "+"
	if a.Value.IsNegative() {
		sign = ""
	}
	if a.Percent {
		return sign + a.Value.Shift(2).String() + "%"
	}
	return sign + a.Value.String()
}

// DiscountKind says how a promotion lowers a price.
type DiscountKind int

const (
	// PercentOff lowers the price by a fraction of the regular price.
	PercentOff DiscountKind = iota + 1
	// AmountOff lowers the price by an amount in the catalog currency.
	AmountOff
	// FixedPrice sets the sale price, in the catalog currency.
	FixedPrice
)

// Discount is what a promotion does to a price.
type Discount struct {
	Kind  DiscountKind
	Value decimal.Decimal
}

// ErrNegative is returned for a discount below zero.
var ErrNegative = errors.New("must not be negative")

// ParseDiscount reads "20%" (percent off) or "5.00" (amount off).
func ParseDiscount(s string) (Discount, error) {
	if strings.HasSuffix(strings.TrimSpace(s), "%") {
		v, err := ParsePercent(s)
		if err != nil {
			return Discount{}, err
		}
		if v.GreaterThan(one) {
			return Discount{}, fmt.Errorf("%q is more than 100%%", s)
		}
		return Discount{Kind: PercentOff, Value: v}, nil
	}
	v, err := ParseAmount(s)
	if err != nil {
		return Discount{}, fmt.Errorf("%q is not a discount: write a percentage such as \"20%%\" or an amount off such as \"5.00\"", s)
	}
	if v.IsNegative() {
		return Discount{}, fmt.Errorf("discount %q %w", s, ErrNegative)
	}
	return Discount{Kind: AmountOff, Value: v}, nil
}

// Apply returns the sale price from the unrounded regular price. fx converts
// catalog-currency amounts (amount off, fixed price) to the channel currency.
func (d Discount) Apply(regular, fx decimal.Decimal) decimal.Decimal {
	switch d.Kind {
	case PercentOff:
		return regular.Mul(one.Sub(d.Value))
	case AmountOff:
		return regular.Sub(d.Value.Mul(fx))
	case FixedPrice:
		return d.Value.Mul(fx)
	}
	return regular
}

// Format writes the discount with amounts at the given minor-unit places:
// "-20%", "-5.00", "fixed 29.99".
func (d Discount) Format(scale int32) string {
	switch d.Kind {
	case AmountOff:
		return "-" + d.Value.StringFixed(max(scale, -d.Value.Exponent()))
	case FixedPrice:
		return "fixed " + d.Value.StringFixed(max(scale, -d.Value.Exponent()))
	}
	return d.String()
}

// String writes the discount the way a user writes it.
func (d Discount) String() string {
	switch d.Kind {
	case PercentOff:
		return "-" + d.Value.Shift(2).String() + "%"
	case AmountOff:
		return "-" + d.Value.String()
	case FixedPrice:
		return "fixed " + d.Value.String()
	}
	return "none"
}

// FormatPercent writes a fraction as a percentage: 0.125 is "12.5%".
func FormatPercent(f decimal.Decimal) string {
	return f.Shift(2).String() + "%"
}
