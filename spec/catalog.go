package spec

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"golang.org/x/text/unicode/norm"

	"github.com/accordhq/accord/spec/funcs"
)

// knownColumns are the catalog columns the spec language gives a meaning;
// every other column lands in product.attributes.
var knownColumns = []string{"sku", "price", "cost", "map", "msrp", "title", "brand", "category", "description", "gtin", "parent"}

func isKnownColumn(name string) bool {
	for _, k := range knownColumns {
		if k == name {
			return true
		}
	}
	return false
}

// productSite is where a SKU was defined, for duplicate reports.
type productSite struct {
	rng hcl.Range
}

// decodeCatalog reads every catalog file and product block into the sorted
// product list. Rows are read straight from CSV, never through HCL: a 100k
// row catalog must load in milliseconds.
func (l *loader) decodeCatalog(catalogs, products []*hcl.Block) {
	l.brokenSKUs = map[string]bool{}
	seen := map[string]productSite{}
	attrKeys := map[string]bool{}
	add := func(p *Product) {
		if prev, dup := seen[p.SKU]; dup {
			l.errAt(p.Range, "Duplicate SKU", fmt.Sprintf("SKU %q is defined twice: here and at %s. Each SKU is one product; remove one of them.", p.SKU, rangeLine(prev.rng)))
			l.brokenSKUs[p.SKU] = true
			return
		}
		seen[p.SKU] = productSite{rng: p.Range}
		for k := range p.Attributes {
			attrKeys[k] = true
		}
		l.spec.Products = append(l.spec.Products, p)
	}
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "file", Required: true}}}
	for _, b := range catalogs {
		c := l.content(b.Body, schema)
		a := c.Attributes["file"]
		if a == nil {
			continue
		}
		name, ok := l.str(a)
		if !ok {
			continue
		}
		data, ok := l.readDataFile(a, name, "Catalog file")
		if !ok {
			continue
		}
		display := l.displayName(name)
		l.addSource(display, name, data)
		rows, broken, diags := ReadCatalogCSV(display, data)
		l.diags = append(l.diags, diags...)
		for _, sku := range broken {
			l.brokenSKUs[sku] = true
		}
		for _, p := range rows {
			add(p)
		}
	}
	for _, b := range products {
		if p := l.decodeProduct(b); p != nil {
			add(p)
		}
	}
	sort.Slice(l.spec.Products, func(i, j int) bool { return l.spec.Products[i].SKU < l.spec.Products[j].SKU })
	for i, p := range l.spec.Products {
		l.spec.productIdx[p.SKU] = i
		delete(l.brokenSKUs, p.SKU)
	}
	l.spec.ProductAttributes = sortedKeys(attrKeys)
}

// readDataFile reads a data file named by an attribute, reporting a missing
// or unreadable file at the attribute.
func (l *loader) readDataFile(a *hcl.Attribute, name, what string) ([]byte, bool) {
	clean, err := funcs.CleanPath(name)
	if err != nil {
		l.errAt(a.Expr.Range(), "Invalid file path", capitalize(err.Error())+".")
		return nil, false
	}
	data, err := fs.ReadFile(l.fsys, clean)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			l.errAt(a.Expr.Range(), what+" not found", fmt.Sprintf("%s does not exist. Paths are relative to the spec directory %s.", l.displayName(clean), l.dirName()))
		} else {
			l.errAt(a.Expr.Range(), "Cannot read "+strings.ToLower(what), fmt.Sprintf("Reading %s: %v.", l.displayName(clean), err))
		}
		return nil, false
	}
	return data, true
}

// csvFile locates CSV fields in the source for diagnostics.
type csvFile struct {
	name       string
	data       []byte
	lineStarts []int
}

func newCSVFile(name string, data []byte) *csvFile {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &csvFile{name: name, data: data, lineStarts: starts}
}

// rangeOf returns the range of a field that starts at line:col and is n
// bytes long.
func (f *csvFile) rangeOf(line, col, n int) hcl.Range {
	start := 0
	if line-1 < len(f.lineStarts) {
		start = f.lineStarts[line-1]
	}
	b := start + col - 1
	if n < 1 {
		n = 1
	}
	return hcl.Range{
		Filename: f.name,
		Start:    hcl.Pos{Line: line, Column: col, Byte: b},
		End:      hcl.Pos{Line: line, Column: col + n, Byte: b + n},
	}
}

func (f *csvFile) lineRange(line int) hcl.Range {
	if line-1 >= len(f.lineStarts) {
		line = len(f.lineStarts)
	}
	start := f.lineStarts[line-1]
	end := len(f.data)
	if line < len(f.lineStarts) {
		end = f.lineStarts[line] - 1
	}
	if end > start && f.data[end-1] == '\r' {
		end--
	}
	return hcl.Range{
		Filename: f.name,
		Start:    hcl.Pos{Line: line, Column: 1, Byte: start},
		End:      hcl.Pos{Line: line, Column: 1 + end - start, Byte: end},
	}
}

