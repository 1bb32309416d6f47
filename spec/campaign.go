package spec

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/shopspring/decimal"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/accordhq/accord/spec/money"
)

// A campaign is a promotion a partner (a manufacturer, a distributor, a
// marketplace) publishes in its own git repository for the sellers who
// carry its products: its theme, window, eligible products, the discount it
// allows (min_discount and max_discount, a cap that protects every
// participant's margin) and the share of it the partner funds. A seller's
// spec imports it by source and opts in with a promotion that names it:
//
//	campaign "holiday" {
//	  source = "git::https://example.com/acme/campaigns.git//holiday-2026?ref=v3"
//	}
//	promotion "holiday-acme" {
//	  campaign = campaign.holiday
//	  channels = ["shopify", "amazon_us"]
//	  discount = "20%"
//	}
//
// accord campaigns get fetches each source at its ref and records the
// commit in accord.lock.hcl beside the spec (commit it, as Terraform's
// .terraform.lock.hcl); the files are kept in .accord/campaigns/COMMIT/,
// which every other command reads without touching the network.

// LockFile is the lock file's name in the spec directory.
const LockFile = "accord.lock.hcl"

// CampaignSource is where a campaign is published: a repository, the
// directory of the campaign in it, and the ref to take.
type CampaignSource struct {
	// URL is the repository: https://, ssh://, file:// or a local path.
	URL string
	// Dir is the campaign's directory in the repository ("." for its root).
	Dir string
	// Ref is a tag, a branch or a commit ("" for the default branch).
	Ref string
}

// ParseCampaignSource reads "git::URL//DIR?ref=REF", as Terraform's module
// sources are written: the directory after a double slash, the ref in the
// query.
func ParseCampaignSource(s string) (CampaignSource, error) {
	rest, ok := strings.CutPrefix(s, "git::")
	if !ok {
		return CampaignSource{}, fmt.Errorf("%q is not a campaign source: write git::URL//DIR?ref=REF, such as git::https://example.com/acme/campaigns.git//holiday-2026?ref=v3", s)
	}
	var src CampaignSource
	if i := strings.LastIndex(rest, "?"); i >= 0 {
		q, err := url.ParseQuery(rest[i+1:])
		if err != nil {
			return CampaignSource{}, fmt.Errorf("%q: %w", s, err)
		}
		for k := range q {
			if k != "ref" {
				return CampaignSource{}, fmt.Errorf("%q: unknown parameter %q; a campaign source takes ref alone", s, k)
			}
		}
		src.Ref = q.Get("ref")
		rest = rest[:i]
	}
	// The directory starts at the first double slash after the scheme's.
	from := 0
	if i := strings.Index(rest, "://"); i >= 0 {
		from = i + 3
	}
	src.URL, src.Dir = rest, "."
	if i := strings.Index(rest[from:], "//"); i >= 0 {
		src.URL, src.Dir = rest[:from+i], rest[from+i+2:]
		src.Dir = path.Clean(src.Dir)
		if src.Dir == "" || strings.HasPrefix(src.Dir, "..") || path.IsAbs(src.Dir) {
			return CampaignSource{}, fmt.Errorf("%q: the directory %q is not inside the repository", s, src.Dir)
		}
	}
	if src.URL == "" {
		return CampaignSource{}, fmt.Errorf("%q names no repository", s)
	}
	return src, nil
}

// Lock is one campaign's entry in accord.lock.hcl.
type Lock struct {
	Name, Source string
	// Commit is the commit the source's ref pointed at when it was last
	// fetched; Previous the one before an upgrade, for messages about what
	// moved upstream.
	Commit, Previous string
}

