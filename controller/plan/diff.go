package plan

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
	"github.com/accordhq/accord/spec/money"
)

// History is what Diff needs of the store: the value accord last applied
// to each field.
type History interface {
	LastApplied(ctx context.Context, keys []store.FieldKey) (map[store.FieldKey]store.Applied, error)
}

// Input is what every channel's comparison shares.
type Input struct {
	Spec *spec.Spec
	// Desired is the derivation.
	Desired *derive.Result
	History History
	// Channels are the channels in scope, and SKUs the catalog SKUs (nil:
	// all, and listings on a channel that are not in the catalog are
	// reported as unmanaged).
	Channels []string
	SKUs     []string
	Revision string
	Now      time.Time
}

// Diff compares desired, observed and history into a plan. observed holds
// each channel's listings by the channel's own SKU; a channel in
// in.Channels without an entry was not observed and gets no changes.
// creators holds the channels that create missing listings. The channels
// are compared in parallel.
func Diff(ctx context.Context, in Input, observed map[string][]adapters.Listing, creators map[string]adapters.Creator) (*Plan, error) {
	d := NewDiffer(in)
	var wg sync.WaitGroup
	for _, c := range in.Channels {
		obs, ok := observed[c]
		if !ok {
			continue
		}
		wg.Go(func() {
			d.Page(c, obs)
			d.Done(c, creators[c])
		})
	}
	wg.Wait()
	return d.Plan(ctx)
}

// Differ compares the channels a page of observed listings at a time, so
// that a channel's listings can be compared while they arrive and need
// not all be held at once. For each observed channel call Page for every
// page and then Done; then Plan. Page and Done of one channel must not run
// at the same time; different channels may.
type Differ struct {
	in       Input
	channels map[string]*channelDiff
	names    []string // sorted
	// promotions are the spec's promotions by name.
	promotions map[string]*spec.Promotion

	// Each parity rule is checked by the Done of the last channel it
	// compares, or by Plan for rules some of whose channels were not
	// observed.
	parityMu   sync.Mutex
	parityLeft []int         // per rule: its channels not yet done
	parityOut  [][]Exception // per rule, once checked
	parityDone []bool
}

// channelDiff is one channel's part of a plan.
type channelDiff struct {
	name string
	spec *spec.Channel
	// desired are the channel's desired listings; products[i] is
	// desired[i]'s product and skus[i] its SKU on the channel, nil and ""
	// when the listing is not on this channel (its product has no SKU
	// here). Set by the first Page or Done, on the channel's goroutine.
	desired  []*derive.Listing
	products []*spec.Product
	skus     []string
	prepared bool
	// While walking is set, observed listings are matched by walking skus
	// in step with them: skus ascend and the channel has returned its
	// listings in SKU order so far (last is the latest SKU, next the
	// position reached). Otherwise index maps a channel SKU to its
	// position, built on first need.
	walking bool
	last    string
	next    int
	index   map[string]int32
	seen    []bool

	changes    []Change
	pend       []pending
	exceptions []Exception
	// promotions are the spec's promotions by name (shared).
	promotions map[string]*spec.Promotion
	// parity is set on channels a parity rule compares; prices then holds
	// their observed prices in the catalog currency by the product's index
	// in the catalog, and pidx[i] is desired[i]'s product index.
	parity bool
	prices []decimal.NullDecimal
	pidx   []int32
}

// pending is a field that differs and whose reason depends on history.
type pending struct {
	change Change
	key    store.FieldKey
	policy spec.DriftAction
}

// NewDiffer prepares the comparison of in's channels.
func NewDiffer(in Input) *Differ {
	d := &Differ{in: in, channels: make(map[string]*channelDiff, len(in.Channels)), promotions: map[string]*spec.Promotion{}}
	for _, p := range in.Spec.Promotions {
		d.promotions[p.Name] = p
	}
	parity := map[string]bool{}
	for _, par := range in.Spec.Parities {
		parity[par.Channel] = true
		for _, a := range par.Against {
			parity[a] = true
		}
	}
	for _, c := range in.Channels {
		if _, dup := d.channels[c]; dup {
			continue
		}
		d.names = append(d.names, c)
		cd := &channelDiff{name: c, promotions: d.promotions}
		if ch, _, ok := in.Spec.Channel(c); ok {
			cd.spec = ch
		}
		cd.parity = parity[c]
		d.channels[c] = cd
	}
	sort.Strings(d.names)
	d.parityLeft = make([]int, len(in.Spec.Parities))
	d.parityOut = make([][]Exception, len(in.Spec.Parities))
	d.parityDone = make([]bool, len(in.Spec.Parities))
	for r, par := range in.Spec.Parities {
		for _, c := range parityChannels(par) {
			if cd := d.channels[c]; cd != nil && cd.spec != nil {
				d.parityLeft[r]++
			}
		}
	}
	for i := range in.Desired.Listings {
		l := &in.Desired.Listings[i]
		if cd := d.channels[l.Channel]; cd != nil && cd.spec != nil {
			cd.desired = append(cd.desired, l)
		}
	}
	return d
}

