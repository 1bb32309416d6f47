package tiktok

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// money is an amount as TikTok sends it: a decimal string.
type money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// priceSKU is one SKU of a price update.
type priceSKU struct {
	ID        string `json:"id"`
	Price     money  `json:"price"`
	ListPrice *money `json:"list_price,omitempty"`
}

// inventorySKU is one SKU of an inventory update.
type inventorySKU struct {
	ID        string         `json:"id"`
	Inventory []warehouseQty `json:"inventory"`
}

type warehouseQty struct {
	WarehouseID string `json:"warehouse_id"`
	Quantity    int64  `json:"quantity"`
}

// partialEdit is the body of a partial edit: the product fields accord
// writes.
type partialEdit struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// inventoryErrors is the data of an inventory update answer.
type inventoryErrors struct {
	Errors []struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
		Detail  struct {
			SKUID       string `json:"sku_id"`
			ExtraErrors []struct {
				WarehouseID string `json:"warehouse_id"`
				Code        int64  `json:"code"`
				Message     string `json:"message"`
			} `json:"extra_errors"`
		} `json:"detail"`
	} `json:"errors"`
}

// target is the SKU a change goes to.
type target struct {
	product, sku string
	// price is the SKU's price when it was looked up (a list price goes
	// with the price in one update).
	price string
}

// The listing fields a partial edit writes.
var editableFields = map[string]bool{"title": true, "description": true}

// Apply sends a batch of changes: one price update, one inventory update
// and one partial edit per product at most, each carrying every change of
// its kind to the product's SKUs.
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	if err := ctx.Err(); err != nil {
		return apikit.Results(len(changes), err)
	}
	out := make([]adapters.Result, len(changes))
	reject := func(i int, format string, args ...any) {
		out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf(format, args...)}
	}
	// Check every change before any call, and find the SKUs to look up:
	// a change without a reference, a list price without its price.
	targets := make([]target, len(changes))
	var lookup []string
	needs := map[string]bool{}
	for i := range changes {
		ch := &changes[i]
		if why := check(ch); why != "" {
			reject(i, "%s", why)
			continue
		}
		if ch.Ref != "" {
			p, s, ok := parseRef(ch.Ref, ch.SKU)
			if !ok {
				reject(i, "the reference %q is not the one of TikTok SKU %s", ch.Ref, ch.SKU)
				continue
			}
			targets[i] = target{product: p, sku: s}
		}
		if (ch.Ref == "" || ch.Kind == adapters.KindCompareAt) && !needs[ch.SKU] {
			needs[ch.SKU] = true
			lookup = append(lookup, ch.SKU)
		}
	}
	if len(lookup) > 0 {
		found, err := c.lookup(ctx, lookup)
		for i := range changes {
			ch := &changes[i]
			if out[i].Err != nil || !needs[ch.SKU] {
				continue
			}
			t, ok := found[ch.SKU]
			switch {
			case err != nil:
				out[i].Err = err
			case !ok:
				reject(i, "%s is not listed on TikTok Shop", ch.SKU)
			case targets[i].product != "" && (targets[i].product != t.product || targets[i].sku != t.sku):
				reject(i, "the reference %q is not the one of TikTok SKU %s", ch.Ref, ch.SKU)
			default:
				targets[i] = t
			}
		}
	}
	b := newBatch()
	for i := range changes {
		if out[i].Err == nil {
			b.add(i, &changes[i], targets[i])
		}
	}
	for _, pid := range b.order {
		c.sendPrices(ctx, pid, b.prices[pid], changes, out)
		c.sendInventory(ctx, pid, b.inventory[pid], out)
		c.sendEdit(ctx, pid, b.edits[pid], changes, out)
	}
	return out
}