// ParseLocks reads a lock file.
func ParseLocks(data []byte, filename string) (map[string]Lock, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig(data, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	content, d := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "campaign", LabelNames: []string{"name"}}}})
	diags = append(diags, d...)
	out := map[string]Lock{}
	for _, b := range content.Blocks {
		attrs, d := b.Body.JustAttributes()
		diags = append(diags, d...)
		l := Lock{Name: b.Labels[0]}
		for name, into := range map[string]*string{"source": &l.Source, "commit": &l.Commit, "previous": &l.Previous} {
			if a, ok := attrs[name]; ok {
				v, d := a.Expr.Value(nil)
				diags = append(diags, d...)
				if !d.HasErrors() && v.Type() == cty.String && !v.IsNull() {
					*into = v.AsString()
				}
			}
		}
		out[l.Name] = l
	}
	return out, diags
}

// FormatLocks writes a lock file, campaigns in name order.
func FormatLocks(locks map[string]Lock) []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment,
		Bytes: []byte("# accord campaigns get and upgrade maintain this file: the commit each\n# campaign source was read at. Commit it with the spec.\n")}})
	names := make([]string, 0, len(locks))
	for n := range locks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		l := locks[n]
		body.AppendNewline()
		b := body.AppendNewBlock("campaign", []string{n}).Body()
		b.SetAttributeValue("source", cty.StringVal(l.Source))
		b.SetAttributeValue("commit", cty.StringVal(l.Commit))
		if l.Previous != "" {
			b.SetAttributeValue("previous", cty.StringVal(l.Previous))
		}
	}
	return hclwrite.Format(f.Bytes())
}

// CampaignDef is a campaign as its partner published it.
type CampaignDef struct {
	Theme   string
	Partner string
	Starts  time.Time
	Ends    time.Time
	// Channels are the channel types the campaign runs on (nil: any).
	Channels []string
	// Brands, GTINs, Categories and SKUs select the eligible products: a
	// product is eligible when it matches one list (none given: every
	// product).
	Brands, GTINs, Categories, SKUs []string
	MinDiscount, MaxDiscount        decimal.NullDecimal
	// Funding is the share of the discount the partner pays for.
	Funding decimal.NullDecimal

	Range, WindowRange, MaxDiscountRange, MinDiscountRange hcl.Range
}

// Eligible reports whether the campaign takes a product.
func (c *CampaignDef) Eligible(p *Product) bool {
	if len(c.Brands)+len(c.GTINs)+len(c.Categories)+len(c.SKUs) == 0 {
		return true
	}
	in := func(list []string, v string) bool {
		for _, s := range list {
			if strings.EqualFold(s, v) && v != "" {
				return true
			}
		}
		return false
	}
	return in(c.Brands, p.Brand) || in(c.GTINs, p.GTIN) || in(c.Categories, p.Category) || in(c.SKUs, p.SKU)
}

// OnChannelType reports whether the campaign runs on channels of a type.
func (c *CampaignDef) OnChannelType(t string) bool {
	if c.Channels == nil {
		return true
	}
	for _, ch := range c.Channels {
		if ch == t {
			return true
		}
	}
	return false
}

var campaignSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "theme"}, {Name: "partner", Required: true}, {Name: "starts", Required: true}, {Name: "ends", Required: true},
		{Name: "timezone"}, {Name: "channels"}, {Name: "min_discount"}, {Name: "max_discount"}, {Name: "funding"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "eligible"}},
}

var eligibleSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "brands"}, {Name: "gtins"}, {Name: "categories"}, {Name: "skus"}}}

