package spec

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/shopspring/decimal"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/accordhq/accord/spec/funcs"
	"github.com/accordhq/accord/spec/money"
)

var one = decimal.NewFromInt(1)

func (l *loader) decodeSettings(b *hcl.Block) {
	l.spec.Settings = Settings{Currency: "USD", CurrencyScale: 2, Timezone: time.UTC}
	if b == nil {
		return
	}
	l.spec.Settings.Range = b.DefRange
	c := l.content(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "currency"}, {Name: "timezone"}}})
	if a := c.Attributes["currency"]; a != nil {
		if cur, ok := l.currency(a); ok {
			l.spec.Settings.Currency = cur
			l.spec.Settings.CurrencyScale, _ = money.MinorUnits(cur)
			l.spec.Settings.CurrencyRange = a.Expr.Range()
		}
	}
	if a := c.Attributes["timezone"]; a != nil {
		if tz, ok := l.str(a); ok {
			loc, err := time.LoadLocation(tz)
			if err != nil || tz == "" || tz == "Local" {
				l.errAt(a.Expr.Range(), "Unknown time zone", fmt.Sprintf("%q is not an IANA time zone name such as \"UTC\" or \"America/New_York\".", tz))
			} else {
				l.spec.Settings.Timezone = loc
			}
		}
	}
}

func (l *loader) currency(a *hcl.Attribute) (string, bool) {
	s, ok := l.str(a)
	if !ok {
		return "", false
	}
	if len(s) != 3 {
		l.errAt(a.Expr.Range(), "Unknown currency", fmt.Sprintf("%q is not an ISO 4217 currency code such as \"USD\" or \"EUR\".", s))
		return "", false
	}
	if _, err := money.MinorUnits(s); err != nil {
		l.errAt(a.Expr.Range(), "Unknown currency", fmt.Sprintf("%q is not an ISO 4217 currency code such as \"USD\" or \"EUR\".", s))
		return "", false
	}
	return s, true
}

var driftDefaults = Drift{Quantity: DriftCorrect, Price: DriftCorrect, Fields: DriftReport}

// decodeDrift reads a drift block over a base policy.
func (l *loader) decodeDrift(b *hcl.Block, base Drift) Drift {
	if b == nil {
		return base
	}
	c := l.content(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "quantity"}, {Name: "price"}, {Name: "fields"}}})
	d := base
	for name, dst := range map[string]*DriftAction{"quantity": &d.Quantity, "price": &d.Price, "fields": &d.Fields} {
		if a := c.Attributes[name]; a != nil {
			if s, ok := l.oneOf(a, string(DriftCorrect), string(DriftReport), string(DriftIgnore)); ok {
				*dst = DriftAction(s)
			}
		}
	}
	return d
}