func csvErr(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng.Ptr()}
}

// ReadCatalogCSV reads a catalog CSV with a header row. name is the file's
// display name, used in diagnostics. It returns the products that read
// cleanly, the SKUs of rows that did not, and a diagnostic for every bad
// row: a bad row is never skipped in silence.
func ReadCatalogCSV(name string, data []byte) ([]*Product, []string, hcl.Diagnostics) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	f := newCSVFile(name, data)
	var diags hcl.Diagnostics
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, hcl.Diagnostics{csvErr(f.lineRange(1), "Empty catalog file", fmt.Sprintf("%s has no header row; a catalog needs at least the columns sku and price.", name))}
		}
		return nil, nil, hcl.Diagnostics{csvParseErr(f, err)}
	}
	cols := make([]string, len(header))
	index := map[string]int{}
	for i, h := range header {
		// Normalised as HCL normalises map keys, so that
		// product.attributes.X finds the column however it was typed.
		h = norm.NFC.String(strings.TrimSpace(h))
		if lower := strings.ToLower(h); isKnownColumn(lower) {
			h = lower
		}
		line, col := r.FieldPos(i)
		if h == "" {
			diags = append(diags, csvErr(f.rangeOf(line, col, 1), "Empty column name", fmt.Sprintf("Column %d of %s has no name in the header row.", i+1, name)))
			continue
		}
		if prev, dup := index[h]; dup {
			diags = append(diags, csvErr(f.rangeOf(line, col, len(header[i])), "Duplicate column", fmt.Sprintf("Column %q appears twice in the header (columns %d and %d).", h, prev+1, i+1)))
			continue
		}
		cols[i] = h
		index[h] = i
	}
	for _, req := range []string{"sku", "price"} {
		if _, ok := index[req]; !ok {
			diags = append(diags, csvErr(f.lineRange(1), "Missing catalog column", fmt.Sprintf("%s has no %q column; a catalog needs sku and price.%s", name, req, didYouMean(req, sortedKeys(index)))))
		}
	}
	if diags.HasErrors() {
		return nil, nil, diags
	}
	var products []*Product
	var broken []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				line, _ := r.FieldPos(0)
				diags = append(diags, csvErr(f.lineRange(line), "Wrong number of columns", fmt.Sprintf("Line %d of %s has %d fields; the header has %d.", line, name, len(rec), len(header))))
				if i, ok := index["sku"]; ok && i < len(rec) && rec[i] != "" {
					broken = append(broken, strings.TrimSpace(rec[i]))
				}
				continue
			}
			diags = append(diags, csvParseErr(f, err))
			break
		}
		if isBlank(rec) {
			continue
		}
		p, ok, rowDiags := catalogRow(f, r, rec, cols, index)
		diags = append(diags, rowDiags...)
		if ok {
			products = append(products, p)
		} else if p.SKU != "" {
			broken = append(broken, p.SKU)
		}
	}
	return products, broken, diags
}

func isBlank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func csvParseErr(f *csvFile, err error) *hcl.Diagnostic {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return csvErr(f.rangeOf(pe.Line, pe.Column, 1), "Malformed CSV", fmt.Sprintf("%s line %d, column %d: %v. Fields with commas or quotes must be quoted, and quotes inside doubled.", f.name, pe.Line, pe.Column, pe.Err))
	}
	return csvErr(f.lineRange(1), "Malformed CSV", fmt.Sprintf("Reading %s: %v.", f.name, err))
}