// Page compares a page of a channel's observed listings (by the channel's
// SKU) with what the spec asks of them. The page is not retained.
func (d *Differ) Page(channel string, page []adapters.Listing) {
	cd := d.channels[channel]
	if cd == nil || cd.spec == nil {
		return
	}
	d.prepare(cd)
	for i := range page {
		o := &page[i]
		j, ok := cd.lookup(o.SKU)
		if !ok {
			if d.in.SKUs == nil {
				cd.exceptions = append(cd.exceptions, Exception{Code: CodeUnmanagedListing, Channel: channel, SKU: o.SKU, Action: "report",
					Message: fmt.Sprintf("%s lists SKU %s, which is not in the catalog", channel, o.SKU)})
			}
			continue
		}
		if cd.seen[j] {
			continue // the channel returned the listing twice
		}
		cd.seen[j] = true
		if !slices.IsSortedFunc(o.Fields, byName) {
			// The contract has fields sorted by name; an adapter that
			// returns them in the channel's order is not drift.
			sorted := *o
			sorted.Fields = slices.SortedFunc(slices.Values(o.Fields), byName)
			o = &sorted
		}
		cd.compare(j, o)
	}
}

func byName(a, b adapters.Field) int { return strings.Compare(a.Name, b.Name) }

// Done ends a channel's observation: the desired listings it did not
// return are missing, and created when the channel is a creator (nil: it is
// not) that can create them.
func (d *Differ) Done(channel string, creator adapters.Creator) {
	cd := d.channels[channel]
	if cd == nil || cd.spec == nil {
		return
	}
	d.prepare(cd)
	for i, l := range cd.desired {
		if cd.products[i] == nil || cd.seen[i] {
			continue
		}
		chSKU, _ := cd.spec.ChannelSKU(cd.products[i])
		why := "cannot create listings"
		if creator != nil {
			created := l.Listing
			created.Identifiers = Identifiers(cd.products[i])
			why = ""
			if sc, ok := creator.(adapters.SelectiveCreator); ok {
				why = sc.CannotCreate(&created)
			}
			if why == "" {
				cd.changes = append(cd.changes, Change{Channel: channel, SKU: l.SKU, Kind: adapters.KindCreate, Reason: ReasonSpec, Listing: &created})
				continue
			}
		}
		cd.exceptions = append(cd.exceptions, Exception{Code: CodeMissingListing, Channel: channel, SKU: l.SKU, Action: "report",
			Message: fmt.Sprintf("%s does not list %s (its SKU there: %s) and %s; add it on the channel", channel, l.SKU, chSKU, why)})
	}
	d.parityReady(channel)
}

// identifierColumns are the catalog columns that identify a product on a
// channel that lists offers on known products, in name order.
var identifierColumns = []string{"asin", "gtin"}

// Identifiers are the product identifiers the catalog gives for p, sorted
// by name: what a listing to create carries.
func Identifiers(p *spec.Product) []adapters.Field {
	var out []adapters.Field
	for _, name := range identifierColumns {
		if v := strings.TrimSpace(p.Column(name)); v != "" {
			out = append(out, adapters.Field{Name: name, Value: v})
		}
	}
	return out
}

