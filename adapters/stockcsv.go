package adapters

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// ReadStockCSV reads a stock CSV: a header row with sku and on_hand, and
// optionally location (rows of one SKU at several locations are summed). name
// is the file's display name for diagnostics, which point at the line and
// column of every bad row; a bad row is never skipped silently.
func ReadStockCSV(name string, data []byte) (map[string]int64, hcl.Diagnostics) {
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