// LoadCampaign reads the campaign a partner publishes in a directory: the
// one campaign block of its *.hcl files. display names the directory in
// diagnostics. It is what accord campaigns validate checks, and what a
// seller's spec reads from its locked copy.
// Files read are added to sources (when not nil) for diagnostics' snippets.
func LoadCampaign(fsys fs.FS, display string, sources map[string][]byte) (*CampaignDef, hcl.Diagnostics) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the campaign", Detail: fmt.Sprintf("Reading %s: %v.", display, err)}}
	}
	var diags hcl.Diagnostics
	var blocks []*hcl.Block
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") {
			continue
		}
		name := path.Join(display, e.Name())
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read a campaign file", Detail: fmt.Sprintf("Reading %s: %v.", name, err)})
			continue
		}
		if sources != nil {
			sources[name] = data
		}
		f, d := hclsyntax.ParseConfig(data, name, hcl.InitialPos)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		content, d := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "campaign"}}})
		diags = append(diags, d...)
		blocks = append(blocks, content.Blocks...)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	switch len(blocks) {
	case 0:
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No campaign", Detail: fmt.Sprintf("%s holds no campaign block: a campaign's directory holds one, in a *.hcl file.", display)})
	case 1:
	default:
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Several campaigns", Detail: fmt.Sprintf("%s holds %d campaign blocks; a directory publishes one campaign, the others go in directories of their own.", display, len(blocks)), Subject: blocks[1].DefRange.Ptr()})
	}
	b := blocks[0]
	c := &CampaignDef{Range: b.DefRange}
	content, d := b.Body.Content(campaignSchema)
	diags = append(diags, d...)
	attr := func(name string) *hcl.Attribute { return content.Attributes[name] }
	str := func(name string) string {
		a := attr(name)
		if a == nil {
			return ""
		}
		v, d := a.Expr.Value(nil)
		if !d.HasErrors() {
			if sv, err := convert.Convert(v, cty.String); err == nil && !sv.IsNull() {
				return sv.AsString()
			}
			d = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect value type", Detail: fmt.Sprintf("%s must be a string.", name), Subject: a.Expr.Range().Ptr()}}
		}
		diags = append(diags, d...)
		return ""
	}
	list := func(a *hcl.Attribute) []string {
		v, d := a.Expr.Value(nil)
		if !d.HasErrors() {
			if lv, err := convert.Convert(v, cty.List(cty.String)); err == nil && !lv.IsNull() {
				var out []string
				for _, e := range lv.AsValueSlice() {
					if !e.IsNull() {
						out = append(out, e.AsString())
					}
				}
				return out
			}
			d = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incorrect value type", Detail: fmt.Sprintf("%s must be a list of strings.", a.Name), Subject: a.Expr.Range().Ptr()}}
		}
		diags = append(diags, d...)
		return nil
	}
	percent := func(name string, into *decimal.NullDecimal, rng *hcl.Range) {
		a := attr(name)
		if a == nil {
			return
		}
		if rng != nil {
			*rng = a.Expr.Range()
		}
		p, err := money.ParsePercent(str(name))
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid percentage", Detail: capitalize(err.Error()) + ".", Subject: a.Expr.Range().Ptr()})
			return
		}
		if p.GreaterThan(one) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Percentage out of range", Detail: fmt.Sprintf("%s must be at most 100%%.", name), Subject: a.Expr.Range().Ptr()})
			return
		}
		*into = decimal.NullDecimal{Decimal: p, Valid: true}
	}
	c.Theme, c.Partner = str("theme"), str("partner")
	loc := time.UTC
	if tz := str("timezone"); tz != "" {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown time zone", Detail: fmt.Sprintf("%q is not an IANA time zone such as \"Europe/Berlin\".", tz), Subject: attr("timezone").Expr.Range().Ptr()})
			loc = time.UTC
		}
	}
	for name, into := range map[string]*time.Time{"starts": &c.Starts, "ends": &c.Ends} {
		if a := attr(name); a != nil {
			t, err := ParseTime(str(name), loc)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid time", Detail: capitalize(err.Error()) + ".", Subject: a.Expr.Range().Ptr()})
			}
			*into = t
		}
	}
	if a, b := attr("starts"), attr("ends"); a != nil && b != nil {
		c.WindowRange = hcl.RangeOver(a.Range, b.Range)
		if !c.Starts.IsZero() && !c.Ends.IsZero() && !c.Ends.After(c.Starts) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Campaign ends before it starts", Detail: "ends is exclusive and must be after starts.", Subject: b.Expr.Range().Ptr()})
		}
	}
	if a := attr("channels"); a != nil {
		c.Channels = list(a)
	}
	percent("min_discount", &c.MinDiscount, &c.MinDiscountRange)
	percent("max_discount", &c.MaxDiscount, &c.MaxDiscountRange)
	percent("funding", &c.Funding, nil)
	if c.MinDiscount.Valid && c.MaxDiscount.Valid && c.MinDiscount.Decimal.GreaterThan(c.MaxDiscount.Decimal) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Campaign bounds cross", Detail: "min_discount is above max_discount: no price can meet both.", Subject: c.MinDiscountRange.Ptr()})
	}
	for _, eb := range content.Blocks {
		ec, d := eb.Body.Content(eligibleSchema)
		diags = append(diags, d...)
		for name, into := range map[string]*[]string{"brands": &c.Brands, "gtins": &c.GTINs, "categories": &c.Categories, "skus": &c.SKUs} {
			if a := ec.Attributes[name]; a != nil {
				*into = append(*into, list(a)...)
			}
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return c, diags
}

// Campaign is a campaign a spec imports: its block, the lock's commit and
// the partner's definition at that commit.
type Campaign struct {
	Name   string
	Source CampaignSource
	// SourceText is the source as written.
	SourceText string
	Commit     string
	Def        *CampaignDef
	// Previous is the definition at the lock's previous commit, when it is
	// in the local copy (for what moved upstream).
	Previous       *CampaignDef
	PreviousCommit string
	Range          hcl.Range
}

// CampaignSources reads the campaign blocks of the spec directory's *.hcl
// files, without loading the spec: what accord campaigns get fetches.
func CampaignSources(fsys fs.FS, display string) (map[string]string, hcl.Diagnostics) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the spec directory", Detail: err.Error()}}
	}
	out := map[string]string{}
	var diags hcl.Diagnostics
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".hcl") || e.Name() == LockFile {
			continue
		}
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read a spec file", Detail: err.Error()})
		}
		f, d := hclsyntax.ParseConfig(data, path.Join(display, e.Name()), hcl.InitialPos)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		body := f.Body.(*hclsyntax.Body)
		for _, b := range body.Blocks {
			if b.Type != "campaign" || len(b.Labels) != 1 {
				continue
			}
			if a, ok := b.Body.Attributes["source"]; ok {
				v, d := a.Expr.Value(nil)
				diags = append(diags, d...)
				if !d.HasErrors() && v.Type() == cty.String && !v.IsNull() {
					out[b.Labels[0]] = v.AsString()
				}
			}
		}
	}
	return out, diags
}

