package shopify

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/accordhq/accord/adapters"
)

// userError is a mutation's userErrors entry: field is the path to the
// input that caused it ("variants", "0", "price").
type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

func (e userError) String() string {
	s := e.Message
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if len(e.Field) > 0 {
		s += " at " + strings.Join(e.Field, ".")
	}
	return s
}

// index is the position in the input list a userError's path names after
// the argument list (e.g. "variants", "quantities"), or -1.
func (e userError) index(list string) int {
	for i := 0; i+1 < len(e.Field); i++ {
		if e.Field[i] == list {
			if n, err := strconv.Atoi(e.Field[i+1]); err == nil {
				return n
			}
		}
	}
	return -1
}

// mutation is one aliased mutation of an apply request and the changes it
// carries.
type mutation struct {
	alias string
	// field is the mutation with its arguments and selection.
	field string
	// changes lists the changes' indexes; item is, for each, the position
	// of its input in the mutation's list argument (-1: the whole input).
	changes, item []int
	// list is the argument a userError's path indexes ("variants").
	list string
	// stale is the userError code of a compare-and-set that failed.
	stale string
	// atomic: an error on one input means none of the mutation landed.
	atomic bool
	// unsure: an error on one input leaves the outcome of the others
	// unknown (Shopify does not say whether the mutation is all or
	// nothing): they are settled by reading them back.
	unsure bool
}

// batch builds one apply request: a mutation document with every
// mutation aliased, and its variables.
type batch struct {
	decls []string
	vars  map[string]any
	muts  []*mutation
}

func (b *batch) variable(typ string, v any) string {
	name := "v" + strconv.Itoa(len(b.decls))
	b.decls = append(b.decls, "$"+name+": "+typ)
	b.vars[name] = v
	return "$" + name
}

func (b *batch) add(m *mutation) {
	m.alias = "m" + strconv.Itoa(len(b.muts))
	b.muts = append(b.muts, m)
}

func (b *batch) document() string {
	var sb strings.Builder
	sb.WriteString("mutation Apply(")
	sb.WriteString(strings.Join(b.decls, ", "))
	sb.WriteString(") {\n")
	for _, m := range b.muts {
		sb.WriteString("  " + m.alias + ": " + m.field + "\n")
	}
	sb.WriteString("}")
	return sb.String()
}

// newCAS reports whether the API version names the compared quantity
// changeFromQuantity and wants an @idempotent key on inventory mutations
// (2026-04 and later, per the 2026-04 changelog). The version is the one
// Shopify serves: a retired api_version falls forward to a later one.
func (c *Channel) newCAS() bool {
	return max(c.cfg.APIVersion, c.c.servedVersion()) >= "2026-04"
}

// Apply sends one batch in one request: prices, compare-at prices and
// barcodes with productVariantsBulkUpdate (one per product), quantities
// with inventorySetQuantities (one for the batch, compare-and-set), titles
// and descriptions with productUpdate (one per product) and new listings
// with productSet.
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	results := make([]adapters.Result, len(changes))
	failAll := func(err error) []adapters.Result {
		for i := range results {
			if results[i].Err == nil {
				results[i].Err = err
			}
		}
		return results
	}
	if err := ctx.Err(); err != nil {
		return failAll(err)
	}
	if len(changes) > batchSize {
		return failAll(&adapters.RejectedError{Reason: fmt.Sprintf("a request carries at most %d changes, not %d", batchSize, len(changes))})
	}
	loc, err := c.locationID(ctx)
	if err != nil {
		return failAll(fmt.Errorf("apply %s: %w", c.name, err))
	}
	targets, err := c.targets(ctx, changes, results)
	if err != nil {
		return failAll(fmt.Errorf("apply %s: %w", c.name, err))
	}
	b := &batch{vars: map[string]any{}}
	c.build(b, loc, changes, targets, results)
	if len(b.muts) == 0 {
		return results
	}
	c.log.Debug("applying", slog.Int("changes", len(changes)), slog.Int("mutations", len(b.muts)))
	var data map[string]json.RawMessage
	if err := c.c.do(ctx, true, "Apply", float64(defaultMutationCost*len(b.muts)), b.document(), b.vars, &data); err != nil {
		for _, m := range b.muts {
			for _, i := range m.changes {
				results[i].Err = fmt.Errorf("apply %s: %w", c.name, err)
			}
		}
		return results
	}
	for _, m := range b.muts {
		c.settle(m, data[m.alias], changes, results)
	}
	return results
}

