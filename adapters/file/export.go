package file

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// source says what an export is and whose it is.
type source struct {
	name     string // the file as the spec names it, for messages
	format   string // formatCSV, formatJSON or formatJSONL
	channel  string
	currency string // the channel's currency; "" accepts any
}

// maxErrors is how many bad rows one read reports.
const maxErrors = 10

var bom = []byte("\xef\xbb\xbf")

// parseExport reads an export into listings, in the file's order.
func parseExport(src source, data []byte) ([]adapters.Listing, error) {
	data = bytes.TrimPrefix(data, bom)
	switch src.format {
	case formatJSON:
		return parseJSON(src, data)
	case formatJSONL:
		return parseJSONL(src, data)
	default:
		return parseCSV(src, data)
	}
}

// errorList gathers the errors of one read, keeping the first maxErrors.
type errorList struct {
	errs []error
	more int
}

func (e *errorList) add(err error) {
	if len(e.errs) < maxErrors {
		e.errs = append(e.errs, err)
		return
	}
	e.more++
}

func (e *errorList) err() error {
	if e.more > 0 {
		return errors.Join(append(e.errs, fmt.Errorf("and %d more errors", e.more))...)
	}
	return errors.Join(e.errs...)
}

// The columns (and JSON keys) of an export that are not listing fields.
const (
	colSKU       = "sku"
	colQuantity  = "quantity"
	colPrice     = "price"
	colCompareAt = "compare_at"
	colStatus    = "status"
	colCurrency  = "currency"
	keyFields    = "fields"
)

func parseCSV(src source, data []byte) ([]adapters.Listing, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file; an export needs a header row with a sku column", src.name)
	}
	if err != nil {
		return nil, csvSyntaxError(src.name, err)
	}
	names := make([]string, len(header))
	known := map[string]int{}
	type fieldCol struct {
		name string
		col  int
	}
	var fieldCols []fieldCol
	seen := map[string]bool{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		names[i] = name
		if name == "" {
			return nil, fmt.Errorf("%s:1: column %d of the header has no name", src.name, i+1)
		}
		key := strings.ToLower(name)
		switch key {
		case colSKU, colQuantity, colPrice, colCompareAt, colStatus, colCurrency:
			name = key
		}
		if seen[name] {
			return nil, fmt.Errorf("%s:1: column %q appears twice in the header", src.name, name)
		}
		seen[name] = true
		switch name {
		case colSKU, colQuantity, colPrice, colCompareAt, colStatus, colCurrency:
			known[name] = i
		default:
			fieldCols = append(fieldCols, fieldCol{name, i})
		}
	}
	skuCol, ok := known[colSKU]
	if !ok {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = strconv.Quote(n)
		}
		return nil, fmt.Errorf("%s:1: the header has no sku column (it has %s)", src.name, strings.Join(quoted, ", "))
	}
	sort.Slice(fieldCols, func(i, j int) bool { return fieldCols[i].name < fieldCols[j].name })
	col := func(name string) int {
		if i, ok := known[name]; ok {
			return i
		}
		return -1
	}
	qtyCol, priceCol, cmpCol, statusCol, curCol := col(colQuantity), col(colPrice), col(colCompareAt), col(colStatus), col(colCurrency)

	var (
		listings []adapters.Listing
		errs     errorList
		lines    = map[string]int{}
	)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				errs.add(fmt.Errorf("%s:%d: %d columns; the header has %d", src.name, pe.StartLine, len(rec), len(header)))
				continue
			}
			errs.add(csvSyntaxError(src.name, err))
			break
		}
		line, _ := r.FieldPos(0)
		if blank(rec) {
			continue
		}
		bad := func(c int, format string, args ...any) {
			errs.add(fmt.Errorf("%s:%d: column %q: %s", src.name, line, names[c], fmt.Sprintf(format, args...)))
		}
		sku := strings.TrimSpace(rec[skuCol])
		if sku == "" {
			bad(skuCol, "empty; every row needs the channel's SKU")
			continue
		}
		l := adapters.Listing{Key: adapters.Key{Channel: src.channel, SKU: sku}, Currency: src.currency}
		ok := true
		if qtyCol >= 0 {
			if q, msg := parseQuantity(strings.TrimSpace(rec[qtyCol])); msg != "" {
				bad(qtyCol, "%q %s", rec[qtyCol], msg)
				ok = false
			} else {
				l.Quantity = q
			}
		}
		for _, m := range []struct {
			col int
			dst *decimal.NullDecimal
		}{{priceCol, &l.Price}, {cmpCol, &l.CompareAt}} {
			if m.col < 0 {
				continue
			}
			if d, msg := parseAmount(strings.TrimSpace(rec[m.col])); msg != "" {
				bad(m.col, "%q %s", rec[m.col], msg)
				ok = false
			} else {
				*m.dst = d
			}
		}
		if statusCol >= 0 {
			l.Status = strings.TrimSpace(rec[statusCol])
		}
		if curCol >= 0 {
			if msg := checkCurrency(strings.TrimSpace(rec[curCol]), src.currency); msg != "" {
				bad(curCol, "%q %s", rec[curCol], msg)
				ok = false
			}
		}
		for _, f := range fieldCols {
			if v := rec[f.col]; strings.TrimSpace(v) != "" {
				l.Fields = append(l.Fields, adapters.Field{Name: f.name, Value: v})
			}
		}
		if prev, dup := lines[sku]; dup {
			errs.add(fmt.Errorf("%s:%d: SKU %q is listed twice, on lines %d and %d", src.name, line, sku, prev, line))
			continue
		}
		lines[sku] = line
		if ok {
			listings = append(listings, l)
		}
	}
	if errs.errs != nil {
		return nil, errs.err()
	}
	return listings, nil
}

