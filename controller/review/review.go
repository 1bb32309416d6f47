// Package review says what a change to a spec does, in business terms,
// before it is merged: it derives the spec at two revisions (no channel is
// called, no credential needed) now and at every instant inside a window
// where a promotion of either starts or ends, and compares the desired
// listings, channel by channel: prices up and down with the largest move,
// quantities, compare-at prices, listing fields, listings added and
// dropped; the findings the change introduces and those it clears; the
// partners whose funded promotions' effective prices move; the guards the
// change would trip when applied.
//
// Reading the revisions (package source) and rendering the report (the
// command layer) are not its job.
package review

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// Revision names one side of the comparison.
type Revision struct {
	// Label is how the user named it: a branch, "HEAD~1", "working tree".
	Label string
	// Commit, Author and Subject are the commit's, when it is one.
	Commit, Author, Subject string
}

// Input is what Compare compares.
type Input struct {
	Base, Head       *spec.Spec
	BaseRev, HeadRev Revision
	// At is now; Window how far ahead promotion boundaries are looked at.
	At     time.Time
	Window time.Duration
	// Stock gives both sides the same on-hand quantities, so that only
	// the spec's change shows; nil compares no quantities.
	Stock derive.Stock
}

// Report is what a change does.
type Report struct {
	Base, Head Revision
	At         time.Time
	Window     time.Duration
	// Steps: the first at At, then one per later instant inside the window
	// where the change does something it did not already do.
	Steps []Step
	// Introduced and Cleared are findings the head has and the base does
	// not, and the other way, each at the first instant it holds.
	Introduced, Cleared []derive.TimedFinding
	// Partners are the partners whose funded promotions' effective prices
	// the change moves.
	Partners []Partner
	// Guards are what the change breaks of the head's guard block, as
	// apply would refuse it.
	Guards []string
	// NoStock reports that quantities were not compared.
	NoStock bool
}

// Step is the difference the change makes from one instant on.
type Step struct {
	At time.Time
	// Changes are the listings' fields that differ, base to head (From the
	// base's desired value, To the head's), sorted by channel, SKU and
	// field. A listing only the head has is a KindCreate change; one only
	// the base has, a KindCreate change to nothing (Listing nil).
	Changes []plan.Change
	// Channels sums them up, per channel in name order.
	Channels []ChannelDelta
}

// ChannelDelta is a step's changes on one channel, in numbers.
type ChannelDelta struct {
	Channel string
	// Listings is how many listings change at all.
	Listings int
	// PriceUp and PriceDown count price changes; MaxRise and MaxCut are
	// the largest, as fractions of the base price.
	PriceUp, PriceDown int
	MaxRise, MaxCut    decimal.Decimal
	Quantity           int
	CompareAt          int
	Fields             int
	Added, Dropped     int
}

// Empty reports whether the change does nothing to any listing.
func (r *Report) Empty() bool {
	for _, s := range r.Steps {
		if len(s.Changes) > 0 {
			return false
		}
	}
	return true
}

// Partner is one partner whose funded promotions' prices move.
type Partner struct {
	Name       string
	Promotions []string
	// Listings counts the listings of its promotions whose price changes.
	Listings int
}