// targets finds the variant of every change: its reference when it carries
// one (refused when the reference is another SKU's), else a read by SKU.
func (c *Channel) targets(ctx context.Context, changes []adapters.Change, results []adapters.Result) ([]ref, error) {
	targets := make([]ref, len(changes))
	var missing []string
	for i := range changes {
		ch := &changes[i]
		if ch.Kind == adapters.KindCreate {
			continue
		}
		if ch.Ref == "" {
			missing = append(missing, ch.SKU)
			continue
		}
		r, err := parseRef(ch.Ref)
		if err != nil {
			results[i].Err = &adapters.RejectedError{Reason: err.Error()}
			continue
		}
		if r.SKU != skuHash(ch.SKU) {
			results[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("the reference %s is another listing's, not %s's", ch.Ref, ch.SKU)}
			continue
		}
		targets[i] = r
	}
	if len(missing) == 0 {
		return targets, nil
	}
	found := map[string]ref{}
	err := c.Observe(ctx, missing, func(ls []adapters.Listing) error {
		for _, l := range ls {
			r, err := parseRef(l.Ref)
			if err != nil {
				return err
			}
			found[l.SKU] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range changes {
		ch := &changes[i]
		if ch.Kind == adapters.KindCreate || ch.Ref != "" {
			continue
		}
		r, ok := found[ch.SKU]
		if !ok {
			results[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("the store has no variant with SKU %s", ch.SKU)}
			continue
		}
		targets[i] = r
	}
	return targets, nil
}

// build adds the mutations of the changes not failed already.
func (c *Channel) build(b *batch, loc string, changes []adapters.Change, targets []ref, results []adapters.Result) {
	type variantIn struct {
		input map[string]any
		idx   []int
	}
	type productIn struct {
		variants []*variantIn
		byID     map[string]*variantIn
		fields   map[string]any
		fieldIdx []int
	}
	products := map[string]*productIn{}
	var order []string
	product := func(id string) *productIn {
		p, ok := products[id]
		if !ok {
			p = &productIn{byID: map[string]*variantIn{}, fields: map[string]any{"id": id}}
			products[id] = p
			order = append(order, id)
		}
		return p
	}
	variant := func(t ref, i int) map[string]any {
		p := product(t.Product)
		v, ok := p.byID[t.Variant]
		if !ok {
			v = &variantIn{input: map[string]any{"id": t.Variant}}
			p.byID[t.Variant] = v
			p.variants = append(p.variants, v)
		}
		v.idx = append(v.idx, i)
		return v.input
	}
	reject := func(i int, format string, args ...any) {
		results[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf(format, args...)}
	}
	var qs []quantityIn
	defer func() { c.quantities(b, loc, qs) }()
	for i := range changes {
		if results[i].Err != nil {
			continue
		}
		ch := &changes[i]
		t := targets[i]
		switch ch.Kind {
		case adapters.KindQuantity:
			to, err := ch.To.Int()
			if err != nil {
				reject(i, "quantity %s is not a whole number", ch.To)
				continue
			}
			if to < 0 {
				reject(i, "quantity %d is negative", to)
				continue
			}
			from, err := ch.From.Int()
			if err != nil {
				// No quantity was observed: the variant is not stocked at
				// the location (or accord never read it). A blind write
				// could overwrite a sale, and observing again will not
				// help: a person stocks it there or names the location.
				reject(i, "no quantity of %s was observed at location %s: stock the variant there in Shopify, or name its location in the config", ch.SKU, strings.TrimPrefix(loc, gidLocation))
				continue
			}
			qs = append(qs, quantityIn{t: t, to: to, from: from, i: i})
		case adapters.KindPrice, adapters.KindCompareAt:
			var v any
			if ch.To.Set {
				d, err := ch.To.Decimal()
				if err != nil {
					reject(i, "%s %s is not an amount", ch.Name(), ch.To)
					continue
				}
				if d.Decimal.IsNegative() {
					reject(i, "%s %s is negative", ch.Name(), ch.To)
					continue
				}
				v = d.Decimal.StringFixed(c.scale)
			} else if ch.Kind == adapters.KindPrice {
				reject(i, "a variant always has a price: it cannot be removed")
				continue
			}
			name := "price"
			if ch.Kind == adapters.KindCompareAt {
				name = "compareAtPrice"
			}
			variant(t, i)[name] = v
		case adapters.KindField:
			switch ch.Field {
			case fieldTitle:
				if !ch.To.Set || ch.To.Text == "" {
					reject(i, "a product always has a title: it cannot be removed")
					continue
				}
				p := product(t.Product)
				p.fields["title"] = ch.To.Text
				p.fieldIdx = append(p.fieldIdx, i)
			case fieldDescription:
				p := product(t.Product)
				p.fields["descriptionHtml"] = ch.To.Text
				p.fieldIdx = append(p.fieldIdx, i)
			case fieldGTIN:
				var v any
				if ch.To.Set {
					v = ch.To.Text
				}
				variant(t, i)["barcode"] = v
			default:
				reject(i, "Shopify keeps no listing field %q: the adapter manages title, description and gtin (the barcode)", ch.Field)
			}
		case adapters.KindCreate:
			c.create(b, loc, ch, i, results)
		default:
			reject(i, "a change of kind %s is not something Shopify sets", ch.Kind)
		}
	}
	for _, id := range order {
		p := products[id]
		if len(p.variants) > 0 {
			m := &mutation{list: "variants", atomic: true}
			inputs := make([]map[string]any, len(p.variants))
			for k, v := range p.variants {
				inputs[k] = v.input
				for _, i := range v.idx {
					m.changes = append(m.changes, i)
					m.item = append(m.item, k)
				}
			}
			m.field = fmt.Sprintf("productVariantsBulkUpdate(productId: %s, variants: %s) { userErrors { field message code } }",
				b.variable("ID!", id), b.variable("[ProductVariantsBulkInput!]!", inputs))
			b.add(m)
		}
		if len(p.fieldIdx) > 0 {
			m := &mutation{atomic: true, changes: p.fieldIdx, item: make([]int, len(p.fieldIdx))}
			for k := range m.item {
				m.item[k] = -1
			}
			m.field = fmt.Sprintf("productUpdate(product: %s) { userErrors { field message } }", b.variable("ProductUpdateInput", p.fields))
			b.add(m)
		}
	}
}

// quantityIn is one compare-and-set write of an available quantity: change
// i sets t's quantity from from to to.
type quantityIn struct {
	t        ref
	to, from int64
	i        int
}

// quantities adds the compare-and-set writes of the available quantities
// as one inventorySetQuantities (a mutation costs the same whatever it
// carries), or more where one inventory item would appear twice, which
// Shopify refuses (NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR). A stale
// quantity is that change's conflict; whether Shopify then set the others
// is not documented, so they are read back before anything is sent again.
func (c *Channel) quantities(b *batch, loc string, qs []quantityIn) {
	for len(qs) > 0 {
		seen := map[string]bool{}
		var now, later []quantityIn
		for _, q := range qs {
			if seen[q.t.Item] {
				later = append(later, q)
				continue
			}
			seen[q.t.Item] = true
			now = append(now, q)
		}
		c.quantityMutation(b, loc, now)
		qs = later
	}
}

// quantityMutation adds one inventorySetQuantities of qs.
func (c *Channel) quantityMutation(b *batch, loc string, qs []quantityIn) {
	stale, directive := "COMPARE_QUANTITY_STALE", ""
	if c.newCAS() {
		stale = "CHANGE_FROM_QUANTITY_STALE"
		directive = fmt.Sprintf(" @idempotent(key: %q)", newKey())
	}
	m := &mutation{list: "quantities", stale: stale, unsure: len(qs) > 1}
	list := make([]any, len(qs))
	for k, in := range qs {
		q := map[string]any{"inventoryItemId": in.t.Item, "locationId": loc, "quantity": in.to}
		if c.newCAS() {
			q["changeFromQuantity"] = in.from
		} else {
			q["compareQuantity"] = in.from
		}
		list[k] = q
		// Before it is sent: the echo may come before the answer.
		c.wrote(in.t.Item, in.to)
		m.changes = append(m.changes, in.i)
		m.item = append(m.item, k)
	}
	input := map[string]any{"name": "available", "reason": "correction", "quantities": list}
	m.field = fmt.Sprintf("inventorySetQuantities(input: %s)%s { userErrors { field message code } }",
		b.variable("InventorySetQuantitiesInput!", input), directive)
	b.add(m)
}

// create adds a productSet of a one-variant product from the listing.
func (c *Channel) create(b *batch, loc string, ch *adapters.Change, i int, results []adapters.Result) {
	l := ch.Listing
	if l == nil {
		results[i].Err = &adapters.RejectedError{Reason: "a creation without the listing to create"}
		return
	}
	title, ok := l.Field(fieldTitle)
	if !ok || title == "" {
		results[i].Err = &adapters.RejectedError{Reason: "a Shopify product needs a title: the listing has none"}
		return
	}
	if !l.Price.Valid {
		results[i].Err = &adapters.RejectedError{Reason: "a Shopify variant needs a price: the listing has none"}
		return
	}
	// A product of one variant has Shopify's default option, Title, with
	// the value Default Title.
	v := map[string]any{
		"sku":           l.SKU,
		"price":         l.Price.Decimal.StringFixed(c.scale),
		"optionValues":  []any{map[string]any{"optionName": "Title", "name": "Default Title"}},
		"inventoryItem": map[string]any{"tracked": true},
	}
	if l.CompareAt.Valid {
		v["compareAtPrice"] = l.CompareAt.Decimal.StringFixed(c.scale)
	}
	if g, ok := l.Field(fieldGTIN); ok {
		v["barcode"] = g
	}
	if l.Quantity.Valid {
		if l.Quantity.Units < 0 {
			results[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("quantity %d is negative", l.Quantity.Units)}
			return
		}
		v["inventoryQuantities"] = []any{map[string]any{"locationId": loc, "name": "available", "quantity": l.Quantity.Units}}
	}
	input := map[string]any{
		"title":          title,
		"productOptions": []any{map[string]any{"name": "Title", "values": []any{map[string]any{"name": "Default Title"}}}},
		"variants":       []any{v},
	}
	if d, ok := l.Field(fieldDescription); ok {
		input["descriptionHtml"] = d
	}
	m := &mutation{list: "variants", atomic: true, changes: []int{i}, item: []int{0}}
	m.field = fmt.Sprintf("productSet(input: %s, synchronous: true) { product { id } userErrors { field message code } }",
		b.variable("ProductSetInput!", input))
	b.add(m)
}

// settle reads one mutation's payload into its changes' results.
func (c *Channel) settle(m *mutation, raw json.RawMessage, changes []adapters.Change, results []adapters.Result) {
	var p struct {
		UserErrors []userError `json:"userErrors"`
	}
	if len(raw) == 0 || string(raw) == "null" {
		for _, i := range m.changes {
			results[i].Err = &adapters.BadResponseError{Message: fmt.Sprintf("apply %s: no answer for %s of %s", c.name, changes[i].Name(), changes[i].SKU)}
		}
		return
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		for _, i := range m.changes {
			results[i].Err = &adapters.BadResponseError{Message: fmt.Sprintf("apply %s: %v", c.name, err)}
		}
		return
	}
	if len(p.UserErrors) == 0 {
		return
	}
	// Errors by input item; -1 collects those that name none.
	byItem := map[int][]userError{}
	for _, e := range p.UserErrors {
		byItem[e.index(m.list)] = append(byItem[e.index(m.list)], e)
	}
	for k, i := range m.changes {
		errs := slices.Concat(byItem[m.item[k]], byItem[-1])
		if m.item[k] == -1 {
			errs = p.UserErrors
		}
		if len(errs) == 0 {
			switch {
			case m.atomic:
				results[i].Err = &adapters.TemporaryError{Message: fmt.Sprintf("not applied: Shopify refused another item of the same all-or-nothing %s: %s", strings.SplitN(m.field, "(", 2)[0], p.UserErrors[0])}
			case m.unsure:
				results[i].Err = &adapters.TemporaryError{Timeout: true, Message: fmt.Sprintf("outcome unknown: Shopify refused another item of the same %s (%s) and does not say whether it set the rest", strings.SplitN(m.field, "(", 2)[0], p.UserErrors[0])}
			}
			continue
		}
		stale := false
		msgs := make([]string, len(errs))
		for j, e := range errs {
			msgs[j] = e.String()
			stale = stale || (m.stale != "" && e.Code == m.stale)
		}
		if stale {
			results[i].Err = &adapters.ConflictError{}
			continue
		}
		results[i].Err = &adapters.RejectedError{Reason: strings.Join(msgs, "; ")}
	}
}

// newKey is a random UUID (version 4), an idempotency key.
func newKey() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