// Campaign returns the imported campaign of the given name.
func (s *Spec) Campaign(name string) (*Campaign, bool) {
	for _, c := range s.Campaigns {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// decodeCampaigns reads the campaign blocks: each source, its lock and the
// partner's definition from the local copy at the locked commit.
func (l *loader) decodeCampaigns(blocks []*hcl.Block) {
	if len(blocks) == 0 {
		return
	}
	locks := map[string]Lock{}
	if data, err := fs.ReadFile(l.fsys, LockFile); err == nil {
		display := l.displayName(LockFile)
		l.addSource(display, LockFile, data)
		var d hcl.Diagnostics
		locks, d = ParseLocks(data, display)
		l.diags = append(l.diags, d...)
	}
	seen := map[string]hcl.Range{}
	l.declaredCampaigns = map[string]bool{}
	for _, b := range blocks {
		name := b.Labels[0]
		l.declaredCampaigns[name] = true
		if prev, dup := seen[name]; dup {
			l.errAt(b.LabelRanges[0], "Duplicate campaign", fmt.Sprintf("Campaign %q is already imported at %s.", name, rangeLine(prev)))
			continue
		}
		seen[name] = b.DefRange
		c := l.content(b.Body, &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "source", Required: true}}})
		a := c.Attributes["source"]
		if a == nil {
			continue
		}
		text, ok := l.str(a)
		if !ok {
			continue
		}
		src, err := ParseCampaignSource(text)
		if err != nil {
			l.errAt(a.Expr.Range(), "Invalid campaign source", capitalize(err.Error())+".")
			continue
		}
		lock, locked := locks[name]
		switch {
		case !locked:
			l.errAt(a.Expr.Range(), "Campaign not fetched", fmt.Sprintf("Campaign %q is not in %s yet: run accord campaigns get, which fetches it and records its commit.", name, LockFile))
			continue
		case lock.Source != text:
			l.errAt(a.Expr.Range(), "Campaign source changed", fmt.Sprintf("Campaign %q was fetched from %s; its source is now %s. Run accord campaigns get to fetch it from there.", name, lock.Source, text))
			continue
		}
		camp := &Campaign{Name: name, Source: src, SourceText: text, Commit: lock.Commit, Range: b.DefRange}
		def, d := l.lockedCampaign(name, lock.Commit, src.Dir, a.Expr.Range())
		l.diags = append(l.diags, d...)
		if def == nil {
			continue
		}
		camp.Def = def
		if lock.Previous != "" {
			camp.PreviousCommit = lock.Previous
			camp.Previous, _ = l.lockedCampaign(name, lock.Previous, src.Dir, a.Expr.Range())
		}
		l.spec.Campaigns = append(l.spec.Campaigns, camp)
	}
	sort.Slice(l.spec.Campaigns, func(i, j int) bool { return l.spec.Campaigns[i].Name < l.spec.Campaigns[j].Name })
}