// Compare derives both sides and compares them.
func Compare(ctx context.Context, in Input) (*Report, error) {
	r := &Report{Base: in.BaseRev, Head: in.HeadRev, At: in.At, Window: in.Window, NoStock: in.Stock == nil}
	base, head := derive.New(in.Base), derive.New(in.Head)
	opts := derive.Options{At: in.At, Stock: in.Stock}
	b0, err := base.DeriveContext(ctx, opts)
	if err != nil {
		return nil, err
	}
	h0, err := head.DeriveContext(ctx, opts)
	if err != nil {
		return nil, err
	}
	first := Step{At: in.At, Changes: compareListings(in.Head, b0.Listings, h0.Listings)}
	r.Steps = append(r.Steps, first)
	// What each listing's change is now, to tell later instants' news from
	// it.
	now := indexChanges(first.Changes)
	findings := newFindingSets()
	findings.add(b0.Findings, h0.Findings, in.At)
	partners := newPartnerSet(in.Base, in.Head)
	partners.note(first.Changes, b0.Listings, h0.Listings)

	end := in.At.Add(in.Window)
	for _, t := range boundaries(in.Base, in.Head, in.At, end) {
		skus := movedAt(in.Base, in.Head, in.At, t)
		if len(skus) == 0 {
			continue
		}
		o := derive.Options{At: t, Stock: in.Stock, SKUs: skus}
		bt, err := base.DeriveContext(ctx, o)
		if err != nil {
			return nil, err
		}
		ht, err := head.DeriveContext(ctx, o)
		if err != nil {
			return nil, err
		}
		findings.add(bt.Findings, ht.Findings, t)
		var news []plan.Change
		for _, c := range compareListings(in.Head, bt.Listings, ht.Listings) {
			if prev, ok := now[changeKey(&c)]; ok && prev.From == c.From && prev.To == c.To {
				continue // the same change as now
			}
			news = append(news, c)
		}
		if len(news) == 0 {
			continue
		}
		sortChanges(news)
		partners.note(news, bt.Listings, ht.Listings)
		r.Steps = append(r.Steps, Step{At: t, Changes: news})
	}
	for i := range r.Steps {
		r.Steps[i].Channels = summarize(r.Steps[i].Changes)
	}
	r.Introduced, r.Cleared = findings.diff()
	r.Partners = partners.list()
	r.Guards = plan.Guards(in.Head, first.Changes)
	return r, nil
}