func (l *loader) decodeChannels(blocks []*hcl.Block, drift *hcl.Block) {
	l.spec.Drift = l.decodeDrift(drift, driftDefaults)
	schema := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "type", Required: true}, {Name: "currency"}, {Name: "fx_rate"}, {Name: "sku_column"}, {Name: "orders_per_day"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "config"}, {Type: "drift"}},
	}
	seen := map[string]*Channel{}
	for _, b := range blocks {
		name := b.Labels[0]
		if !nameRe.MatchString(name) {
			l.errAt(b.LabelRanges[0], "Invalid channel name", fmt.Sprintf("%q is not a valid name: use letters, digits, _ and -, starting with a letter.", name))
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errAt(b.LabelRanges[0], "Duplicate channel", fmt.Sprintf("Channel %q is already declared at %s.", name, rangeLine(prev.Range)))
			continue
		}
		ch := &Channel{Name: name, Range: b.DefRange, Currency: l.spec.Settings.Currency, Scale: l.spec.Settings.CurrencyScale, FXRate: one}
		seen[name] = ch
		c := l.content(b.Body, schema)
		ok := true
		if a := c.Attributes["type"]; a != nil {
			ch.TypeRange = a.Expr.Range()
			if t, good := l.str(a); good {
				if _, known := l.opts.Types.Lookup(t); !known {
					names := l.opts.Types.Names()
					l.errAt(a.Expr.Range(), "Unknown channel type", fmt.Sprintf("%q is not a channel type accord knows; the types are %s.%s", t, quoteList(names), didYouMean(t, names)))
					ok = false
				}
				ch.Type = t
			} else {
				ok = false
			}
		}
		if a := c.Attributes["currency"]; a != nil {
			if cur, good := l.currency(a); good {
				ch.Currency = cur
				ch.Scale, _ = money.MinorUnits(cur)
			} else {
				ok = false
			}
		}
		if a := c.Attributes["fx_rate"]; a != nil {
			ch.FXRateRange = a.Expr.Range()
			if fx, good := l.number(a); good {
				if !fx.IsPositive() {
					l.errAt(a.Expr.Range(), "Invalid exchange rate", fmt.Sprintf("fx_rate must be greater than zero; it is %s.", fx))
					ok = false
				} else {
					ch.FXRate = fx
					if ch.Currency == l.spec.Settings.Currency && !fx.Equal(one) {
						l.warnAt(a.Expr.Range(), "Exchange rate within one currency", fmt.Sprintf("Channel %q sells in %s, the catalog currency, yet fx_rate is %s: every price is multiplied by it. Use a price matrix adjust for a markup.", name, ch.Currency, fx))
					}
				}
			} else {
				ok = false
			}
		} else if ch.Currency != l.spec.Settings.Currency {
			l.errAt(b.DefRange, "Missing exchange rate", fmt.Sprintf("Channel %q sells in %s but the catalog is in %s: set fx_rate, the %s units per %s.", name, ch.Currency, l.spec.Settings.Currency, ch.Currency, l.spec.Settings.Currency))
			ok = false
		}
		if a := c.Attributes["sku_column"]; a != nil {
			if col, good := l.str(a); good {
				if !isKnownColumn(col) && !contains(l.spec.ProductAttributes, col) {
					cands := append(append([]string{}, knownColumns...), l.spec.ProductAttributes...)
					l.errAt(a.Expr.Range(), "Unknown catalog column", fmt.Sprintf("sku_column names %q, which is not a column of the catalog.%s", col, didYouMean(col, cands)))
					ok = false
				}
				ch.SKUColumn = col
			}
		}
		if a := c.Attributes["orders_per_day"]; a != nil {
			ch.OrdersRange = a.Expr.Range()
			if n, good := l.number(a); good && !n.IsNegative() {
				ch.OrdersPerDay = decimal.NullDecimal{Decimal: n, Valid: true}
			} else if good {
				l.errAt(a.Expr.Range(), "Invalid order rate", fmt.Sprintf("orders_per_day is the channel's orders a day, zero or more; it is %s.", n))
				ok = false
			} else {
				ok = false
			}
		}
		var cfg, drift *hcl.Block
		for _, blk := range c.Blocks {
			switch blk.Type {
			case "config":
				if cfg != nil {
					l.errAt(blk.DefRange, "Duplicate config block", fmt.Sprintf("Channel %q already has a config block at %s.", name, rangeLine(cfg.DefRange)))
					continue
				}
				cfg = blk
			case "drift":
				if drift != nil {
					l.errAt(blk.DefRange, "Duplicate drift block", fmt.Sprintf("Channel %q already has a drift block at %s.", name, rangeLine(drift.DefRange)))
					continue
				}
				drift = blk
			}
		}
		if cfg != nil {
			ch.Config = cfg.Body
		}
		if ok && !l.checkConfig(ch, b, cfg) {
			ok = false
		}
		ch.Drift = l.decodeDrift(drift, l.spec.Drift)
		if ok {
			l.spec.Channels = append(l.spec.Channels, ch)
		}
	}
	sort.Slice(l.spec.Channels, func(i, j int) bool { return l.spec.Channels[i].Name < l.spec.Channels[j].Name })
	for i, ch := range l.spec.Channels {
		l.spec.channelIdx[ch.Name] = i
	}
	// Channels that failed to decode still exist for reference checks, so
	// that a typo in a type does not also report every pool that names it.
	l.declaredChannels = make(map[string]bool, len(seen))
	for name := range seen {
		l.declaredChannels[name] = true
	}
}

// checkConfig decodes a channel's config block against its kind's schema,
// as the adapter will, but with env() unknown: names, types and required
// attributes are checked with file:line and did-you-mean, and no
// credential needs to be in the environment. A kind without a schema (its
// adapter is not in this build) is not checked.
func (l *loader) checkConfig(ch *Channel, b, cfg *hcl.Block) bool {
	kind, _ := l.opts.Types.Lookup(ch.Type)
	if kind.Config == nil {
		return true
	}
	ctx := l.ctx.NewChild()
	ctx.Functions = map[string]function.Function{"env": funcs.EnvUnknown()}
	body := hcl.EmptyBody()
	if cfg != nil {
		body = cfg.Body
	}
	_, diags := hcldec.Decode(body, kind.Config, ctx)
	// A schema is a map: its diagnostics come in no fixed order. Sorted,
	// the same spec always reads the same.
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i], diags[j]
		if a.Subject != nil && b.Subject != nil && a.Subject.Start.Byte != b.Subject.Start.Byte {
			return a.Subject.Start.Byte < b.Subject.Start.Byte
		}
		return a.Detail < b.Detail
	})
	if cfg == nil && diags.HasErrors() {
		var missing []string
		for _, d := range diags {
			missing = append(missing, strings.TrimSuffix(d.Detail, "."))
		}
		l.errAt(b.DefRange, "Missing config block", fmt.Sprintf("Channel %q is of type %q, which needs a config block: %s.", ch.Name, ch.Type, strings.Join(missing, "; ")))
		return false
	}
	for _, name := range kind.Secrets {
		if cfg == nil {
			break
		}
		attrs, _ := cfg.Body.JustAttributes()
		if a, ok := attrs[name]; ok && !callsEnv(a.Expr) {
			rng := a.Expr.Range()
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Secret written in the spec",
				Detail: fmt.Sprintf("%s is a secret: give it through env(\"NAME\") so that it never lands in git, for example %s = env(\"%s_%s\").",
					name, name, strings.ToUpper(ch.Type), strings.ToUpper(name)),
				Subject: &rng,
			})
		}
	}
	l.diags = append(l.diags, diags...)
	return !diags.HasErrors()
}