// lockedCampaign reads a campaign's definition from its local copy.
func (l *loader) lockedCampaign(name, commit, dir string, rng hcl.Range) (*CampaignDef, hcl.Diagnostics) {
	missing := hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Campaign not fetched",
		Detail:  fmt.Sprintf("Campaign %q is locked at commit %.12s, which is not in .accord/campaigns: run accord campaigns get.", name, commit),
		Subject: rng.Ptr()}}
	if l.opts.Campaigns == nil || commit == "" {
		return nil, missing
	}
	sub, err := fs.Sub(l.opts.Campaigns, path.Join(commit, dir))
	if err != nil {
		return nil, missing
	}
	if _, err := fs.Stat(sub, "."); err != nil {
		return nil, missing
	}
	display := l.displayName(path.Join(".accord", "campaigns", commit[:min(12, len(commit))], dir))
	return LoadCampaign(sub, display, l.spec.Sources)
}

// campaignOf reads a promotion's campaign = campaign.NAME.
func (l *loader) campaignOf(a *hcl.Attribute) (*Campaign, bool) {
	tr, d := hcl.AbsTraversalForExpr(a.Expr)
	if d.HasErrors() || len(tr) != 2 || tr.RootName() != "campaign" {
		l.errAt(a.Expr.Range(), "Invalid campaign reference", "Name the campaign as campaign.NAME, such as campaign = campaign.holiday.")
		return nil, false
	}
	step, ok := tr[1].(hcl.TraverseAttr)
	if !ok {
		l.errAt(a.Expr.Range(), "Invalid campaign reference", "Name the campaign as campaign.NAME, such as campaign = campaign.holiday.")
		return nil, false
	}
	if c, found := l.spec.Campaign(step.Name); found {
		return c, true
	}
	if l.declaredCampaigns[step.Name] {
		return nil, false // its import failed, and said why
	}
	var names []string
	for _, c := range l.spec.Campaigns {
		names = append(names, c.Name)
	}
	l.errAt(a.Expr.Range(), "Unknown campaign", fmt.Sprintf("No campaign %q is imported (or it failed to load).%s", step.Name, didYouMean(step.Name, names)))
	return nil, false
}

