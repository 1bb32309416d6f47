// Package adapters is the channel contract (version 2) and the vocabulary
// every channel adapter shares with the rest of accord: the key of a listing,
// the listing itself as accord derives or observes it, the typed changes
// accord sends, the failures an adapter reports (typed by what happens
// next), the budgets that pace calls, and the registries of channel kinds and
// stock-source kinds a build of accord knows.
//
// Each channel kind lives in its own sub-package and imports only this one.
// This package imports none of them: the command layer assembles the
// registries from the kinds it links in (see package builtin), and every
// adapter proves it keeps the contract by running the conformance suite in
// package adaptertest.
//
// # Which SKU crosses the boundary
//
// Inside accord (plans, the store, the audit log, exceptions) a listing is
// keyed by the catalog SKU. Across this contract, in both directions, the SKU
// is the channel's own: the catalog SKU unless the spec's channel block names
// a sku_column (an FBA seller SKU, say). The controller maps one to the other
// on each side of every call; an adapter never sees a catalog SKU it was not
// given as the channel's own.
package adapters

import (
	"sort"

	"github.com/shopspring/decimal"
)

// Key names one listing: a channel of the spec and a SKU (the catalog SKU
// inside accord, the channel's own SKU across the channel contract).
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

// Ref is an adapter's reference to a listing on its channel: the channel's
// own identifiers that a write needs and the SKU alone does not give
// (Shopify's variant, inventory item and location IDs; Amazon's product type
// and marketplace). It is opaque to accord: the adapter sets it on the
// listings it observes, and accord hands it back unchanged on every change to
// that listing, keeps it in saved plans and in the state store (with the last
// applied value), so that a plan applied by another process or a recovery
// after kill -9 still has it. Keep it short and free of secrets.
type Ref string

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
	// Ref is the adapter's reference to the listing, on observed listings.
	Ref Ref
	// Identifiers are the catalog's product identifiers ("asin", "gtin"),
	// sorted by name, on a listing to create: a channel that lists an offer
	// on a product it already knows (Amazon, by ASIN) finds the product by
	// them. Empty on observed listings; never compared.
	Identifiers []Field
}

// Identifier returns the named product identifier, "" when the listing has
// none.
func (l *Listing) Identifier(name string) string {
	for _, f := range l.Identifiers {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// Field returns the value of the named field and whether the listing has it.
func (l *Listing) Field(name string) (string, bool) {
	i := sort.Search(len(l.Fields), func(i int) bool { return l.Fields[i].Name >= name })
	if i < len(l.Fields) && l.Fields[i].Name == name {
		return l.Fields[i].Value, true
	}
	return "", false
}
