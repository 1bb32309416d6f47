// Package adapters holds the vocabulary every channel adapter shares with the
// rest of accord: the key of a listing (channel and catalog SKU), the listing
// itself as accord derives or observes it, and the registry of channel types
// a build of accord knows.
//
// Each channel kind lives in its own sub-package and imports only this one.
// This package imports none of them: the command layer assembles a Registry
// from the kinds it links in (see package builtin).
package adapters

import (
	"sort"

	"github.com/shopspring/decimal"
)

// Key names one listing: a channel of the spec and a catalog SKU. A channel's
// own SKU (an FBA seller SKU, say) appears only inside its adapter.
type Key struct {
	Channel string
	SKU     string
}

// Field is one listing field (title, description, gtin...) and its value.
type Field struct {
	Name  string
	Value string
}

// Quantity is a listed quantity that may be unmanaged: Valid is false where
// accord does not manage the quantity of a listing (it is in no pool).
type Quantity struct {
	Units int64
	Valid bool
}

// Listing is what one channel shows, or should show, for one SKU. Prices are
// in the listing's currency; a zero Valid means unmanaged (or, for CompareAt,
// no strike-through price).
type Listing struct {
	Key
	Quantity  Quantity
	Price     decimal.NullDecimal
	CompareAt decimal.NullDecimal
	Currency  string
	// Fields is sorted by name; use Field to read one.
	Fields []Field
	// Status is the channel's listing status ("active", "inactive"...), ""
	// where it does not apply (a desired listing).
	Status string
}

// Field returns the value of the named field and whether the listing has it.
func (l *Listing) Field(name string) (string, bool) {
	i := sort.Search(len(l.Fields), func(i int) bool { return l.Fields[i].Name >= name })
	if i < len(l.Fields) && l.Fields[i].Name == name {
		return l.Fields[i].Value, true
	}
	return "", false
}
