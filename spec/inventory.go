package spec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/accordhq/accord/spec/money"
)

// skuSet resolves a list of SKUs. Unknown SKUs are a warning (a partner's
// list may name products this merchant does not sell); they are skipped.
func (l *loader) skuSet(a *hcl.Attribute, where string) (*SKUSet, bool) {
	skus, ok := l.strList(a)
	if !ok {
		return nil, false
	}
	set := &SKUSet{Has: make([]bool, len(l.spec.Products)), Range: a.Expr.Range()}
	var unknown []string
	for _, sku := range skus {
		i, found := l.spec.productIdx[sku]
		if !found {
			if !l.brokenSKUs[sku] {
				unknown = append(unknown, sku)
			}
			continue
		}
		if !set.Has[i] {
			set.Has[i] = true
			set.Count++
		}
	}
	if len(unknown) > 0 {
		hint := ""
		if len(unknown) == 1 {
			hint = didYouMeanSKU(unknown[0], l.spec.Products)
		}
		l.warnAt(a.Expr.Range(), "Unknown SKU", fmt.Sprintf("%s lists %d SKU(s) that are not in the catalog: %s. They are ignored.%s", where, len(unknown), sampleList(unknown, 5), hint))
	}
	return set, true
}

// didYouMeanSKU suggests a catalog SKU for a likely typo. It looks only at
// SKUs that share the first character, to stay cheap on large catalogs.
func didYouMeanSKU(sku string, products []*Product) string {
	if s := (&Spec{Products: products}).SuggestSKU(sku); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

func (l *loader) decodePools(blocks []*hcl.Block) {
	schema := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "source"}, {Name: "channels", Required: true}, {Name: "skus"}, {Name: "safety_stock"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "channel", LabelNames: []string{"name"}}, {Type: "low_stock"}},
	}
	seen := map[string]*Pool{}
	var all []*Pool
	for _, b := range blocks {
		name := b.Labels[0]
		where := fmt.Sprintf("Pool %q", name)
		if !nameRe.MatchString(name) {
			l.errAt(b.LabelRanges[0], "Invalid pool name", fmt.Sprintf("%q is not a valid name: use letters, digits, _ and -, starting with a letter.", name))
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errAt(b.LabelRanges[0], "Duplicate pool", fmt.Sprintf("Pool %q is already declared at %s.", name, rangeLine(prev.Range)))
			continue
		}
		p := &Pool{Name: name, Range: b.DefRange, PerChannel: map[string]PoolChannel{}}
		seen[name] = p
		c := l.content(b.Body, schema)
		ok := true
		channelsBroken := false
		if a := c.Attributes["source"]; a != nil {
			if s, good := l.str(a); good {
				if _, found := l.spec.sourceIdx[s]; !found {
					names := sortedKeys(l.spec.sourceIdx)
					l.errAt(a.Expr.Range(), "Unknown stock source", fmt.Sprintf("%s takes stock from %q, which is not declared. The stock sources are %s.%s", where, s, quoteList(names), didYouMean(s, names)))
					ok = false
				}
				p.Source = s
			} else {
				ok = false
			}
		} else if len(l.spec.StockSources) == 1 {
			p.Source = l.spec.StockSources[0].Name
		} else {
			l.errAt(b.DefRange, "Missing stock source", fmt.Sprintf("%s needs source: the spec declares %d stock sources, so accord cannot pick one.", where, len(l.spec.StockSources)))
			ok = false
		}
		if a := c.Attributes["channels"]; a != nil {
			p.ChannelsRange = a.Expr.Range()
			// An unknown channel is reported and left out; the pool stays, so
			// that its other mistakes are still found in this run.
			var good bool
			p.Channels, good = l.channelList(a, where)
			channelsBroken = !good
		}
		if a := c.Attributes["skus"]; a != nil {
			if set, good := l.skuSet(a, where); good {
				p.SKUs = set
			} else {
				ok = false
			}
		}
		if a := c.Attributes["safety_stock"]; a != nil {
			p.SafetyStockRange = a.Expr.Range()
			if n, good := l.nonNegative(a); good {
				p.SafetyStock = n
			} else {
				ok = false
			}
		}
		for _, blk := range c.Blocks {
			switch blk.Type {
			case "channel":
				if !l.decodePoolChannel(p, blk, channelsBroken) {
					ok = false
				}
			case "low_stock":
				if p.LowStock != nil {
					l.errAt(blk.DefRange, "Duplicate low_stock block", fmt.Sprintf("%s already has a low_stock block at %s.", where, rangeLine(p.LowStock.Range)))
					ok = false
					continue
				}
				if ls, good := l.decodeLowStock(p, blk); good {
					p.LowStock = ls
				} else {
					ok = false
				}
			}
		}
		all = append(all, p)
		if ok {
			l.spec.Pools = append(l.spec.Pools, p)
		}
	}
	l.checkPoolOverlap(all)
}