func csvSyntaxError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %w", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseQuantity reads a quantity; "" is null. A non-empty msg says what is
// wrong with s.
func parseQuantity(s string) (q adapters.Quantity, msg string) {
	if s == "" {
		return adapters.Quantity{}, ""
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return adapters.Quantity{}, "is not a whole number"
	}
	return adapters.Quantity{Units: n, Valid: true}, ""
}

// parseAmount reads a price; "" is null. A non-empty msg says what is wrong
// with s.
func parseAmount(s string) (d decimal.NullDecimal, msg string) {
	if s == "" {
		return decimal.NullDecimal{}, ""
	}
	if !isDecimal(s) {
		return decimal.NullDecimal{}, "is not a decimal amount"
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.NullDecimal{}, "is not a decimal amount"
	}
	if v.IsNegative() {
		return decimal.NullDecimal{}, "is negative"
	}
	return decimal.NullDecimal{Decimal: v, Valid: true}, ""
}

// isDecimal reports whether s is an amount as a person or a JSON encoder
// writes one: an optional sign, digits with an optional fraction ("12.99",
// ".5"), and an optional exponent of at most three digits. It keeps out what
// decimal.NewFromString would also take ("1.", "0x1") and exponents so large
// that the amount could not be printed.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	whole := digits()
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else if whole == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if n := digits(); n == 0 || n > 3 {
			return false
		}
	}
	return i == len(s)
}

// checkCurrency says what is wrong with a row's currency, or "".
func checkCurrency(cur, want string) string {
	if cur == "" || want == "" || strings.EqualFold(cur, want) {
		return ""
	}
	return fmt.Sprintf("is not the channel's currency, %s", want)
}

// parseJSON reads an array of listing objects.
func parseJSON(src source, data []byte) ([]adapters.Listing, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	tok, err := dec.ReadToken()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file; a JSON export is an array of listings", src.name)
	}
	if err != nil {
		return nil, jsonSyntaxError(src.name, data, 0, int64(len(data)), err)
	}
	if tok.Kind() != jsontext.KindBeginArray {
		return nil, fmt.Errorf("%s:%d: a JSON export is an array of listings, not %s", src.name, lineAt(data, dec.InputOffset()-1), kindName(tok.Kind()))
	}
	var (
		listings []adapters.Listing
		errs     errorList
		firsts   = map[string]int64{}
		items    = map[string]int{}
	)
	for n := 1; ; n++ {
		if dec.PeekKind() == jsontext.KindEndArray {
			break
		}
		v, err := dec.ReadValue()
		if err != nil {
			errs.add(jsonSyntaxError(src.name, data, 0, int64(len(data)), err))
			break
		}
		start := dec.InputOffset() - int64(len(v))
		l, off, msg := parseItem(src, v)
		if msg != "" {
			errs.add(fmt.Errorf("%s:%d: item %d: %s", src.name, lineAt(data, start+off), n, msg))
			continue
		}
		if prev, dup := firsts[l.SKU]; dup {
			errs.add(fmt.Errorf("%s:%d: item %d: SKU %q is listed twice, on lines %d and %d (items %d and %d)",
				src.name, lineAt(data, start), n, l.SKU, lineAt(data, prev), lineAt(data, start), items[l.SKU], n))
			continue
		}
		firsts[l.SKU], items[l.SKU] = start, n
		listings = append(listings, l)
	}
	if errs.errs == nil {
		if _, err := dec.ReadToken(); err != nil {
			return nil, jsonSyntaxError(src.name, data, 0, int64(len(data)), err)
		}
		if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
			if err == nil {
				return nil, fmt.Errorf("%s:%d: more JSON after the array of listings", src.name, lineAt(data, dec.InputOffset()-1))
			}
			return nil, jsonSyntaxError(src.name, data, 0, int64(len(data)), err)
		}
	}
	if errs.errs != nil {
		return nil, errs.err()
	}
	return listings, nil
}

