package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters"
)

// StockKind is the stock-source kind `type = "sandbox"`: the sandbox
// warehouse, whose on-hand quantities orders (`accord sandbox sell`) draw
// down. The first time, a warehouse never stocked is seeded from the
// source's file, its opening stock.
var StockKind = adapters.StockKind{
	Name:    "sandbox",
	Summary: "the sandbox warehouse, seeded once from an opening-stock CSV",
	Read:    readStock,
}

func readStock(ctx context.Context, src adapters.StockSetup) (map[string]int64, hcl.Diagnostics) {
	fail := func(err error) (map[string]int64, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Sandbox warehouse not readable",
			Detail: fmt.Sprintf("Stock source %q: %v.", src.Name, err), Subject: src.Range.Ptr()}}
	}
	dir := src.Dir
	if dir == "" {
		dir = DefaultDir
	}
	w, err := OpenWarehouse(ctx, resolve(src.SpecDir, dir))
	if err != nil {
		return fail(err)
	}
	defer w.Close() //nolint:errcheck // read-only use: Close cannot lose data
	levels, stocked, err := w.Levels(ctx)
	if err != nil {
		return fail(err)
	}
	if stocked || src.File == "" {
		return levels, nil
	}
	path := resolve(src.SpecDir, src.File)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Opening stock not found",
			Detail: fmt.Sprintf("Stock source %q stocks the sandbox warehouse from %s: %v.", src.Name, path, err), Subject: src.FileRange.Ptr()}}
	}
	if src.Sources != nil {
		src.Sources[path] = data
	}
	units, diags := adapters.ReadStockCSV(path, data)
	if diags.HasErrors() {
		return nil, diags
	}
	if _, err := w.Seed(ctx, units); err != nil {
		return fail(err)
	}
	if levels, _, err = w.Levels(ctx); err != nil {
		return fail(err)
	}
	return levels, diags
}

// resolve reads a path as written in the spec: relative to the spec
// directory.
func resolve(specDir, path string) string {
	path = filepath.FromSlash(path)
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(specDir, path)
}
