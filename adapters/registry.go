package adapters

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
)

// Kind describes one channel type (the `type` of a spec's channel block).
type Kind struct {
	// Name is the value of `type` in the spec: "shopify", "amazon", ...
	Name string
	// Summary says in a few words what the kind talks to.
	Summary string
	// Config is the schema of the kind's config block. validate checks
	// every channel's config against it, attribute names and types, with
	// file:line and did-you-mean, without evaluating env() (no credentials
	// are needed to validate). Nil only for a kind whose adapter is not in
	// this build yet: its config block is not checked.
	Config hcldec.Spec
	// Secrets are the config attributes that may only be given through
	// env(): validate refuses one written into the spec, at its line, so
	// that no credential is ever committed.
	Secrets []string
	// Open builds the adapter for one channel block; nil when the kind is
	// known to the spec language but its adapter is not in this build yet.
	Open func(ctx context.Context, setup Setup) (Channel, error)
	// Profile is what accord knows of the marketplace without calling it.
	Profile Profile
}

// Profile is what accord knows of a channel type's marketplace without
// calling it: what accord report's playbook says of the channel. It lives
// with the kind, so that the words about a marketplace are kept beside the
// adapter that talks to it.
type Profile struct {
	// Marketplace names it for people: "Amazon", "TikTok Shop".
	Marketplace string
	// PricingPolicy says in plain words the marketplace's rule on prices
	// that parity protects, or why there is none.
	PricingPolicy string
	// Requires lists the catalog columns ("gtin", "brand") a listing must
	// have, or the marketplace refuses or suppresses it.
	Requires []string
	// TitleLimit is the marketplace's limit on a title in characters (0
	// when accord knows none).
	TitleLimit int
	// ComparesQuantities says the adapter's quantity writes are
	// compare-and-set (its channels are QuantityCAS). The conformance suite
	// holds it to what the adapter does.
	ComparesQuantities bool
}

// StockKind describes one kind of stock source (the `type` of a
// stock_source block): where on-hand quantities come from.
type StockKind struct {
	// Name is the value of `type` in the spec: "file", "sandbox", ...
	Name string
	// Summary says in a few words what the kind reads.
	Summary string
	// Read returns the on-hand units by catalog SKU. Problems with the
	// data (a bad row, a missing file) are diagnostics pointing at the
	// source block or the file; files read are added to setup.Sources for
	// their snippets.
	Read func(ctx context.Context, setup StockSetup) (map[string]int64, hcl.Diagnostics)
	// AsOf says when the levels Read gives were true: a file's
	// modification time, when the system that writes it exported them.
	// Orders the channels report after it are not in those levels yet, and
	// the daemon takes them off until a newer read shows them. Nil: the
	// levels are true when read (the source is the live system).
	AsOf func(setup StockSetup) (time.Time, bool)
}

// StockSetup is one stock_source block, for its kind's Read.
type StockSetup struct {
	// Name is the source's name in the spec.
	Name string
	// SpecDir is the spec directory: relative paths are read from there.
	SpecDir string
	// File and Dir are the block's file and dir attributes as written.
	File, Dir string
	// Range is the block's, FileRange the file attribute's, for diagnostics.
	Range, FileRange hcl.Range
	// Sources collects the files read, by the name diagnostics give them.
	Sources map[string][]byte
	// Now is the clock.
	Now func() time.Time
}

// Registry is the set of channel kinds and stock-source kinds a build of
// accord knows. It is a value built by the command layer, never package
// state.
type Registry struct {
	kinds map[string]Kind
	stock map[string]StockKind
}

// NewRegistry returns a registry of the given channel kinds. Two kinds with
// one name is a programming error and panics at start-up.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{kinds: make(map[string]Kind, len(kinds)), stock: map[string]StockKind{}}
	for _, k := range kinds {
		if _, dup := r.kinds[k.Name]; dup {
			panic(fmt.Sprintf("adapters: channel kind %q registered twice", k.Name))
		}
		r.kinds[k.Name] = k
	}
	return r
}

// WithStock adds stock-source kinds and returns r. Two with one name panic.
func (r *Registry) WithStock(kinds ...StockKind) *Registry {
	for _, k := range kinds {
		if _, dup := r.stock[k.Name]; dup {
			panic(fmt.Sprintf("adapters: stock kind %q registered twice", k.Name))
		}
		r.stock[k.Name] = k
	}
	return r
}

// Lookup returns the channel kind of the given name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Names returns the names of every channel kind, sorted.
func (r *Registry) Names() []string { return sortedKeys(r.kinds) }

// LookupStock returns the stock-source kind of the given name.
func (r *Registry) LookupStock(name string) (StockKind, bool) {
	k, ok := r.stock[name]
	return k, ok
}

// StockNames returns the names of every stock-source kind, sorted.
func (r *Registry) StockNames() []string { return sortedKeys(r.stock) }

func sortedKeys[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Open opens the adapter for a channel of the given kind.
func (r *Registry) Open(ctx context.Context, kind string, setup Setup) (Channel, error) {
	k, ok := r.kinds[kind]
	if !ok {
		return nil, fmt.Errorf("channel %s: unknown type %q", setup.Name, kind)
	}
	if k.Open == nil {
		return nil, fmt.Errorf("channel %s: type %q: %w", setup.Name, kind, ErrUnavailable)
	}
	return k.Open(ctx, setup)
}