// catalogRow decodes one CSV record.
func catalogRow(f *csvFile, r *csv.Reader, rec, cols []string, index map[string]int) (*Product, bool, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	line, _ := r.FieldPos(0)
	p := &Product{Range: f.lineRange(line)}
	cell := func(name string) (string, hcl.Range) {
		i := index[name]
		l, c := r.FieldPos(i)
		return rec[i], f.rangeOf(l, c, len(rec[i]))
	}
	sku, skuRng := cell("sku")
	p.SKU = strings.TrimSpace(sku)
	if p.SKU == "" {
		diags = append(diags, csvErr(skuRng, "Missing SKU", fmt.Sprintf("Line %d of %s has no sku.", line, f.name)))
		return p, false, diags
	}
	money := func(col string, required bool) decimal.NullDecimal {
		i, ok := index[col]
		if !ok {
			return decimal.NullDecimal{}
		}
		raw, rng := cell(col)
		_ = i
		v := strings.TrimSpace(raw)
		if v == "" {
			if required {
				diags = append(diags, csvErr(rng, "Missing "+col, fmt.Sprintf("SKU %s has no %s.", p.SKU, col)))
			}
			return decimal.NullDecimal{}
		}
		d, err := decimal.NewFromString(v)
		if err != nil || strings.ContainsAny(v, "eE") {
			diags = append(diags, csvErr(rng, "Invalid "+col, fmt.Sprintf("The %s of SKU %s is %q, which is not a number. Write digits and a decimal point only, such as 39.99.", col, p.SKU, raw)))
			return decimal.NullDecimal{}
		}
		if d.IsNegative() || (col == "price" && d.IsZero()) {
			bound := "zero or more"
			if col == "price" {
				bound = "greater than zero"
			}
			diags = append(diags, csvErr(rng, "Invalid "+col, fmt.Sprintf("The %s of SKU %s is %s; it must be %s.", col, p.SKU, v, bound)))
			return decimal.NullDecimal{}
		}
		return decimal.NullDecimal{Decimal: d, Valid: true}
	}
	price := money("price", true)
	p.Cost = money("cost", false)
	p.MAP = money("map", false)
	p.MSRP = money("msrp", false)
	if diags.HasErrors() {
		return p, false, diags
	}
	p.Price = price.Decimal
	for i, col := range cols {
		if col == "" {
			continue
		}
		v := rec[i]
		switch col {
		case "sku", "price", "cost", "map", "msrp":
		case "title":
			p.Title = v
		case "brand":
			p.Brand = v
		case "category":
			p.Category = v
		case "description":
			p.Description = v
		case "gtin":
			p.GTIN = v
		case "parent":
			p.Parent = v
		default:
			if p.Attributes == nil {
				p.Attributes = make(map[string]string, len(cols)-len(index)+1)
			}
			p.Attributes[col] = v
		}
	}
	return p, true, diags
}

// decodeProduct decodes an inline product block.
func (l *loader) decodeProduct(b *hcl.Block) *Product {
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "price", Required: true}, {Name: "cost"}, {Name: "map"}, {Name: "msrp"},
		{Name: "title"}, {Name: "brand"}, {Name: "category"}, {Name: "description"},
		{Name: "gtin"}, {Name: "parent"}, {Name: "attributes"},
	}}
	p := &Product{SKU: b.Labels[0], Range: b.DefRange}
	if strings.TrimSpace(p.SKU) != p.SKU || p.SKU == "" {
		l.errAt(b.LabelRanges[0], "Invalid SKU", fmt.Sprintf("SKU %q is empty or has surrounding spaces.", p.SKU))
		return nil
	}
	c := l.content(b.Body, schema)
	ok := true
	// The catalog is read before locals, which may use products: a product
	// block can use var and functions, never local or products.
	for name, a := range c.Attributes {
		for _, tr := range a.Expr.Variables() {
			if root := tr.RootName(); root == "local" || root == "products" {
				l.errAt(tr.SourceRange(), "Product uses "+root, fmt.Sprintf("The attributes of product %q cannot use %s: products are read before locals, because locals may use products. Use a variable (var.NAME) or write the value in the product block.", p.SKU, root))
				delete(c.Attributes, name)
				ok = false
				break
			}
		}
	}
	amount := func(name string, positive bool) decimal.NullDecimal {
		a := c.Attributes[name]
		if a == nil {
			return decimal.NullDecimal{}
		}
		d, good := l.number(a)
		if !good {
			ok = false
			return decimal.NullDecimal{}
		}
		if d.IsNegative() || (positive && d.IsZero()) {
			bound := "zero or more"
			if positive {
				bound = "greater than zero"
			}
			l.errAt(a.Expr.Range(), "Invalid "+name, fmt.Sprintf("The %s of SKU %s is %s; it must be %s.", name, p.SKU, d.StringFixed(max(2, -d.Exponent())), bound))
			ok = false
			return decimal.NullDecimal{}
		}
		return decimal.NullDecimal{Decimal: d, Valid: true}
	}
	price := amount("price", true)
	p.Cost = amount("cost", false)
	p.MAP = amount("map", false)
	p.MSRP = amount("msrp", false)
	text := func(name string) string {
		a := c.Attributes[name]
		if a == nil {
			return ""
		}
		s, good := l.str(a)
		if !good {
			ok = false
		}
		return s
	}
	p.Title, p.Brand, p.Category = text("title"), text("brand"), text("category")
	p.Description, p.GTIN, p.Parent = text("description"), text("gtin"), text("parent")
	if a := c.Attributes["attributes"]; a != nil {
		if v, good := l.value(a); good {
			m, err := convert.Convert(v, cty.Map(cty.String))
			if err != nil {
				l.typeError(a, "a map of strings, such as { color = \"black\" }")
				ok = false
			} else {
				p.Attributes = map[string]string{}
				for k, e := range m.AsValueMap() {
					if e.IsNull() {
						continue
					}
					p.Attributes[k] = e.AsString()
				}
			}
		} else {
			ok = false
		}
	}
	if !ok || !price.Valid {
		l.brokenSKUs[p.SKU] = true
		return nil
	}
	p.Price = price.Decimal
	return p
}
