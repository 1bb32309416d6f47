package adapters

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"
)

// ChangeKind is what a change sets. It is a type, not a field name, so that
// a listing field can never be taken for a stock or price write.
type ChangeKind uint8

// The kinds of change.
const (
	// KindQuantity sets the listed quantity (absolute units).
	KindQuantity ChangeKind = iota + 1
	// KindPrice sets the selling price.
	KindPrice
	// KindCompareAt sets (or, to null, removes) the strike-through price.
	KindCompareAt
	// KindField sets (or, to null, removes) the listing field Change.Field.
	KindField
	// KindCreate creates a missing listing from Change.Listing.
	KindCreate
)

// The names accord gives the kinds in plans, the journal, the audit log
// and exceptions. They, and FieldStatus, are reserved: no listing field may
// take one of them (the spec's validate refuses it with the line).
const (
	FieldQuantity  = "quantity"
	FieldPrice     = "price"
	FieldCompareAt = "compare_at"
	FieldListing   = "listing"
	// FieldStatus is a listing's status on its channel: observed, never
	// set by a change.
	FieldStatus = "status"
)

// ReservedFields are the names no listing field may take.
var ReservedFields = []string{FieldQuantity, FieldPrice, FieldCompareAt, FieldStatus, FieldListing}

// Reserved reports whether name is reserved (see ReservedFields).
func Reserved(name string) bool {
	switch name {
	case FieldQuantity, FieldPrice, FieldCompareAt, FieldStatus, FieldListing:
		return true
	}
	return false
}

// KindOf returns the kind of a change to the named field: a reserved name's
// kind, else KindField. FieldStatus is not something a change sets: it
// returns 0.
func KindOf(name string) ChangeKind {
	for k := KindQuantity; k <= KindCreate; k++ {
		if k != KindField && NameOf(k, "") == name {
			return k
		}
	}
	if name == FieldStatus {
		return 0
	}
	return KindField
}

// String is the kind's name: "quantity", "price", "compare_at", "field" or
// "create".
func (k ChangeKind) String() string {
	switch k {
	case KindQuantity:
		return FieldQuantity
	case KindPrice:
		return FieldPrice
	case KindCompareAt:
		return FieldCompareAt
	case KindField:
		return "field"
	case KindCreate:
		return "create"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Change sets one thing of one listing to an absolute value.
type Change struct {
	Key
	Kind ChangeKind
	// Field is the listing field's name, for KindField; empty otherwise.
	Field string
	// From is the value observed before the change; a compare-and-set
	// quantity write sends it as the expected quantity.
	From Value
	// To is the value to set (null for KindCreate; for KindCompareAt and
	// KindField, null removes it).
	To Value
	// Listing is the whole listing to create, for KindCreate.
	Listing *Listing
	// Ref is the adapter's reference to the listing, as observed (empty
	// for a listing to create, or when the adapter keeps none).
	Ref Ref
	// Sale is set on a price or compare-at change made while a promotion
	// sets the listing's price: the whole sale, for a channel that
	// schedules a sale itself (Amazon's discounted_price) and sets both
	// prices at once, whichever of them changed. Nil for a regular price.
	Sale *Sale
}

// Sale is a promotion's price on one listing: Price from Starts until Ends
// (starts <= t < ends), and Regular (the listing's compare-at) outside it.
type Sale struct {
	Promotion      string
	Price, Regular decimal.Decimal
	Starts, Ends   time.Time
}

// Name is the change's name in plans, the journal and the audit log: the
// reserved name of its kind, or the listing field's name.
func (c *Change) Name() string { return NameOf(c.Kind, c.Field) }

// NameOf is the name of a change of kind k (to field, for KindField).
func NameOf(k ChangeKind, field string) string {
	switch k {
	case KindQuantity:
		return FieldQuantity
	case KindPrice:
		return FieldPrice
	case KindCompareAt:
		return FieldCompareAt
	case KindCreate:
		return FieldListing
	}
	return field
}

// Value is a field's value in its canonical text: a quantity as a decimal
// integer, money as a decimal string with the currency's minor-unit places
// ("43.90"), a listing field as its text with whitespace normalised. The
// zero Value is null: an unmanaged quantity, no compare-at price, a field
// the listing lacks.
type Value struct {
	Text string
	Set  bool
}

// Null is the null Value.
var Null = Value{}

// Units returns the Value of a quantity.
func Units(n int64) Value { return Value{Text: strconv.FormatInt(n, 10), Set: true} }

// Money returns the Value of an amount at the given minor-unit places; an
// invalid NullDecimal is null.
func Money(d decimal.NullDecimal, scale int32) Value {
	if !d.Valid {
		return Null
	}
	return Value{Text: d.Decimal.StringFixed(scale), Set: true}
}

// Text returns the Value of a listing field, with its whitespace normalised
// (see NormalizeText).
func Text(s string) Value { return Value{Text: NormalizeText(s), Set: true} }

// QuantityValue returns the Value of a listing's quantity.
func QuantityValue(q Quantity) Value {
	if !q.Valid {
		return Null
	}
	return Units(q.Units)
}

// Int returns the Value as a quantity.
func (v Value) Int() (int64, error) {
	if !v.Set {
		return 0, errors.New("null quantity")
	}
	return strconv.ParseInt(v.Text, 10, 64)
}

// Decimal returns the Value as an amount.
func (v Value) Decimal() (decimal.NullDecimal, error) {
	if !v.Set {
		return decimal.NullDecimal{}, nil
	}
	d, err := decimal.NewFromString(v.Text)
	if err != nil {
		return decimal.NullDecimal{}, err
	}
	return decimal.NullDecimal{Decimal: d, Valid: true}, nil
}

// String renders the value for people: null as "(none)".
func (v Value) String() string {
	if !v.Set {
		return "(none)"
	}
	return v.Text
}

// ValueOf returns what an observed listing shows for a change of kind k (to
// field, for KindField) in canonical form, and whether the listing exists
// (l != nil). For KindCreate the value is null.
func ValueOf(l *Listing, k ChangeKind, field string, scale int32) (Value, bool) {
	if l == nil {
		return Null, false
	}
	switch k {
	case KindQuantity:
		return QuantityValue(l.Quantity), true
	case KindPrice:
		return Money(l.Price, scale), true
	case KindCompareAt:
		return Money(l.CompareAt, scale), true
	case KindCreate:
		return Null, true
	}
	if v, ok := l.Field(field); ok {
		return Text(v), true
	}
	return Null, true
}

// NormalizeText is how listing field values are compared: leading and
// trailing white space dropped, every run of white space (spaces, tabs,
// line breaks, non-breaking spaces) made one space. Channels commonly
// rewrite white space in titles and descriptions, and a difference in it
// alone is not drift.
func NormalizeText(s string) string {
	clean := true
	prevSpace := true
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (prevSpace || r != ' ') {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean && !prevSpace {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
