package edit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// Drift is a value a channel holds that the spec does not derive, as a
// drift exception records it.
type Drift struct {
	Channel, SKU string
	// Field is "price", "compare_at", "quantity" or a listing field's name.
	Field string
	// Observed is the channel's value, Expected the spec's.
	Observed, Expected adapters.Value
}

// Adoption is a drift kept in the spec: the file the edit changes and what
// the edited spec derives.
type Adoption struct {
	File File
	// Listing is the adopted listing as the edited spec derives it.
	Listing derive.Listing
	// Also are the values of the SKU on other channels that the edit moves
	// too: a parity rule or max_deviation that follows the adopted price.
	Also []Move
}

// Move is a derived value an edit changes.
type Move struct {
	Channel, SKU, Field string
	From, To            adapters.Value
}

func (m Move) String() string {
	return fmt.Sprintf("%s %s %s %s -> %s", m.Channel, m.SKU, m.Field, m.From, m.To)
}

var (
	// ErrUnsupported is matched (errors.Is) by the errors about a drift
	// the spec language has no way to keep.
	ErrUnsupported = errors.New("the language cannot keep this value")
	// ErrNotKept is matched by the errors about an edit that would not
	// derive the observed value, or would change more than that value.
	ErrNotKept = errors.New("the edited spec would not keep this value")
)

// refusal is an error of one of the kinds above whose message says it
// all, without the kind's words in front.
type refusal struct {
	kind error
	msg  string
}

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return r.kind }

