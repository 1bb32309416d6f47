package adapters

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"
	"golang.org/x/time/rate"
)

// Channel is what accord needs of a sales channel. An adapter is built for
// one channel block of the spec (see Kind.Open) and speaks to that channel
// alone.
//
// At this boundary a listing's SKU is the channel's own SKU (the catalog SKU
// unless the channel block names a sku_column); the controller maps it back
// to the catalog SKU.
type Channel interface {
	// Observe reads what the channel lists now and hands it to page a page
	// at a time (at most Limits().PageSize listings per call). With skus
	// empty it reads every listing on the channel, including listings
	// accord does not manage; otherwise only those SKUs, and SKUs the
	// channel does not list are left out. The adapter may reuse the page's
	// slice once page returns: keep the listings, not the slice. page may
	// block (the controller holds a page until the desired state is
	// derived). An error from page stops the read and is returned. Observe
	// paces itself to the channel's read limit.
	Observe(ctx context.Context, skus []string, page func([]Listing) error) error

	// Apply sends one batch of at most Limits().BatchSize changes and returns
	// exactly one Result per change, in order. Values are absolute (set the
	// quantity to 9, never subtract 3), so repeating a change is harmless. A
	// failure of the whole request (throttling, a server error, a timeout)
	// is returned as that error in every Result. Apply does not retry and
	// does not wait for the rate limiter: the caller paces and retries.
	Apply(ctx context.Context, changes []Change) []Result

	// Limits are the channel's documented limits.
	Limits() Limits
}

// Closer is implemented by channels that hold resources (files, locks,
// connections) between calls. The controller closes a channel it opened.
type Closer interface {
	Close() error
}

// Limits describe how a channel may be called.
type Limits struct {
	// BatchSize is the most changes one Apply call may carry.
	BatchSize int
	// PageSize is the most listings one page of Observe carries.
	PageSize int
	// Rate is the documented sustained rate of write requests (Apply calls)
	// per second, and Burst how many may go at once; rate.Inf means no limit.
	Rate  rate.Limit
	Burst int
	// CompareAndSet reports that quantity writes carry the observed quantity
	// (Change.From) and fail with a *ConflictError when the channel's
	// quantity has moved since, instead of overwriting a sale.
	CompareAndSet bool
	// CanCreate reports that a change with Field FieldListing creates a
	// listing that is missing. Channels that cannot create one report it as
	// a missing_listing exception instead.
	CanCreate bool
}

// The fields of a listing that are not listing fields (title, gtin...).
const (
	FieldQuantity  = "quantity"
	FieldPrice     = "price"
	FieldCompareAt = "compare_at"
	// FieldListing is the field of a change that creates a whole listing
	// from Change.Listing.
	FieldListing = "listing"
)

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

// Change sets one field of one listing to an absolute value.
type Change struct {
	Key
	// Field is FieldQuantity, FieldPrice, FieldCompareAt, a listing field's
	// name, or FieldListing to create the listing from Listing.
	Field string
	// From is the value observed before the change; a compare-and-set
	// quantity write sends it as the expected quantity.
	From Value
	// To is the value to set (null for FieldListing).
	To Value
	// Listing is the whole listing to create, for FieldListing.
	Listing *Listing
}

// Result is the outcome of one change. Err is nil when the channel took the
// change; otherwise one of the error types below says what happens next.
type Result struct {
	Err error
}

// ThrottledError is a refusal for the rate limit (HTTP 429): retry after
// RetryAfter (zero when the channel did not say).
type ThrottledError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *ThrottledError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("throttled, retry after %s: %s", e.RetryAfter, e.Message)
	}
	return "throttled: " + e.Message
}

// TemporaryError is a failure that may pass on retry: a server error, a
// timeout (after which the change may or may not have landed), one item of
// a batch that failed for a transient reason.
type TemporaryError struct {
	Message string
	// Timeout reports that the request timed out: the channel may have
	// taken the change.
	Timeout bool
}

func (e *TemporaryError) Error() string { return e.Message }

// RejectedError is a change the channel refused for good (a validation
// error); retrying it cannot help.
type RejectedError struct {
	Reason string
}

func (e *RejectedError) Error() string { return "rejected: " + e.Reason }

// ConflictError is a compare-and-set quantity write whose expected quantity
// no longer holds: the channel's quantity moved (an order) since observe.
// Current is the channel's quantity now, when it said.
type ConflictError struct {
	Current Value
}

func (e *ConflictError) Error() string {
	if e.Current.Set {
		return "quantity changed on the channel since it was observed (now " + e.Current.Text + ")"
	}
	return "quantity changed on the channel since it was observed"
}

// Setup is what an adapter is opened with: the channel block of the spec.
type Setup struct {
	// Name is the channel's name in the spec.
	Name string
	// Currency and Scale are the channel's currency and its minor-unit places.
	Currency string
	Scale    int32
	// SpecDir is the spec directory: relative paths in the config are read
	// from there.
	SpecDir string
	// Config is the channel's config block, and Eval the context to evaluate
	// it in (variables, locals, env()).
	Config hcl.Body
	Eval   *hcl.EvalContext
	// Now is the clock.
	Now func() time.Time
}

// ConfigError is a config block the adapter could not accept; Diags point at
// the attributes.
type ConfigError struct {
	Channel string
	Diags   hcl.Diagnostics
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("channel %s: config: %s", e.Channel, e.Diags.Error())
}