// compare diffs one desired listing with what the channel shows. Values
// are compared as they are first and put in canonical text only when they
// differ there: nearly every field of a plan is in sync.
func (cd *channelDiff) compare(i int, o *adapters.Listing) {
	d, prod, ch := cd.desired[i], cd.products[i], cd.spec
	scale := ch.Scale
	differs := func(kind adapters.ChangeKind, field string, want, have adapters.Value, policy spec.DriftAction) {
		if want == have {
			return
		}
		cd.pend = append(cd.pend, pending{
			change: Change{Channel: cd.name, SKU: d.SKU, Kind: kind, Field: field, From: have, To: want, Ref: o.Ref},
			key:    store.FieldKey{Channel: cd.name, SKU: d.SKU, Field: adapters.NameOf(kind, field)},
			policy: policy,
		})
	}
	if d.Quantity.Valid {
		if d.Quantity != o.Quantity {
			differs(adapters.KindQuantity, "", adapters.QuantityValue(d.Quantity), adapters.QuantityValue(o.Quantity), ch.Drift.Quantity)
		}
		if o.Quantity.Valid && o.Quantity.Units > d.Quantity.Units {
			msg := fmt.Sprintf("lists %d; its allocation is %d", o.Quantity.Units, d.Quantity.Units)
			if d.Quantity.Units == 0 {
				msg = fmt.Sprintf("lists %d while its pool has nothing to sell", o.Quantity.Units)
			}
			cd.exceptions = append(cd.exceptions, Exception{Code: CodeOversellRisk, Channel: cd.name, SKU: d.SKU, Field: adapters.FieldQuantity,
				Observed: adapters.QuantityValue(o.Quantity), Expected: adapters.QuantityValue(d.Quantity), Message: msg})
		}
	}
	if d.Price.Valid {
		priceChanges := len(cd.pend)
		if !sameAmount(d.Price, o.Price) {
			differs(adapters.KindPrice, "", adapters.Money(d.Price, scale), adapters.Money(o.Price, scale), ch.Drift.Price)
		}
		if !sameAmount(d.CompareAt, o.CompareAt) {
			differs(adapters.KindCompareAt, "", adapters.Money(d.CompareAt, scale), adapters.Money(o.CompareAt, scale), ch.Drift.Price)
		}
		if len(cd.pend) > priceChanges {
			if sale := cd.sale(d); sale != nil {
				for k := priceChanges; k < len(cd.pend); k++ {
					cd.pend[k].change.Sale = sale
				}
			}
		}
		if o.Price.Valid {
			if cd.parity {
				cd.prices[cd.pidx[i]] = decimal.NullDecimal{Decimal: inCatalogCurrency(o.Price.Decimal, ch.FXRate), Valid: true}
			}
			if prod.MAP.Valid {
				floor := prod.MAP.Decimal
				if !isOne(ch.FXRate) {
					floor = floor.Mul(ch.FXRate)
				}
				if o.Price.Decimal.LessThan(floor) {
					cd.exceptions = append(cd.exceptions, Exception{Code: CodeMAPViolation, Channel: cd.name, SKU: d.SKU, Field: adapters.FieldPrice,
						Observed: adapters.Money(o.Price, scale), Expected: adapters.Money(decimal.NullDecimal{Decimal: floor, Valid: true}, scale),
						Message: fmt.Sprintf("listed at %s %s, under the minimum advertised price %s", o.Price.Decimal.StringFixed(scale), ch.Currency, floor.StringFixed(scale))})
				}
			}
		}
	}
	for _, f := range d.Fields {
		v, ok := o.Field(f.Name)
		if ok && v == f.Value {
			continue
		}
		have := adapters.Null
		if ok {
			have = adapters.Text(v)
		}
		differs(adapters.KindField, f.Name, adapters.Text(f.Value), have, ch.Drift.Fields)
	}
}

// sale is the promotion that sets d's price, nil when none does.
func (cd *channelDiff) sale(d *derive.Listing) *adapters.Sale {
	return SaleOf(d, cd.promotions[d.Promotion])
}

// SaleOf is the sale of promotion p on the derived listing d, nil when p
// does not set d's price.
func SaleOf(d *derive.Listing, p *spec.Promotion) *adapters.Sale {
	if d.Promotion == "" || p == nil || p.Name != d.Promotion || !d.Price.Valid || !d.CompareAt.Valid {
		return nil
	}
	return &adapters.Sale{Promotion: p.Name, Price: d.Price.Decimal, Regular: d.CompareAt.Decimal, Starts: p.Starts, Ends: p.Ends}
}

// SameSale reports whether two sales are the same: the same promotion,
// prices and window.
func SameSale(a, b *adapters.Sale) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Promotion == b.Promotion && a.Price.Equal(b.Price) && a.Regular.Equal(b.Regular) && a.Starts.Equal(b.Starts) && a.Ends.Equal(b.Ends)
}

// sameAmount reports whether two amounts are equal (so that their
// canonical text is too) without rendering them.
func sameAmount(a, b decimal.NullDecimal) bool {
	if a.Valid != b.Valid {
		return false
	}
	return !a.Valid || money.Equal(a.Decimal, b.Decimal)
}

var one = decimal.NewFromInt(1)

func isOne(d decimal.Decimal) bool { return d.IsZero() || d.Equal(one) }

// inCatalogCurrency converts a channel's amount at its fx rate (units of the
// channel's currency per catalog unit).
func inCatalogCurrency(amount, fx decimal.Decimal) decimal.Decimal {
	if isOne(fx) {
		return amount
	}
	return amount.Div(fx)
}