func refuse(kind error, format string, args ...any) error {
	return &refusal{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// LoadError is an edited spec that would not load; Sources holds its files
// as edited, for the diagnostics' snippets.
type LoadError struct {
	Diags   hcl.Diagnostics
	Sources map[string][]byte
}

func (e *LoadError) Error() string {
	return "the spec would not load after the edit: " + e.Diags.Error()
}

// Keep writes d's observed value into base, the spec loaded from fsys with
// opts, loads the edited spec from an overlay of fsys (nothing is written)
// and derives the SKU at the instant at with both, and returns the edit
// only when:
//
//   - the edited spec loads;
//   - it derives the observed value for (d.Channel, d.SKU, d.Field);
//   - it changes nothing else about that listing;
//   - it brings no error finding for the SKU that the spec did not have.
//
// What the edit changes on the SKU's other channels (a parity limit that
// follows the price) is returned in Adoption.Also, for a person to see.
//
// The language keeps a price or compare-at price per (channel, SKU): the
// price matrix's override. It has no per-SKU quantity (pools derive it
// from stock) nor per-SKU listing field, and Keep says so with an error
// matching ErrUnsupported. An edit that would not keep the value matches
// ErrNotKept; an edited spec that does not load is a *LoadError.
func Keep(ctx context.Context, base *spec.Spec, fsys fs.FS, opts spec.Options, d Drift, at time.Time) (*Adoption, error) {
	if err := supported(d); err != nil {
		return nil, err
	}
	ch, _, ok := base.Channel(d.Channel)
	if !ok {
		return nil, refuse(ErrNotKept, "channel %q is no longer in the spec", d.Channel)
	}
	if _, _, ok := base.Product(d.SKU); !ok {
		return nil, refuse(ErrNotKept, "SKU %q is no longer in the catalog", d.SKU)
	}
	price, err := decimal.NewFromString(d.Observed.Text)
	if err != nil || !price.IsPositive() {
		return nil, refuse(ErrUnsupported, "the observed %s %q is not a price above zero", d.Field, d.Observed.Text)
	}
	if price.Exponent() < -ch.Scale && !price.Equal(price.Round(ch.Scale)) {
		return nil, refuse(ErrUnsupported, "the observed %s %s has more decimal places than %s allows (%d)", d.Field, d.Observed.Text, ch.Currency, ch.Scale)
	}
	file, err := PriceOverride(base, d.Channel, d.SKU, price)
	if err != nil {
		return nil, err
	}
	edited, diags := spec.Load(Overlay(fsys, file.Name, file.After), opts)
	if diags.HasErrors() {
		return nil, &LoadError{Diags: diags, Sources: sourcesOf(edited)}
	}
	dopts := derive.Options{At: at, SKUs: []string{d.SKU}, NoFields: true, Trace: true}
	before, err := derive.Desired(ctx, base, dopts)
	if err != nil {
		return nil, err
	}
	after, err := derive.Desired(ctx, edited, dopts)
	if err != nil {
		return nil, err
	}
	key := adapters.Key{Channel: d.Channel, SKU: d.SKU}
	was, hadIt := listingOf(before, key)
	now, hasIt := listingOf(after, key)
	if !hasIt {
		return nil, refuse(ErrNotKept, "the spec derives no listing of %s on %s", d.SKU, d.Channel)
	}
	if got := valueOf(now, d.Field, ch.Scale); !sameValue(got, d.Observed) {
		return nil, refuse(ErrNotKept, "%s", mismatch(d, now, got, after.Traces[key], at))
	}
	if hadIt {
		for _, f := range []string{adapters.FieldPrice, adapters.FieldCompareAt} {
			if f == d.Field {
				continue
			}
			if from, to := valueOf(was, f, ch.Scale), valueOf(now, f, ch.Scale); !sameValue(from, to) {
				why := ""
				if now.Promotion != "" {
					why = fmt.Sprintf(" (promotion %q derives the sale price from the regular price that the override sets)", now.Promotion)
				}
				return nil, refuse(ErrNotKept, "the override would also move the %s of %s on %s from %s to %s%s",
					f, d.SKU, d.Channel, from, to, why)
			}
		}
	}
	if errs := newErrors(before.Findings, after.Findings); len(errs) > 0 {
		return nil, refuse(ErrNotKept, "the edited spec has %s for %s: %s", plural(len(errs), "new error"), d.SKU, strings.Join(errs, "; "))
	}
	return &Adoption{File: *file, Listing: now, Also: moves(base, before, after, key)}, nil
}

// supported refuses, before anything is read, drift the language cannot
// keep.
func supported(d Drift) error {
	switch d.Field {
	case adapters.FieldPrice, adapters.FieldCompareAt:
	case adapters.FieldQuantity:
		return refuse(ErrUnsupported, "adopt supports price and compare_at drift; a drifted quantity cannot be kept in the spec: pools derive every listed quantity from stock (on hand, safety stock, buffers, reserves), and the language has no quantity per SKU. Correct the stock, or the pool's rules, instead")
	case adapters.FieldListing, adapters.FieldStatus, "":
		return refuse(ErrUnsupported, "adopt supports price and compare_at drift, not %q", d.Field)
	default:
		return refuse(ErrUnsupported, "adopt supports price and compare_at drift; a drifted %s cannot be expressed per SKU in the language yet: the listing block sets a field for every product of a channel from one expression. Change the catalog or the listing's expression by hand, or acknowledge the exception", d.Field)
	}
	if !d.Observed.Set {
		return refuse(ErrUnsupported, "the channel shows no %s for %s on %s; an override sets a price, it cannot remove one", d.Field, d.SKU, d.Channel)
	}
	return nil
}

// mismatch says why the edited spec derives got rather than the observed
// value: a promotion, or the steps after the override.
func mismatch(d Drift, l derive.Listing, got adapters.Value, trace []derive.Step, at time.Time) string {
	when := at.Format(time.RFC3339)
	switch {
	case d.Field == adapters.FieldCompareAt && l.Promotion == "":
		return fmt.Sprintf("no promotion applies to %s on %s at %s, so the spec lists no compare-at price, override or not", d.SKU, d.Channel, when)
	case d.Field == adapters.FieldPrice && l.Promotion != "":
		return fmt.Sprintf("promotion %q applies to %s on %s at %s: its price is the sale price, derived from the regular price an override sets, so the spec would list %s, not %s; a sale price cannot be kept as an override",
			l.Promotion, d.SKU, d.Channel, when, got, d.Observed)
	}
	var steps []string
	seen := false
	for _, s := range trace {
		if s.Topic != "price" {
			continue
		}
		if seen && s.Label != "final" {
			steps = append(steps, s.Label)
		}
		seen = seen || s.Label == "override"
	}
	msg := fmt.Sprintf("with the override, the spec derives %s %s for %s on %s, not the observed %s", d.Field, got, d.SKU, d.Channel, d.Observed)
	if len(steps) > 0 {
		msg += fmt.Sprintf(" (after the override: %s; accord explain %s --channel %s shows each step)", strings.Join(steps, ", "), d.SKU, d.Channel)
	}
	return msg
}

// newErrors lists the error findings of after that before did not have,
// by code, channel and field.
func newErrors(before, after []derive.Finding) []string {
	key := func(f derive.Finding) string { return f.Code + "\x00" + f.Channel + "\x00" + f.Field }
	had := map[string]bool{}
	for _, f := range before {
		if f.Severity == derive.Error {
			had[key(f)] = true
		}
	}
	var out []string
	for _, f := range after {
		if f.Severity == derive.Error && !had[key(f)] {
			where := f.SKU
			if f.Channel != "" {
				where = f.Channel + " " + f.SKU
			}
			out = append(out, fmt.Sprintf("%s on %s: %s", f.Code, where, f.Message))
		}
	}
	return out
}

// moves lists the price and compare-at changes on the SKU's listings other
// than key.
func moves(s *spec.Spec, before, after *derive.Result, key adapters.Key) []Move {
	var out []Move
	for _, now := range after.Listings {
		if now.Key == key {
			continue
		}
		was, ok := listingOf(before, now.Key)
		if !ok {
			continue
		}
		ch, _, _ := s.Channel(now.Channel)
		for _, f := range []string{adapters.FieldPrice, adapters.FieldCompareAt} {
			if from, to := valueOf(was, f, ch.Scale), valueOf(now, f, ch.Scale); !sameValue(from, to) {
				out = append(out, Move{Channel: now.Channel, SKU: now.SKU, Field: f, From: from, To: to})
			}
		}
	}
	return out
}

func listingOf(r *derive.Result, k adapters.Key) (derive.Listing, bool) {
	for _, l := range r.Listings {
		if l.Key == k {
			return l, true
		}
	}
	return derive.Listing{}, false
}

func valueOf(l derive.Listing, field string, scale int32) adapters.Value {
	v, _ := adapters.ValueOf(&l.Listing, adapters.KindOf(field), field, scale)
	return v
}

// sameValue compares two money values by amount ("30" is "30.00"), or
// two texts exactly.
func sameValue(a, b adapters.Value) bool {
	if a.Set != b.Set {
		return false
	}
	if !a.Set || a.Text == b.Text {
		return true
	}
	x, errX := decimal.NewFromString(a.Text)
	y, errY := decimal.NewFromString(b.Text)
	return errX == nil && errY == nil && x.Equal(y)
}

func sourcesOf(s *spec.Spec) map[string][]byte {
	if s == nil {
		return nil
	}
	return s.Sources
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