// parseJSONL reads one listing object per line.
func parseJSONL(src source, data []byte) ([]adapters.Listing, error) {
	var (
		listings []adapters.Listing
		errs     errorList
		lines    = map[string]int{}
		dec      = new(jsontext.Decoder)
	)
	line := 0
	for rest := data; len(rest) > 0; {
		line++
		start := int64(len(data) - len(rest))
		text := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			text, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		dec.Reset(bytes.NewReader(text))
		v, err := dec.ReadValue()
		if err != nil {
			errs.add(jsonSyntaxError(src.name, data, start, start+int64(len(text)), err))
			continue
		}
		if len(bytes.TrimSpace(text[dec.InputOffset():])) > 0 {
			errs.add(fmt.Errorf("%s:%d: unexpected text after the listing object", src.name, line))
			continue
		}
		l, _, msg := parseItem(src, v)
		if msg != "" {
			errs.add(fmt.Errorf("%s:%d: %s", src.name, line, msg))
			continue
		}
		if prev, dup := lines[l.SKU]; dup {
			errs.add(fmt.Errorf("%s:%d: SKU %q is listed twice, on lines %d and %d", src.name, line, l.SKU, prev, line))
			continue
		}
		lines[l.SKU] = line
		listings = append(listings, l)
	}
	if errs.errs != nil {
		return nil, errs.err()
	}
	return listings, nil
}

// jsonSyntaxError describes malformed JSON at its line; base and end are the
// offsets in data of the start and the end of the text the decoder read.
func jsonSyntaxError(name string, data []byte, base, end int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s:%d: the JSON ends too early", name, lineAt(data, end))
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		if errors.Is(se.Err, jsontext.ErrDuplicateName) {
			return fmt.Errorf("%s:%d: key %q appears twice", name, lineAt(data, base+se.ByteOffset), se.JSONPointer.LastToken())
		}
		return fmt.Errorf("%s:%d: malformed JSON: %w", name, lineAt(data, base+se.ByteOffset), se.Err)
	}
	return fmt.Errorf("%s: malformed JSON: %w", name, err)
}

