package edit

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/shopspring/decimal"
	"github.com/zclconf/go-cty/cty"

	"github.com/accordhq/accord/spec"
)

// PriceOverride sets the regular price of sku on channel to price, in the
// channel's currency, through the price matrix that holds the SKU: the
// price of its override for (channel, sku) when it has one, else a new
// override block at the end of the matrix (after its last override). The
// price is written with the currency's minor-unit places ("30.00").
func PriceOverride(s *spec.Spec, channel, sku string, price decimal.Decimal) (*File, error) {
	ch, _, ok := s.Channel(channel)
	if !ok {
		return nil, fmt.Errorf("channel %q is not in the spec", channel)
	}
	_, i, ok := s.Product(sku)
	if !ok {
		return nil, fmt.Errorf("SKU %q is not in the catalog", sku)
	}
	var m *spec.PriceMatrix
	for _, pm := range s.Matrices {
		if pm.SKUs.Contains(i) {
			m = pm
			break
		}
	}
	if m == nil {
		return nil, refuse(ErrUnsupported, "SKU %q is in no price_matrix, so the spec does not set its price", sku)
	}
	text := price.StringFixed(ch.Scale)
	if o, has := m.Overrides[channel][sku]; has {
		return setOverridePrice(s, m, o, text)
	}
	return addOverride(s, m, channel, sku, text)
}

// setOverridePrice rewrites the price expression of an existing override.
func setOverridePrice(s *spec.Spec, m *spec.PriceMatrix, o spec.Override, price string) (*File, error) {
	f, body, err := parsed(s, o.Range.Filename)
	if err != nil {
		return nil, err
	}
	mb := findBlock(body, "price_matrix", m.Name)
	if mb == nil {
		return nil, fmt.Errorf("price matrix %q is not in %s", m.Name, o.Range.Filename)
	}
	var ob *hclsyntax.Block
	for _, b := range mb.Body.Blocks {
		if b.Type == "override" && b.DefRange().Start.Byte == o.Range.Start.Byte {
			ob = b
		}
	}
	attr := (*hclsyntax.Attribute)(nil)
	if ob != nil {
		attr = ob.Body.Attributes["price"]
	}
	if attr == nil {
		return nil, fmt.Errorf("the override at %s:%d has no price to set", o.Range.Filename, o.Range.Start.Line)
	}
	rng := attr.Expr.Range()
	old := string(f.Before[rng.Start.Byte:rng.End.Byte])
	after := make([]byte, 0, len(f.Before)+len(price))
	after = append(after, f.Before[:rng.Start.Byte]...)
	after = append(after, price...)
	after = append(after, f.Before[rng.End.Byte:]...)
	f.After = after
	f.Line = attr.SrcRange.Start.Line
	f.What = fmt.Sprintf("the price of the override of %s on %s in price matrix %q, from %s to %s", o.SKU, o.Channel, m.Name, old, price)
	return f, nil
}

// addOverride writes a new override block into the matrix's block.
func addOverride(s *spec.Spec, m *spec.PriceMatrix, channel, sku, price string) (*File, error) {
	f, body, err := parsed(s, m.Range.Filename)
	if err != nil {
		return nil, err
	}
	mb := findBlock(body, "price_matrix", m.Name)
	if mb == nil {
		return nil, fmt.Errorf("price matrix %q is not in %s", m.Name, m.Range.Filename)
	}
	src := f.Before
	nl := "\n"
	if bytes.Contains(src, []byte("\r\n")) {
		nl = "\r\n"
	}
	indent := innerIndent(src, mb)
	block := overrideBlock(channel, sku, price, indent, nl)

	var pos int
	var text string
	var last *hclsyntax.Block
	for _, b := range mb.Body.Blocks {
		if b.Type == "override" && (last == nil || b.CloseBraceRange.End.Byte > last.CloseBraceRange.End.Byte) {
			last = b
		}
	}
	closing := mb.CloseBraceRange.Start.Byte
	lineStart := startOfLine(src, closing)
	empty := len(mb.Body.Attributes) == 0 && len(mb.Body.Blocks) == 0
	switch {
	case last != nil:
		// After the last override: overrides read as one list.
		pos, text = endOfLine(src, last.CloseBraceRange.End.Byte), nl+block
	case isBlank(src[lineStart:closing]):
		// Before the closing brace, alone on its line.
		pos, text = lineStart, block
		if !empty {
			text = nl + block
		}
	case empty && isBlank(src[mb.OpenBraceRange.End.Byte:closing]):
		// price_matrix "x" {}
		pos, text = closing, nl+block
	default:
		return nil, fmt.Errorf("price matrix %q at %s:%d is written on one line: write it over several lines (accord fmt keeps them) and try again",
			m.Name, m.Range.Filename, m.Range.Start.Line)
	}
	after := make([]byte, 0, len(src)+len(text))
	after = append(after, src[:pos]...)
	after = append(after, text...)
	after = append(after, src[pos:]...)
	f.After = after
	f.Line = bytes.Count(after[:pos+len(text)-len(block)], []byte("\n")) + 1
	f.What = fmt.Sprintf("an override of %s on %s in price matrix %q", sku, channel, m.Name)
	return f, nil
}