// check says why a change cannot be sent ("" when it can).
func check(ch *adapters.Change) string {
	switch ch.Kind {
	case adapters.KindQuantity:
		n, err := ch.To.Int()
		if err != nil {
			return fmt.Sprintf("quantity %s is not a whole number", ch.To)
		}
		if n < 0 || n > maxQuantity {
			return fmt.Sprintf("quantity %d is outside TikTok Shop's 0 to %d", n, maxQuantity)
		}
	case adapters.KindPrice, adapters.KindCompareAt:
		if !ch.To.Set {
			if ch.Kind == adapters.KindPrice {
				return "a TikTok Shop SKU must have a price"
			}
			return "TikTok Shop's price update documents no way to remove a list price"
		}
		d, err := ch.To.Decimal()
		if err != nil || !d.Decimal.IsPositive() {
			return fmt.Sprintf("%s %s is not a positive amount", ch.Name(), ch.To)
		}
	case adapters.KindField:
		if !editableFields[ch.Field] {
			return fmt.Sprintf("accord writes TikTok Shop's title and description, not %s", ch.Field)
		}
		if !ch.To.Set || strings.TrimSpace(ch.To.Text) == "" {
			return fmt.Sprintf("a TikTok Shop product's %s cannot be removed", ch.Field)
		}
	case adapters.KindCreate:
		return "the tiktok adapter does not create listings"
	default:
		return fmt.Sprintf("unknown change kind %s", ch.Kind)
	}
	return ""
}