// lineAt returns the line (from 1) of a byte offset in data.
func lineAt(data []byte, off int64) int {
	off = max(0, min(off, int64(len(data))))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

func kindName(k jsontext.Kind) string {
	switch k {
	case jsontext.KindNull:
		return "null"
	case jsontext.KindTrue, jsontext.KindFalse:
		return "a boolean"
	case jsontext.KindString:
		return "a string"
	case jsontext.KindNumber:
		return "a number"
	case jsontext.KindBeginObject:
		return "an object"
	case jsontext.KindBeginArray:
		return "an array"
	}
	return "nothing"
}

// parseItem reads one listing object, which the decoder has already checked
// for syntax. On failure msg says what is wrong and off is the offset in
// item of the value at fault.
func parseItem(src source, item jsontext.Value) (l adapters.Listing, off int64, msg string) {
	if k := item.Kind(); k != jsontext.KindBeginObject {
		return l, 0, fmt.Sprintf("a listing is an object, not %s", kindName(k))
	}
	dec := jsontext.NewDecoder(bytes.NewReader(item))
	if _, err := dec.ReadToken(); err != nil {
		return l, 0, "malformed JSON"
	}
	l.Channel, l.Currency = src.channel, src.currency
	hasSKU := false
	for dec.PeekKind() == jsontext.KindString {
		tok, err := dec.ReadToken()
		if err != nil {
			return l, 0, "malformed JSON"
		}
		key := tok.String()
		keyAt := dec.InputOffset() - 1
		v, err := dec.ReadValue()
		if err != nil {
			return l, 0, "malformed JSON"
		}
		at := dec.InputOffset() - int64(len(v))
		bad := func(format string, args ...any) (adapters.Listing, int64, string) {
			return adapters.Listing{}, at, fmt.Sprintf("key %q: ", key) + fmt.Sprintf(format, args...)
		}
		switch key {
		case colSKU:
			s, ok := jsonString(v)
			if !ok {
				return bad("want a string, not %s", kindName(v.Kind()))
			}
			l.SKU = strings.TrimSpace(s)
			hasSKU = true
		case colQuantity:
			s, ok := jsonScalar(v)
			if !ok {
				return bad("want a whole number, not %s", kindName(v.Kind()))
			}
			q, m := parseQuantity(strings.TrimSpace(s))
			if m != "" {
				return bad("%s %s", v, m)
			}
			l.Quantity = q
		case colPrice, colCompareAt:
			s, ok := jsonScalar(v)
			if !ok {
				return bad("want a decimal amount, not %s", kindName(v.Kind()))
			}
			d, m := parseAmount(strings.TrimSpace(s))
			if m != "" {
				return bad("%s %s", v, m)
			}
			if key == colPrice {
				l.Price = d
			} else {
				l.CompareAt = d
			}
		case colStatus:
			s, ok := jsonString(v)
			if !ok {
				return bad("want a string, not %s", kindName(v.Kind()))
			}
			l.Status = strings.TrimSpace(s)
		case colCurrency:
			s, ok := jsonString(v)
			if !ok {
				return bad("want a string, not %s", kindName(v.Kind()))
			}
			if m := checkCurrency(strings.TrimSpace(s), src.currency); m != "" {
				return bad("%s %s", v, m)
			}
		case keyFields:
			fields, foff, m := parseFields(v)
			if m != "" {
				return adapters.Listing{}, at + foff, m
			}
			l.Fields = fields
		default:
			return adapters.Listing{}, keyAt, fmt.Sprintf("unknown key %q; listing fields go in %q", key, keyFields)
		}
	}
	if !hasSKU || l.SKU == "" {
		return adapters.Listing{}, 0, fmt.Sprintf("key %q: missing or empty; every listing needs the channel's SKU", colSKU)
	}
	return l, 0, ""
}

// parseFields reads the fields object of a listing: string values, lists of
// strings (sorted and joined with ", ") and nulls.
func parseFields(obj jsontext.Value) (fields []adapters.Field, off int64, msg string) {
	switch obj.Kind() {
	case jsontext.KindNull:
		return nil, 0, ""
	case jsontext.KindBeginObject:
	default:
		return nil, 0, fmt.Sprintf("key %q: want an object of listing fields, not %s", keyFields, kindName(obj.Kind()))
	}
	dec := jsontext.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.ReadToken(); err != nil {
		return nil, 0, "malformed JSON"
	}
	for dec.PeekKind() == jsontext.KindString {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, 0, "malformed JSON"
		}
		name := tok.String()
		nameAt := dec.InputOffset() - 1
		if strings.TrimSpace(name) == "" {
			return nil, nameAt, fmt.Sprintf("key %q: a listing field needs a name", keyFields)
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, 0, "malformed JSON"
		}
		at := dec.InputOffset() - int64(len(v))
		value, ok := fieldValue(v)
		if !ok {
			return nil, at, fmt.Sprintf("field %q: want a string or a list of strings, not %s", name, kindName(v.Kind()))
		}
		if strings.TrimSpace(value) != "" {
			fields = append(fields, adapters.Field{Name: name, Value: value})
		}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	return fields, 0, ""
}

// fieldValue reads a listing field's value: a string, a list of strings or
// null ("").
func fieldValue(v jsontext.Value) (string, bool) {
	if v.Kind() != jsontext.KindBeginArray {
		return jsonString(v)
	}
	dec := jsontext.NewDecoder(bytes.NewReader(v))
	if _, err := dec.ReadToken(); err != nil {
		return "", false
	}
	var items []string
	for dec.PeekKind() != jsontext.KindEndArray {
		tok, err := dec.ReadToken()
		if err != nil || tok.Kind() != jsontext.KindString {
			return "", false
		}
		if s := tok.String(); strings.TrimSpace(s) != "" {
			items = append(items, s)
		}
	}
	sort.Strings(items)
	return strings.Join(items, ", "), true
}

// jsonString reads a string or null ("").
func jsonString(v jsontext.Value) (string, bool) {
	switch v.Kind() {
	case jsontext.KindNull:
		return "", true
	case jsontext.KindString:
		b, err := jsontext.AppendUnquote(nil, v)
		return string(b), err == nil
	}
	return "", false
}

// jsonScalar reads a string, a number (its digits as written) or null ("").
func jsonScalar(v jsontext.Value) (string, bool) {
	if v.Kind() == jsontext.KindNumber {
		return string(v), true
	}
	return jsonString(v)
}