// callsEnv reports whether an expression takes its value from env(): a
// call of it, or a template or function call around one.
func callsEnv(expr hcl.Expression) bool {
	se, ok := expr.(hclsyntax.Expression)
	if !ok {
		return false
	}
	found := false
	_ = hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
		if fc, ok := n.(*hclsyntax.FunctionCallExpr); ok && fc.Name == "env" {
			found = true
		}
		return nil
	})
	return found
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// channelRef checks that a name written in the spec is a declared channel.
// It returns false, reporting an unknown name, when the channel cannot be
// used; a declared channel that failed to decode returns false quietly.
func (l *loader) channelRef(name string, rng hcl.Range, where string) bool {
	if _, _, ok := l.spec.Channel(name); ok {
		return true
	}
	if l.declaredChannels[name] {
		return false
	}
	names := sortedKeys(l.declaredChannels)
	l.errAt(rng, "Unknown channel", fmt.Sprintf("%s names channel %q, which is not declared. The channels are %s.%s", where, name, quoteList(names), didYouMean(name, names)))
	return false
}

// channelList reads a list of channel names, each checked.
func (l *loader) channelList(a *hcl.Attribute, where string) ([]string, bool) {
	names, ok := l.strList(a)
	if !ok {
		return nil, false
	}
	out := names[:0]
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			l.errAt(a.Expr.Range(), "Duplicate channel", fmt.Sprintf("%s lists channel %q twice.", where, n))
			ok = false
			continue
		}
		seen[n] = true
		if l.channelRef(n, a.Expr.Range(), where) {
			out = append(out, n)
		} else if !l.declaredChannels[n] {
			ok = false
		}
	}
	return out, ok
}

func (l *loader) decodeStockSources(blocks []*hcl.Block) {
	schema := &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "type", Required: true}, {Name: "file"}, {Name: "dir"}}}
	for _, b := range blocks {
		name := b.Labels[0]
		if !nameRe.MatchString(name) {
			l.errAt(b.LabelRanges[0], "Invalid stock source name", fmt.Sprintf("%q is not a valid name: use letters, digits, _ and -, starting with a letter.", name))
			continue
		}
		if prev, dup := l.spec.sourceIdx[name]; dup {
			l.errAt(b.LabelRanges[0], "Duplicate stock source", fmt.Sprintf("Stock source %q is already declared at %s.", name, rangeLine(prev.Range)))
			continue
		}
		src := &StockSource{Name: name, Range: b.DefRange}
		l.spec.sourceIdx[name] = src
		c := l.content(b.Body, schema)
		if a := c.Attributes["type"]; a != nil {
			if t, ok := l.str(a); ok {
				if _, known := l.opts.Types.LookupStock(t); !known {
					names := l.opts.Types.StockNames()
					l.errAt(a.Expr.Range(), "Unknown stock source type", fmt.Sprintf("%q is not a stock source type accord knows; the types are %s.%s", t, quoteList(names), didYouMean(t, names)))
				} else {
					src.Type = t
				}
			}
		}
		if a := c.Attributes["file"]; a != nil {
			src.FileRange = a.Expr.Range()
			if f, ok := l.str(a); ok {
				src.File = f
			}
		} else if src.Type == "file" {
			l.errAt(b.DefRange, "Missing file", fmt.Sprintf("Stock source %q is of type \"file\": set file to a CSV with the columns sku and on_hand.", name))
		}
		if a := c.Attributes["dir"]; a != nil {
			if src.Type != "sandbox" {
				l.errAt(a.NameRange, "Unexpected dir", "dir is where a sandbox stock source finds the sandbox; a \"file\" stock source reads file.")
			} else if d, ok := l.str(a); ok {
				src.Dir = d
			}
		}
		l.spec.StockSources = append(l.spec.StockSources, src)
	}
}

func (l *loader) decodeGuard(b *hcl.Block) {
	l.spec.Guard = Guard{MaxPriceDrop: decimal.NullDecimal{Decimal: decimal.New(5, -1), Valid: true}}
	if b == nil {
		return
	}
	l.spec.Guard.Range = b.DefRange
	c := l.content(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "max_changes"}, {Name: "max_price_drop"}}})
	if a := c.Attributes["max_changes"]; a != nil {
		if n, ok := l.nonNegative(a); ok {
			l.spec.Guard.MaxChanges = n
		}
	}
	if a := c.Attributes["max_price_drop"]; a != nil {
		if p, ok := l.percent(a, one, false); ok {
			l.spec.Guard.MaxPriceDrop = decimal.NullDecimal{Decimal: p, Valid: true}
		}
	}
}