// lookup finds the product, SKU and price of each seller SKU with a
// product search.
func (c *Channel) lookup(ctx context.Context, skus []string) (map[string]target, error) {
	found := map[string]target{}
	want := map[string]bool{}
	for _, s := range skus {
		want[s] = true
	}
	for start := 0; start < len(skus); start += maxPageSize {
		body := searchBody{SellerSKUs: skus[start:min(start+maxPageSize, len(skus))]}
		err := c.searchPages(ctx, body, func(ps []product) error {
			for _, p := range ps {
				if p.Status == "DELETED" {
					continue
				}
				for _, s := range p.Skus {
					if want[s.SellerSKU] {
						found[s.SellerSKU] = target{product: p.ID, sku: s.ID, price: s.Price.TaxExclusivePrice}
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return found, nil
}

// batch is a batch's changes grouped by product and kind, products in the
// order first named.
type batch struct {
	order     []string
	seen      map[string]bool
	prices    map[string][]*pricing
	inventory map[string][]*stocking
	edits     map[string]*editing
}

type pricing struct {
	sku               string
	price, listPrice  string // "" when not changed
	current           string // the looked-up price, for a list price alone
	priceIdx, listIdx []int
}

type stocking struct {
	sku string
	qty int64
	idx []int
}

type editing struct {
	fields map[string]string
	idx    map[string][]int
}

func newBatch() *batch {
	return &batch{seen: map[string]bool{}, prices: map[string][]*pricing{}, inventory: map[string][]*stocking{}, edits: map[string]*editing{}}
}

func (b *batch) add(i int, ch *adapters.Change, t target) {
	if !b.seen[t.product] {
		b.seen[t.product] = true
		b.order = append(b.order, t.product)
	}
	switch ch.Kind {
	case adapters.KindQuantity:
		n, _ := ch.To.Int()
		for _, s := range b.inventory[t.product] {
			if s.sku == t.sku {
				s.qty, s.idx = n, append(s.idx, i)
				return
			}
		}
		b.inventory[t.product] = append(b.inventory[t.product], &stocking{sku: t.sku, qty: n, idx: []int{i}})
	case adapters.KindPrice, adapters.KindCompareAt:
		var p *pricing
		for _, x := range b.prices[t.product] {
			if x.sku == t.sku {
				p = x
			}
		}
		if p == nil {
			p = &pricing{sku: t.sku}
			b.prices[t.product] = append(b.prices[t.product], p)
		}
		if t.price != "" {
			p.current = t.price
		}
		if ch.Kind == adapters.KindPrice {
			p.price, p.priceIdx = ch.To.Text, append(p.priceIdx, i)
		} else {
			p.listPrice, p.listIdx = ch.To.Text, append(p.listIdx, i)
		}
	case adapters.KindField:
		e := b.edits[t.product]
		if e == nil {
			e = &editing{fields: map[string]string{}, idx: map[string][]int{}}
			b.edits[t.product] = e
		}
		e.fields[ch.Field] = ch.To.Text
		e.idx[ch.Field] = append(e.idx[ch.Field], i)
	}
}

// amount writes an amount as TikTok takes it: a decimal string at the
// currency's places.
func (c *Channel) amount(text string) string {
	d, err := decimal.NewFromString(text)
	if err != nil {
		return text
	}
	return d.StringFixed(c.scale)
}

func (c *Channel) sendPrices(ctx context.Context, pid string, ps []*pricing, changes []adapters.Change, out []adapters.Result) {
	if len(ps) == 0 {
		return
	}
	var body struct {
		SKUs []priceSKU `json:"skus"`
	}
	var idx []int
	for _, p := range ps {
		amount := p.price
		if amount == "" {
			amount = p.current
		}
		if amount == "" {
			for _, i := range p.listIdx {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("TikTok Shop sets a list price with the price, and %s's price is unknown", changes[i].SKU)}
			}
			continue
		}
		s := priceSKU{ID: p.sku, Price: money{Amount: c.amount(amount), Currency: c.currency}}
		if p.listPrice != "" {
			s.ListPrice = &money{Amount: c.amount(p.listPrice), Currency: c.currency}
		}
		body.SKUs = append(body.SKUs, s)
		idx = append(append(idx, p.priceIdx...), p.listIdx...)
	}
	if len(body.SKUs) == 0 {
		return
	}
	err := c.call(ctx, opUpdatePrice, "POST", productPath+url.PathEscape(pid)+"/prices/update", nil, body, nil)
	for _, i := range idx {
		out[i].Err = err
	}
}

func (c *Channel) sendInventory(ctx context.Context, pid string, ss []*stocking, out []adapters.Result) {
	if len(ss) == 0 {
		return
	}
	var body struct {
		SKUs []inventorySKU `json:"skus"`
	}
	for _, s := range ss {
		body.SKUs = append(body.SKUs, inventorySKU{ID: s.sku, Inventory: []warehouseQty{{WarehouseID: c.cfg.WarehouseID, Quantity: s.qty}}})
	}
	var res inventoryErrors
	err := c.call(ctx, opUpdateInventory, "POST", productPath+url.PathEscape(pid)+"/inventory/update", nil, body, &res)
	var ae *apiError
	if errors.As(err, &ae) && len(ae.Data) > 0 {
		_ = json.Unmarshal(ae.Data, &res)
	}
	refused := map[string]string{}
	for _, e := range res.Errors {
		msg := fmt.Sprintf("code %d: %s", e.Code, e.Message)
		for _, x := range e.Detail.ExtraErrors {
			msg += fmt.Sprintf("; warehouse %s: code %d: %s", x.WarehouseID, x.Code, x.Message)
		}
		refused[e.Detail.SKUID] = msg
	}
	for _, s := range ss {
		var why string
		var named bool
		if why, named = refused[s.sku]; !named {
			why, named = refused[""] // an error naming no SKU is the product's
		}
		for _, i := range s.idx {
			switch {
			case named:
				out[i].Err = &adapters.RejectedError{Reason: "update inventory: " + why}
			case err != nil && len(refused) > 0:
				// The call failed naming other SKUs: whether this one
				// landed is unknown until observed.
				out[i].Err = &adapters.TemporaryError{Message: "update inventory: the product's update failed for other SKUs: " + err.Error(), Timeout: true}
			default:
				out[i].Err = err
			}
		}
	}
}

func (c *Channel) sendEdit(ctx context.Context, pid string, e *editing, changes []adapters.Change, out []adapters.Result) {
	if e == nil {
		return
	}
	var body partialEdit
	var idx []int
	for field, ids := range e.idx {
		// SKUs of one product share its title and description: changes
		// that disagree are refused together.
		agree := true
		for _, i := range ids {
			agree = agree && changes[i].To.Text == e.fields[field]
		}
		if !agree {
			for _, i := range ids {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("SKUs of TikTok product %s ask for different %ss", pid, field)}
			}
			continue
		}
		switch field {
		case "title":
			body.Title = e.fields[field]
		case "description":
			body.Description = e.fields[field]
		}
		idx = append(idx, ids...)
	}
	if len(idx) == 0 {
		return
	}
	err := c.call(ctx, opPartialEdit, "POST", productPath+url.PathEscape(pid)+"/partial_edit", nil, body, nil)
	for _, i := range idx {
		out[i].Err = err
	}
}