// Plan gathers every channel's comparison into a plan, reading the history
// for the fields that differ.
func (d *Differ) Plan(ctx context.Context) (*Plan, error) {
	s := d.in.Spec
	p := &Plan{Revision: d.in.Revision, At: d.in.Desired.At, Created: d.in.Now, Currencies: map[string]string{}}
	var pend []pending
	nChanges, nExceptions, nPend := 0, 0, 0
	for _, c := range d.names {
		cd := d.channels[c]
		nChanges += len(cd.changes)
		nExceptions += len(cd.exceptions)
		nPend += len(cd.pend)
	}
	p.Changes = make([]Change, 0, nChanges+nPend)
	p.Exceptions = make([]Exception, 0, nExceptions)
	pend = make([]pending, 0, nPend)
	for _, c := range d.names {
		cd := d.channels[c]
		p.Channels = append(p.Channels, c)
		if cd.spec != nil {
			p.Currencies[c] = cd.spec.Currency
		}
		p.Changes = append(p.Changes, cd.changes...)
		p.Exceptions = append(p.Exceptions, cd.exceptions...)
		pend = append(pend, cd.pend...)
	}
	if err := classify(ctx, d.in.History, pend, p); err != nil {
		return nil, err
	}
	d.parityMu.Lock()
	for r, par := range s.Parities {
		if !d.parityDone[r] {
			d.parityDone[r] = true
			d.parityOut[r] = d.parityExceptions(par)
		}
		p.Exceptions = append(p.Exceptions, d.parityOut[r]...)
	}
	d.parityMu.Unlock()
	sortPlan(p)
	p.Blocked = guards(s, p)
	return p, nil
}

// classify gives each differing field its reason from the history.
func classify(ctx context.Context, h History, pend []pending, p *Plan) error {
	if len(pend) == 0 {
		return nil
	}
	keys := make([]store.FieldKey, len(pend))
	for i := range pend {
		keys[i] = pend[i].key
	}
	last := map[store.FieldKey]store.Applied{}
	if h != nil {
		var err error
		if last, err = h.LastApplied(ctx, keys); err != nil {
			return fmt.Errorf("plan: read last applied values: %w", err)
		}
	}
	for i := range pend {
		pc := pend[i]
		c := pc.change
		a, ok := last[pc.key]
		if !ok || a.Value != c.To {
			c.Reason = ReasonSpec
			p.Changes = append(p.Changes, c)
			continue
		}
		if pc.policy == spec.DriftIgnore {
			continue
		}
		p.Exceptions = append(p.Exceptions, Exception{Code: CodeDrift, Channel: c.Channel, SKU: c.SKU, Field: c.Name(),
			Observed: c.From, Expected: c.To, Action: string(pc.policy),
			Message: fmt.Sprintf("%s was changed on the channel outside accord (accord applied %s at %s, revision %s)", c.Name(), a.Value, a.At.UTC().Format(time.RFC3339), ShortRevision(a.Revision))})
		if pc.policy == spec.DriftCorrect {
			c.Reason = ReasonDrift
			p.Changes = append(p.Changes, c)
		}
	}
	return nil
}

// ShortRevision shortens a revision for people: "sha256:" and 12 hex
// digits, or a git commit's first 19 characters.
func ShortRevision(r string) string {
	if len(r) > 19 {
		return r[:19]
	}
	return r
}

// kindRank orders a listing's changes: creation, quantity, price,
// compare-at price, then listing fields by name.
func kindRank(k adapters.ChangeKind) int {
	switch k {
	case adapters.KindCreate:
		return 0
	case adapters.KindQuantity:
		return 1
	case adapters.KindPrice:
		return 2
	case adapters.KindCompareAt:
		return 3
	}
	return 4
}

func sortPlan(p *Plan) {
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := &p.Changes[i], &p.Changes[j]
		if a.Channel != b.Channel {
			return a.Channel < b.Channel
		}
		if a.SKU != b.SKU {
			return a.SKU < b.SKU
		}
		if ra, rb := kindRank(a.Kind), kindRank(b.Kind); ra != rb {
			return ra < rb
		}
		return a.Field < b.Field
	})
	sort.SliceStable(p.Exceptions, func(i, j int) bool {
		a, b := &p.Exceptions[i], &p.Exceptions[j]
		if a.Channel != b.Channel {
			return a.Channel < b.Channel
		}
		if a.SKU != b.SKU {
			return a.SKU < b.SKU
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Code < b.Code
	})
}