// decodePoolChannel decodes a pool's channel block. listBroken reports that
// the pool's channels list already has a reported mistake, which likely
// explains a block for a channel missing from it.
func (l *loader) decodePoolChannel(p *Pool, b *hcl.Block, listBroken bool) bool {
	name := b.Labels[0]
	if !contains(p.Channels, name) {
		if listBroken {
			return false
		}
		if l.declaredChannels[name] || l.channelRef(name, b.LabelRanges[0], fmt.Sprintf("Pool %q", p.Name)) {
			l.errAt(b.LabelRanges[0], "Channel not in pool", fmt.Sprintf("Pool %q has settings for channel %q, which is not among its channels (%s). Add it to channels or remove this block.", p.Name, name, strings.Join(p.Channels, ", ")))
		}
		return false
	}
	if prev, dup := p.PerChannel[name]; dup {
		l.errAt(b.LabelRanges[0], "Duplicate channel block", fmt.Sprintf("Pool %q already has a block for channel %q at %s.", p.Name, name, rangeLine(prev.Range)))
		return false
	}
	c := l.content(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "buffer"}, {Name: "reserve"}, {Name: "max"}}})
	pc := PoolChannel{Range: b.DefRange}
	ok := true
	if a := c.Attributes["buffer"]; a != nil {
		if buf, good := l.buffer(a); good {
			pc.Buffer = buf
		} else {
			ok = false
		}
	}
	if a := c.Attributes["reserve"]; a != nil {
		pc.ReserveRange = a.Expr.Range()
		if n, good := l.nonNegative(a); good {
			pc.Reserve = n
		} else {
			ok = false
		}
	}
	if a := c.Attributes["max"]; a != nil {
		pc.MaxRange = a.Expr.Range()
		if n, good := l.nonNegative(a); good {
			pc.Max, pc.HasMax = n, true
		} else {
			ok = false
		}
	}
	p.PerChannel[name] = pc
	return ok
}

// buffer reads a buffer: a percentage string ("10%") or whole units (3).
func (l *loader) buffer(a *hcl.Attribute) (Buffer, bool) {
	v, ok := l.value(a)
	if !ok {
		return Buffer{}, false
	}
	if v.Type() == cty.String && strings.HasSuffix(strings.TrimSpace(v.AsString()), "%") {
		f, ok := l.percent(a, one, true)
		return Buffer{Percent: true, Fraction: f, Range: a.Expr.Range()}, ok
	}
	if _, err := convert.Convert(v, cty.Number); err != nil {
		l.errAt(a.Expr.Range(), "Invalid buffer", fmt.Sprintf("buffer must be a percentage such as \"10%%\" or a whole number of units such as 3; %s is neither.", v.GoString()))
		return Buffer{}, false
	}
	if v.Type() == cty.String {
		if _, err := money.ParsePercent(strings.ReplaceAll(v.AsString(), " ", "") + "%"); err != nil {
			l.errAt(a.Expr.Range(), "Invalid buffer", fmt.Sprintf("buffer must be a percentage such as \"10%%\" or a whole number of units such as 3; %q is neither.", v.AsString()))
			return Buffer{}, false
		}
	}
	n, ok := l.nonNegative(a)
	return Buffer{Units: n, Range: a.Expr.Range()}, ok
}

func (l *loader) decodeLowStock(p *Pool, b *hcl.Block) (*LowStock, bool) {
	c := l.content(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "threshold", Required: true}, {Name: "channels"}}})
	ls := &LowStock{Range: b.DefRange}
	ok := c.Attributes["threshold"] != nil
	if a := c.Attributes["threshold"]; a != nil {
		n, good := l.nonNegative(a)
		ls.Threshold, ok = n, good
	}
	if a := c.Attributes["channels"]; a != nil {
		chans, good := l.channelList(a, fmt.Sprintf("The low_stock block of pool %q", p.Name))
		if !good {
			ok = false
		}
		for _, ch := range chans {
			if !contains(p.Channels, ch) {
				l.errAt(a.Expr.Range(), "Channel not in pool", fmt.Sprintf("low_stock keeps %q listing, but %q is not in pool %q.", ch, ch, p.Name))
				ok = false
			}
		}
		ls.Channels = chans
	}
	return ls, ok
}

// checkPoolOverlap reports every (channel, SKU) pair that two pools hold:
// one diagnostic per pair of pools and channel, with a sample of SKUs.
func (l *loader) checkPoolOverlap(pools []*Pool) {
	n := len(l.spec.Products)
	for _, ch := range l.spec.Channels {
		owner := make([]int32, n)
		for pi, p := range pools {
			if !contains(p.Channels, ch.Name) {
				continue
			}
			clash := map[int32][]string{}
			for i := 0; i < n; i++ {
				if !p.SKUs.Contains(i) {
					continue
				}
				if prev := owner[i]; prev != 0 {
					clash[prev] = append(clash[prev], l.spec.Products[i].SKU)
					continue
				}
				owner[i] = int32(pi + 1)
			}
			for prev, skus := range clash {
				other := pools[prev-1]
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Listing in two pools",
					Detail: fmt.Sprintf("Pools %q (%s) and %q both hold channel %q for %d SKU(s): %s. Each (channel, SKU) takes its stock from one pool; narrow the skus of one of them.",
						other.Name, rangeLine(other.Range), p.Name, ch.Name, len(skus), sampleList(skus, 5)),
					Subject: p.ChannelsRange.Ptr(),
					Context: p.Range.Ptr(),
				})
			}
		}
	}
}
