// Package stock reads on-hand quantities from the stock sources a spec's
// pools use, each through its kind in the registry (adapters.StockKind:
// "file", "sandbox", and kinds to come such as channel-reported stock or a
// CSV at a URL). It owns which sources are read and how their levels are
// kept; how a kind reads is the kind's.
//
// Reading stock never changes the spec: the files read are collected in a
// map of their own for the diagnostics' snippets.
package stock

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/spec"
)

// Levels holds on-hand units by stock source, then SKU.
type Levels map[string]map[string]int64

// OnHand returns the units of a SKU at a source.
func (l Levels) OnHand(source, sku string) (int64, bool) {
	units, ok := l[source][sku]
	return units, ok
}

// Kinds is what Read needs of the registry.
type Kinds interface {
	LookupStock(name string) (adapters.StockKind, bool)
}

// Read reads every stock source that a pool of s uses, through its kind.
// dir is the spec directory: relative file paths are read from there. It
// returns the levels and the files read (by their names in diagnostics),
// for rendering the diagnostics' snippets.
func Read(ctx context.Context, kinds Kinds, s *spec.Spec, dir string, now func() time.Time) (Levels, map[string][]byte, hcl.Diagnostics) {
	used := map[string]bool{}
	for _, p := range s.Pools {
		used[p.Source] = true
	}
	levels := Levels{}
	sources := map[string][]byte{}
	var diags hcl.Diagnostics
	for _, src := range s.StockSources {
		if !used[src.Name] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, sources, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Stock reading cancelled", Detail: err.Error()})
		}
		kind, ok := kinds.LookupStock(src.Type)
		if !ok || kind.Read == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Stock source not available",
				Detail:   fmt.Sprintf("Stock source %q is of type %q, which this build of accord cannot read yet.", src.Name, src.Type),
				Subject:  src.Range.Ptr(),
			})
			continue
		}
		units, d := kind.Read(ctx, adapters.StockSetup{
			Name: src.Name, SpecDir: dir, File: src.File, Dir: src.Dir,
			Range: src.Range, FileRange: src.FileRange, Sources: sources, Now: now,
		})
		diags = append(diags, d...)
		levels[src.Name] = units
	}
	return levels, sources, diags
}

// AsOf returns, for each stock source of s whose kind can tell
// (adapters.StockKind.AsOf), when the levels it reads were true; a source
// left out is true when read.
func AsOf(kinds Kinds, s *spec.Spec, dir string) map[string]time.Time {
	out := map[string]time.Time{}
	for _, src := range s.StockSources {
		kind, ok := kinds.LookupStock(src.Type)
		if !ok || kind.AsOf == nil {
			continue
		}
		if at, ok := kind.AsOf(adapters.StockSetup{Name: src.Name, SpecDir: dir, File: src.File, Dir: src.Dir, Range: src.Range, FileRange: src.FileRange}); ok {
			out[src.Name] = at
		}
	}
	return out
}
