package adapters

import (
	"context"
	"fmt"
	"sort"
)

// Kind describes one channel type (the `type` of a spec's channel block).
type Kind struct {
	// Name is the value of `type` in the spec: "shopify", "amazon", ...
	Name string
	// Summary says in a few words what the kind talks to.
	Summary string
	// CanCreate reports whether the channel can create a missing listing
	// from its fields (Shopify can; Amazon needs a full product type).
	CanCreate bool
	// Open builds the adapter for one channel block; nil when the kind is
	// known to the spec language but its adapter is not in this build yet.
	Open func(ctx context.Context, setup Setup) (Channel, error)
}

// Registry is the set of channel kinds a build of accord knows. It is a
// value built by the command layer, never package state.
type Registry struct {
	kinds map[string]Kind
}

// NewRegistry returns a registry of the given kinds. Two kinds with one name
// is a programming error and panics at start-up.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{kinds: make(map[string]Kind, len(kinds))}
	for _, k := range kinds {
		if _, dup := r.kinds[k.Name]; dup {
			panic(fmt.Sprintf("adapters: channel kind %q registered twice", k.Name))
		}
		r.kinds[k.Name] = k
	}
	return r
}

// Lookup returns the kind of the given name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Names returns the names of every kind, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
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
		return nil, fmt.Errorf("channel %s: type %q has no adapter in this build of accord yet", setup.Name, kind)
	}
	return k.Open(ctx, setup)
}