// boundaries are the instants in (from, to] where a promotion of either
// spec starts or ends.
func boundaries(a, b *spec.Spec, from, to time.Time) []time.Time {
	set := map[int64]time.Time{}
	for _, s := range []*spec.Spec{a, b} {
		for _, t := range derive.Boundaries(s, from) {
			if !t.After(to) {
				set[t.UnixNano()] = t
			}
		}
	}
	out := make([]time.Time, 0, len(set))
	for _, t := range set {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// movedAt are the SKUs whose prices may differ at t from at now: those of
// a promotion, in either spec, running at one instant and not the other.
// Quantities and fields do not depend on the instant, so no other SKU
// needs deriving again.
func movedAt(a, b *spec.Spec, now, t time.Time) []string {
	set := map[string]bool{}
	for _, s := range []*spec.Spec{a, b} {
		for _, p := range s.Promotions {
			if p.Active(now) == p.Active(t) {
				continue
			}
			for i, covered := range p.Covers {
				if covered && i < len(s.Products) {
					set[s.Products[i].SKU] = true
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for sku := range set {
		out = append(out, sku)
	}
	sort.Strings(out)
	return out
}

// compareListings walks both derivations (each sorted by channel, then
// SKU) and returns what differs, base to head.
func compareListings(hs *spec.Spec, base, head []derive.Listing) []plan.Change {
	var out []plan.Change
	i, j := 0, 0
	for i < len(base) || j < len(head) {
		switch {
		case j == len(head) || (i < len(base) && less(&base[i].Key, &head[j].Key)):
			b := &base[i]
			out = append(out, plan.Change{Channel: b.Channel, SKU: b.SKU, Kind: adapters.KindCreate, Reason: plan.ReasonSpec})
			i++
		case i == len(base) || less(&head[j].Key, &base[i].Key):
			h := head[j]
			out = append(out, plan.Change{Channel: h.Channel, SKU: h.SKU, Kind: adapters.KindCreate, Reason: plan.ReasonSpec, Listing: &h.Listing})
			j++
		default:
			out = append(out, diffListing(scaleOf(hs, head[j].Channel), &base[i], &head[j])...)
			i++
			j++
		}
	}
	return out
}

func less(a, b *adapters.Key) bool {
	if a.Channel != b.Channel {
		return a.Channel < b.Channel
	}
	return a.SKU < b.SKU
}

func scaleOf(s *spec.Spec, channel string) int32 {
	if ch, _, ok := s.Channel(channel); ok {
		return ch.Scale
	}
	return 2
}

// diffListing is what differs in one listing.
func diffListing(scale int32, b, h *derive.Listing) []plan.Change {
	var out []plan.Change
	add := func(kind adapters.ChangeKind, field string, from, to adapters.Value) {
		if from != to {
			out = append(out, plan.Change{Channel: h.Channel, SKU: h.SKU, Kind: kind, Field: field, From: from, To: to, Reason: plan.ReasonSpec})
		}
	}
	add(adapters.KindQuantity, "", adapters.QuantityValue(b.Quantity), adapters.QuantityValue(h.Quantity))
	add(adapters.KindPrice, "", adapters.Money(b.Price, scale), adapters.Money(h.Price, scale))
	add(adapters.KindCompareAt, "", adapters.Money(b.CompareAt, scale), adapters.Money(h.CompareAt, scale))
	bi, hi := 0, 0
	for bi < len(b.Fields) || hi < len(h.Fields) {
		switch {
		case hi == len(h.Fields) || (bi < len(b.Fields) && b.Fields[bi].Name < h.Fields[hi].Name):
			add(adapters.KindField, b.Fields[bi].Name, adapters.Text(b.Fields[bi].Value), adapters.Null)
			bi++
		case bi == len(b.Fields) || h.Fields[hi].Name < b.Fields[bi].Name:
			add(adapters.KindField, h.Fields[hi].Name, adapters.Null, adapters.Text(h.Fields[hi].Value))
			hi++
		default:
			if b.Fields[bi].Value != h.Fields[hi].Value {
				add(adapters.KindField, h.Fields[hi].Name, adapters.Text(b.Fields[bi].Value), adapters.Text(h.Fields[hi].Value))
			}
			bi++
			hi++
		}
	}
	return out
}

func changeKey(c *plan.Change) string { return c.Channel + "\x00" + c.SKU + "\x00" + c.Name() }

func indexChanges(cs []plan.Change) map[string]plan.Change {
	m := make(map[string]plan.Change, len(cs))
	for _, c := range cs {
		m[changeKey(&c)] = c
	}
	return m
}

func sortChanges(cs []plan.Change) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := &cs[i], &cs[j]
		if a.Channel != b.Channel {
			return a.Channel < b.Channel
		}
		if a.SKU != b.SKU {
			return a.SKU < b.SKU
		}
		return a.Name() < b.Name()
	})
}

// summarize counts a step's changes per channel.
func summarize(cs []plan.Change) []ChannelDelta {
	byCh := map[string]*ChannelDelta{}
	listings := map[string]map[string]bool{}
	for i := range cs {
		c := &cs[i]
		d := byCh[c.Channel]
		if d == nil {
			d = &ChannelDelta{Channel: c.Channel}
			byCh[c.Channel] = d
			listings[c.Channel] = map[string]bool{}
		}
		listings[c.Channel][c.SKU] = true
		switch c.Kind {
		case adapters.KindCreate:
			if c.Listing != nil {
				d.Added++
			} else {
				d.Dropped++
			}
		case adapters.KindQuantity:
			d.Quantity++
		case adapters.KindCompareAt:
			d.CompareAt++
		case adapters.KindField:
			d.Fields++
		case adapters.KindPrice:
			if cut, ok := plan.PriceDrop(c); ok {
				d.PriceDown++
				d.MaxCut = decimal.Max(d.MaxCut, cut)
			} else if rise, ok := priceRise(c); ok {
				d.PriceUp++
				d.MaxRise = decimal.Max(d.MaxRise, rise)
			}
		}
	}
	out := make([]ChannelDelta, 0, len(byCh))
	for ch, d := range byCh {
		d.Listings = len(listings[ch])
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}

// priceRise is how far a price change raises the base price, as a
// fraction.
func priceRise(c *plan.Change) (decimal.Decimal, bool) {
	from, err1 := c.From.Decimal()
	to, err2 := c.To.Decimal()
	if err1 != nil || err2 != nil || !from.Valid || !to.Valid || !from.Decimal.IsPositive() || !to.Decimal.GreaterThan(from.Decimal) {
		return decimal.Decimal{}, false
	}
	return to.Decimal.Sub(from.Decimal).Div(from.Decimal), true
}

// findingSets keeps every finding of either side, at the first instant it
// holds.
type findingSets struct {
	base, head map[string]derive.TimedFinding
}

func newFindingSets() *findingSets {
	return &findingSets{base: map[string]derive.TimedFinding{}, head: map[string]derive.TimedFinding{}}
}

func findingKey(f *derive.Finding) string {
	return strings.Join([]string{string(f.Severity), f.Code, f.Channel, f.SKU, f.Field}, "\x00")
}

func (s *findingSets) add(base, head []derive.Finding, at time.Time) {
	for _, side := range []struct {
		fs   []derive.Finding
		into map[string]derive.TimedFinding
	}{{base, s.base}, {head, s.head}} {
		for _, f := range side.fs {
			if k := findingKey(&f); side.into[k].Code == "" {
				side.into[k] = derive.TimedFinding{Finding: f, At: at}
			}
		}
	}
}

func (s *findingSets) diff() (introduced, cleared []derive.TimedFinding) {
	for k, f := range s.head {
		if _, ok := s.base[k]; !ok {
			introduced = append(introduced, f)
		}
	}
	for k, f := range s.base {
		if _, ok := s.head[k]; !ok {
			cleared = append(cleared, f)
		}
	}
	for _, list := range [][]derive.TimedFinding{introduced, cleared} {
		sort.Slice(list, func(i, j int) bool {
			a, b := &list[i], &list[j]
			if a.Severity != b.Severity {
				return a.Severity == derive.Error
			}
			return findingKey(&a.Finding) < findingKey(&b.Finding)
		})
	}
	return introduced, cleared
}

// partnerSet finds the partners whose promotions' prices move.
type partnerSet struct {
	// of maps a promotion to its partner, in either spec.
	of       map[string]string
	names    map[string]map[string]bool
	listings map[string]map[string]bool
}

func newPartnerSet(specs ...*spec.Spec) *partnerSet {
	ps := &partnerSet{of: map[string]string{}, names: map[string]map[string]bool{}, listings: map[string]map[string]bool{}}
	for _, s := range specs {
		for _, p := range s.Promotions {
			if p.Partner != "" {
				ps.of[p.Name] = p.Partner
			}
		}
	}
	return ps
}

// note records the price changes of listings a partner's promotion sets,
// on either side.
func (ps *partnerSet) note(changes []plan.Change, base, head []derive.Listing) {
	if len(ps.of) == 0 {
		return
	}
	promo := map[adapters.Key][]string{}
	for _, side := range [][]derive.Listing{base, head} {
		for i := range side {
			if side[i].Promotion != "" {
				promo[side[i].Key] = append(promo[side[i].Key], side[i].Promotion)
			}
		}
	}
	for i := range changes {
		c := &changes[i]
		if c.Kind != adapters.KindPrice && c.Kind != adapters.KindCompareAt {
			continue
		}
		for _, name := range promo[c.Key()] {
			partner, ok := ps.of[name]
			if !ok {
				continue
			}
			if ps.names[partner] == nil {
				ps.names[partner], ps.listings[partner] = map[string]bool{}, map[string]bool{}
			}
			ps.names[partner][name] = true
			ps.listings[partner][c.Channel+"\x00"+c.SKU] = true
		}
	}
}

func (ps *partnerSet) list() []Partner {
	var out []Partner
	for partner, names := range ps.names {
		p := Partner{Name: partner, Listings: len(ps.listings[partner])}
		for n := range names {
			p.Promotions = append(p.Promotions, n)
		}
		sort.Strings(p.Promotions)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Describe says a channel's delta in a line: "412 listings: 398 prices
// down (max -15.0%), 14 up (max +2.1%), 20 quantities".
func (d ChannelDelta) Describe() string {
	var parts []string
	if d.PriceDown > 0 {
		parts = append(parts, fmt.Sprintf("%d %s down (max -%s%%)", d.PriceDown, noun(d.PriceDown, "price", "prices"), d.MaxCut.Shift(2).StringFixed(1)))
	}
	if d.PriceUp > 0 {
		parts = append(parts, fmt.Sprintf("%d %s up (max +%s%%)", d.PriceUp, noun(d.PriceUp, "price", "prices"), d.MaxRise.Shift(2).StringFixed(1)))
	}
	for _, n := range []struct {
		count     int
		one, many string
	}{
		{d.Quantity, "quantity", "quantities"}, {d.CompareAt, "compare-at price", "compare-at prices"},
		{d.Fields, "field", "fields"}, {d.Added, "listing added", "listings added"}, {d.Dropped, "listing dropped", "listings dropped"},
	} {
		if n.count > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n.count, noun(n.count, n.one, n.many)))
		}
	}
	return fmt.Sprintf("%d %s: %s", d.Listings, noun(d.Listings, "listing", "listings"), strings.Join(parts, ", "))
}

func noun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