// joinCampaign applies a campaign to a promotion that opts in: what the
// promotion leaves unset it takes from the campaign (its window, partner and
// discount bounds), and what it sets must fit the campaign's terms: its
// window inside the campaign's, its channels among the campaign's types, a
// percentage discount within the bounds. Eligibility of the products it
// covers is checked once coverage is known (checkEligible).
func (l *loader) joinCampaign(p *Promotion, c *Campaign, ref hcl.Range, windowGiven bool, where string) bool {
	def := c.Def
	p.Campaign = c
	ok := true
	if windowGiven && (p.Starts.Before(def.Starts) || p.Ends.After(def.Ends)) {
		detail := fmt.Sprintf("%s runs %s to %s, outside campaign %q's window, %s to %s (at commit %.12s).", where,
			p.Starts.Format(time.RFC3339), p.Ends.Format(time.RFC3339), c.Name, def.Starts.Format(time.RFC3339), def.Ends.Format(time.RFC3339), c.Commit)
		if prev := c.Previous; prev != nil && (!prev.Starts.Equal(def.Starts) || !prev.Ends.Equal(def.Ends)) {
			detail += fmt.Sprintf(" The partner moved the window: at commit %.12s it ran %s to %s.", c.PreviousCommit, prev.Starts.Format(time.RFC3339), prev.Ends.Format(time.RFC3339))
		}
		l.errAt(p.WindowRange, "Promotion outside its campaign", detail+" Shorten the promotion or let it take the campaign's window.")
		ok = false
	}
	if p.Partner == "" {
		p.Partner = def.Partner
	}
	// Bounds taken from the campaign are reported, when a price breaks
	// them, at the promotion's campaign = line.
	if !p.MinDiscount.Valid {
		p.MinDiscount, p.MinDiscountRange = def.MinDiscount, ref
	}
	if !p.MaxDiscount.Valid {
		p.MaxDiscount, p.MaxDiscountRange = def.MaxDiscount, ref
	}
	if p.Discount.Kind == money.PercentOff {
		switch {
		case def.MaxDiscount.Valid && p.Discount.Value.GreaterThan(def.MaxDiscount.Decimal):
			l.errAt(p.DiscountRange, "Discount over the campaign's cap", fmt.Sprintf("%s takes %s off; campaign %q (%s) caps discounts at %s, to protect every participant's margin.",
				where, money.FormatPercent(p.Discount.Value), c.Name, def.Partner, money.FormatPercent(def.MaxDiscount.Decimal)))
			ok = false
		case def.MinDiscount.Valid && p.Discount.Value.LessThan(def.MinDiscount.Decimal):
			l.errAt(p.DiscountRange, "Discount under the campaign's minimum", fmt.Sprintf("%s takes %s off; campaign %q (%s) asks for at least %s.",
				where, money.FormatPercent(p.Discount.Value), c.Name, def.Partner, money.FormatPercent(def.MinDiscount.Decimal)))
			ok = false
		}
	}
	if p.Channels == nil && def.Channels != nil {
		// No channels named: the spec's channels of the campaign's types.
		p.Channels = []string{}
		for _, ch := range l.spec.Channels {
			if def.OnChannelType(ch.Type) {
				p.Channels = append(p.Channels, ch.Name)
			}
		}
	}
	for _, name := range p.Channels {
		if ch, _, found := l.spec.Channel(name); found && !def.OnChannelType(ch.Type) {
			l.errAt(p.Range, "Channel outside the campaign", fmt.Sprintf("%s runs on %s (type %s); campaign %q runs on %s only.", where, name, ch.Type, c.Name, strings.Join(def.Channels, ", ")))
			ok = false
		}
	}
	return ok
}

// checkEligible refuses a campaign promotion that covers products the
// campaign does not take; one with neither skus nor where covers exactly
// the eligible ones.
func (l *loader) checkEligible(p *Promotion, restricted bool, rng hcl.Range) bool {
	def := p.Campaign.Def
	var bad []string
	n := 0
	for i, covered := range p.Covers {
		prod := l.spec.Products[i]
		eligible := def.Eligible(prod)
		if !restricted {
			p.Covers[i] = eligible
			continue
		}
		if covered && !eligible {
			n++
			if len(bad) < 5 {
				bad = append(bad, prod.SKU)
			}
		}
	}
	if !restricted {
		p.CoverCount = 0
		for _, c := range p.Covers {
			if c {
				p.CoverCount++
			}
		}
	}
	if n > 0 {
		more := ""
		if n > len(bad) {
			more = fmt.Sprintf(" and %d more", n-len(bad))
		}
		l.errAt(rng, "Products outside the campaign", fmt.Sprintf("Promotion %q covers %s%s, which campaign %q does not take. Narrow skus or where, or leave both out to take every eligible product.",
			p.Name, strings.Join(bad, ", "), more, p.Campaign.Name))
		return false
	}
	return true
}
