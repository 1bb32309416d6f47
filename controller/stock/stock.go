// Package stock reads on-hand quantities from the stock sources a spec
// declares. A "file" source is a CSV with the columns sku and on_hand (and,
// optionally, location: rows of one SKU at several locations are summed
// before any buffer applies). A "sandbox" source is the sandbox
// marketplace's warehouse (package sandbox), stocked once from its file.
package stock

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters/sandbox"
	"github.com/accordhq/accord/spec"
)

// Levels holds on-hand units by stock source, then SKU.
type Levels map[string]map[string]int64

// OnHand returns the units of a SKU at a source.
func (l Levels) OnHand(source, sku string) (int64, bool) {
	units, ok := l[source][sku]
	return units, ok
}

// Read reads every stock source that a pool of the spec uses. dir is the
// spec directory: relative file paths are read from there. The files read
// are added to sources for diagnostics.
func Read(ctx context.Context, s *spec.Spec, dir string, sources map[string][]byte) (Levels, hcl.Diagnostics) {
	used := map[string]bool{}
	for _, p := range s.Pools {
		used[p.Source] = true
	}
	levels := Levels{}
	var diags hcl.Diagnostics
	for _, src := range s.StockSources {
		if !used[src.Name] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Stock reading cancelled", Detail: err.Error()})
		}
		switch src.Type {
		case "file":
			path := src.File
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, filepath.FromSlash(path))
			}
			data, err := os.ReadFile(path)
			if err != nil {
				detail := fmt.Sprintf("Reading stock source %q: %v.", src.Name, err)
				if errors.Is(err, os.ErrNotExist) {
					detail = fmt.Sprintf("Stock source %q reads %s, which does not exist. Relative paths are read from the spec directory.", src.Name, path)
				}
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Stock file not found", Detail: detail, Subject: src.FileRange.Ptr()})
				continue
			}
			if sources != nil {
				sources[path] = data
			}
			units, d := ReadCSV(path, data)
			diags = append(diags, d...)
			levels[src.Name] = units
		case "sandbox":
			units, d := readSandbox(ctx, src, dir, sources)
			diags = append(diags, d...)
			levels[src.Name] = units
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Stock source not available",
				Detail:   fmt.Sprintf("Stock source %q is of type %q, which this build of accord cannot read yet.", src.Name, src.Type),
				Subject:  src.Range.Ptr(),
			})
		}
	}
	return levels, diags
}

// readSandbox reads the sandbox warehouse of a "sandbox" source. The first
// time, a warehouse never stocked is seeded from the source's file (its
// opening stock); from then on orders (`accord sandbox sell`) draw it down.
func readSandbox(ctx context.Context, src *spec.StockSource, dir string, sources map[string][]byte) (map[string]int64, hcl.Diagnostics) {
	fail := func(err error) (map[string]int64, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Sandbox warehouse not readable",
			Detail: fmt.Sprintf("Stock source %q: %v.", src.Name, err), Subject: src.Range.Ptr()}}
	}
	sbDir := src.Dir
	if sbDir == "" {
		sbDir = sandbox.DefaultDir
	}
	sbDir = filepath.FromSlash(sbDir)
	if !filepath.IsAbs(sbDir) {
		sbDir = filepath.Join(dir, sbDir)
	}
	w, err := sandbox.OpenWarehouse(ctx, sbDir)
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
	path := src.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, filepath.FromSlash(path))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Opening stock not found",
			Detail: fmt.Sprintf("Stock source %q stocks the sandbox warehouse from %s: %v.", src.Name, path, err), Subject: src.FileRange.Ptr()}}
	}
	if sources != nil {
		sources[path] = data
	}
	units, diags := ReadCSV(path, data)
	if diags.HasErrors() {
		return nil, diags
	}
	if _, err := w.Seed(ctx, units); err != nil {
		return fail(err)
	}
	levels, _, err = w.Levels(ctx)
	if err != nil {
		return fail(err)
	}
	return levels, diags
}

// ReadCSV reads a stock CSV: a header row with sku and on_hand, and
// optionally location. name is the file's display name for diagnostics.
func ReadCSV(name string, data []byte) (map[string]int64, hcl.Diagnostics) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	lines := lineStarts(data)
	at := func(line, col, n int) *hcl.Range {
		start := 0
		if line-1 < len(lines) && line > 0 {
			start = lines[line-1]
		}
		b := start + col - 1
		if n < 1 {
			n = 1
		}
		return &hcl.Range{Filename: name, Start: hcl.Pos{Line: line, Column: col, Byte: b}, End: hcl.Pos{Line: line, Column: col + n, Byte: b + n}}
	}
	errAt := func(rng *hcl.Range, summary, detail string) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, hcl.Diagnostics{errAt(at(1, 1, 1), "Empty stock file", fmt.Sprintf("%s has no header row; a stock file needs the columns sku and on_hand.", name))}
		}
		return nil, hcl.Diagnostics{parseErr(name, err, at)}
	}
	skuCol, qtyCol, locCol := -1, -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "sku":
			skuCol = i
		case "on_hand":
			qtyCol = i
		case "location":
			locCol = i
		}
	}
	if skuCol < 0 || qtyCol < 0 {
		return nil, hcl.Diagnostics{errAt(at(1, 1, len(strings.Join(header, ","))), "Missing stock columns", fmt.Sprintf("%s needs the columns sku and on_hand in its header row; it has %s.", name, strings.Join(header, ", ")))}
	}
	units := map[string]int64{}
	firstLine := map[string]int{}
	var diags hcl.Diagnostics
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				line, _ := r.FieldPos(0)
				diags = append(diags, errAt(at(line, 1, 1), "Wrong number of columns", fmt.Sprintf("Line %d of %s has %d fields; the header has %d.", line, name, len(rec), len(header))))
				continue
			}
			diags = append(diags, parseErr(name, err, at))
			break
		}
		sku := strings.TrimSpace(rec[skuCol])
		if sku == "" {
			if strings.TrimSpace(strings.Join(rec, "")) == "" {
				continue
			}
			line, col := r.FieldPos(skuCol)
			diags = append(diags, errAt(at(line, col, 1), "Missing SKU", fmt.Sprintf("Line %d of %s has no sku.", line, name)))
			continue
		}
		raw := strings.TrimSpace(rec[qtyCol])
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			line, col := r.FieldPos(qtyCol)
			diags = append(diags, errAt(at(line, col, len(rec[qtyCol])), "Invalid on_hand", fmt.Sprintf("on_hand of %s is %q, which is not a whole number of units.", sku, rec[qtyCol])))
			continue
		}
		line, _ := r.FieldPos(0)
		if prev, dup := firstLine[sku]; dup && locCol < 0 {
			diags = append(diags, errAt(at(line, 1, len(sku)), "Duplicate SKU", fmt.Sprintf("%s appears on lines %d and %d of %s. Without a location column a SKU has one row; add location to sum several.", sku, prev, line, name)))
			continue
		}
		if _, seen := firstLine[sku]; !seen {
			firstLine[sku] = line
		}
		units[sku] += n
	}
	return units, diags
}

func parseErr(name string, err error, at func(line, col, n int) *hcl.Range) *hcl.Diagnostic {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Malformed CSV", Detail: fmt.Sprintf("%s line %d, column %d: %v.", name, pe.Line, pe.Column, pe.Err), Subject: at(pe.Line, pe.Column, 1)}
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Malformed CSV", Detail: fmt.Sprintf("Reading %s: %v.", name, err)}
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}