// overrideBlock is an override block laid out as accord fmt lays it out,
// each line indented by indent and ended by nl.
func overrideBlock(channel, sku, price, indent, nl string) string {
	f := hclwrite.NewEmptyFile()
	b := f.Body().AppendNewBlock("override", nil).Body()
	b.SetAttributeValue("sku", cty.StringVal(sku))
	b.SetAttributeValue("channel", cty.StringVal(channel))
	b.SetAttributeRaw("price", hclwrite.Tokens{{Type: hclsyntax.TokenNumberLit, Bytes: []byte(price)}})
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(hclwrite.Format(f.Bytes())), "\n"), "\n") {
		if line != "" {
			out.WriteString(indent)
		}
		out.WriteString(line)
		out.WriteString(nl)
	}
	return out.String()
}

// parsed returns the file a spec read under the display name, ready to be
// edited, and its syntax tree.
func parsed(s *spec.Spec, display string) (*File, *hclsyntax.Body, error) {
	src, ok := s.Sources[display]
	if !ok {
		return nil, nil, fmt.Errorf("the spec has no file %s", display)
	}
	hf, diags := hclsyntax.ParseConfig(src, display, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, nil, fmt.Errorf("%s does not parse: %s", display, diags.Error())
	}
	body, ok := hf.Body.(*hclsyntax.Body)
	if !ok {
		return nil, nil, fmt.Errorf("%s is not in HCL native syntax", display)
	}
	return &File{Name: s.Files[display], Display: display, Before: src}, body, nil
}

// findBlock finds the top-level block of a type and label.
func findBlock(body *hclsyntax.Body, typ, label string) *hclsyntax.Block {
	for _, b := range body.Blocks {
		if b.Type == typ && len(b.Labels) == 1 && b.Labels[0] == label {
			return b
		}
	}
	return nil
}

// innerIndent is the indentation of the block's first line inside it, or
// the block's own indentation and two spaces when it is empty.
func innerIndent(src []byte, b *hclsyntax.Block) string {
	first := -1
	for _, a := range b.Body.Attributes {
		if first < 0 || a.SrcRange.Start.Byte < first {
			first = a.SrcRange.Start.Byte
		}
	}
	for _, inner := range b.Body.Blocks {
		if first < 0 || inner.TypeRange.Start.Byte < first {
			first = inner.TypeRange.Start.Byte
		}
	}
	if first >= 0 {
		if ind := src[startOfLine(src, first):first]; isBlank(ind) {
			return string(ind)
		}
	}
	own := b.TypeRange.Start.Byte
	return string(leading(src[startOfLine(src, own):own])) + "  "
}

func startOfLine(src []byte, pos int) int {
	return bytes.LastIndexByte(src[:pos], '\n') + 1
}

// endOfLine is the position just after the newline that ends pos's line,
// or the end of src.
func endOfLine(src []byte, pos int) int {
	if i := bytes.IndexByte(src[pos:], '\n'); i >= 0 {
		return pos + i + 1
	}
	return len(src)
}

func isBlank(b []byte) bool {
	return len(bytes.TrimLeft(b, " \t")) == 0
}

func leading(b []byte) []byte {
	return b[:len(b)-len(bytes.TrimLeft(b, " \t"))]
}
