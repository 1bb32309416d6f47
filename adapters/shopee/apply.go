package shopee

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// Apply sends a batch: it reads the items it changes, then for each item
// one update_item (title), one update_stock (every model's quantity) and
// the price writes (update_price and the discount calls, see the package
// comment), and answers one Result per change from the answers' success
// and failure lists.
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	out := make([]adapters.Result, len(changes))
	if err := ctx.Err(); err != nil {
		return apikit.Results(len(changes), err)
	}
	// Where each change goes, and what it sets.
	targets := make([]target, len(changes))
	var unresolved []string
	for i := range changes {
		ch := &changes[i]
		if err := c.check(ch); err != nil {
			out[i].Err = err
			continue
		}
		if ch.Ref == "" {
			unresolved = append(unresolved, ch.SKU)
			continue
		}
		item, model, err := parseRef(ch.Ref)
		if err != nil {
			out[i].Err = &adapters.RejectedError{Reason: err.Error()}
			continue
		}
		targets[i] = target{item: item, model: model, ok: true}
	}
	if len(unresolved) > 0 {
		refs, err := c.lookup(ctx, unresolved)
		for i := range changes {
			if out[i].Err != nil || targets[i].ok || changes[i].Ref != "" {
				continue
			}
			switch ref, found := refs[changes[i].SKU]; {
			case err != nil:
				out[i].Err = err
			case !found:
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("SKU %s is not listed on Shopee shop %d", changes[i].SKU, c.cfg.ShopID)}
			default:
				targets[i] = target{item: ref[0], model: ref[1], ok: true}
			}
		}
	}
	// Read the items changed: their SKUs check the references, and their
	// promotions and stock structure shape the writes.
	var ids []int64
	seenItem := map[int64]bool{}
	for i, tg := range targets {
		if tg.ok && out[i].Err == nil && !seenItem[tg.item] {
			seenItem[tg.item] = true
			ids = append(ids, tg.item)
		}
	}
	state := map[[2]int64]*unit{}
	var readErr error
	if len(ids) > 0 {
		units, err := c.readItems(ctx, ids)
		if err != nil {
			readErr = err
		}
		for k := range units {
			u := &units[k]
			state[[2]int64{u.item, u.model}] = u
		}
	}
	plans := map[int64]*itemPlan{}
	var order []int64
	for i := range changes {
		if out[i].Err != nil || !targets[i].ok {
			continue
		}
		if readErr != nil {
			out[i].Err = readErr
			continue
		}
		tg := targets[i]
		u := state[[2]int64{tg.item, tg.model}]
		switch {
		case u == nil:
			out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("Shopee has no listing %s (item or model deleted, or without a SKU) for SKU %s", makeRef(tg.item, tg.model), changes[i].SKU)}
			continue
		case u.sku != changes[i].SKU:
			out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("the reference %s is SKU %s on Shopee, not %s", u.ref(), u.sku, changes[i].SKU)}
			continue
		}
		p := plans[tg.item]
		if p == nil {
			p = &itemPlan{item: tg.item, units: map[int64]*unitPlan{}}
			plans[tg.item] = p
			order = append(order, tg.item)
		}
		up := p.units[tg.model]
		if up == nil {
			up = &unitPlan{u: u}
			p.units[tg.model] = up
			p.models = append(p.models, tg.model)
		}
		up.add(i, &changes[i])
	}
	var stop error
	for _, id := range order {
		p := plans[id]
		if stop != nil {
			p.failAll(out, stop)
			continue
		}
		c.applyItem(ctx, p, out)
		if err := p.fatal; err != nil {
			stop = err
		}
	}
	return out
}

// target is where a change goes.
type target struct {
	item, model int64
	ok          bool
}

// check refuses what the adapter cannot send, before any call.
func (c *Channel) check(ch *adapters.Change) error {
	switch ch.Kind {
	case adapters.KindQuantity:
		n, err := ch.To.Int()
		if err != nil || n < 0 {
			return &adapters.RejectedError{Reason: fmt.Sprintf("quantity %s: Shopee's seller stock is a whole number of at least 0", ch.To)}
		}
	case adapters.KindPrice:
		d, err := ch.To.Decimal()
		if err != nil || !d.Valid || !d.Decimal.IsPositive() {
			return &adapters.RejectedError{Reason: fmt.Sprintf("price %s: a Shopee price is an amount above 0", ch.To)}
		}
	case adapters.KindCompareAt:
		d, err := ch.To.Decimal()
		if err != nil || (d.Valid && !d.Decimal.IsPositive()) {
			return &adapters.RejectedError{Reason: fmt.Sprintf("compare_at %s: a Shopee price is an amount above 0", ch.To)}
		}
	case adapters.KindField:
		switch ch.Field {
		case "title":
			if !ch.To.Set || ch.To.Text == "" {
				return &adapters.RejectedError{Reason: "a Shopee item cannot be without a name"}
			}
		case "gtin":
		default:
			return &adapters.RejectedError{Reason: fmt.Sprintf("the Shopee adapter writes the title and gtin of a listing, not %s", ch.Field)}
		}
	case adapters.KindCreate:
		return &adapters.RejectedError{Reason: "the Shopee adapter does not create listings"}
	default:
		return &adapters.RejectedError{Reason: fmt.Sprintf("unknown change kind %s", ch.Kind)}
	}
	return nil
}

// lookup finds the references of skus by reading the shop.
func (c *Channel) lookup(ctx context.Context, skus []string) (map[string][2]int64, error) {
	out := map[string][2]int64{}
	err := c.Observe(ctx, skus, func(ls []adapters.Listing) error {
		for _, l := range ls {
			item, model, err := parseRef(l.Ref)
			if err == nil {
				out[l.SKU] = [2]int64{item, model}
			}
		}
		return nil
	})
	return out, err
}

// itemPlan is what one apply does to one item.
type itemPlan struct {
	item   int64
	units  map[int64]*unitPlan
	models []int64 // in the order first changed
	// fatal is a failure that stops the rest of the batch (throttling,
	// credentials, cancellation).
	fatal error
}

// unitPlan is what one apply does to one unit, and which changes ask it.
type unitPlan struct {
	u *unit

	title    *string
	titleIdx []int
	gtin     *string
	gtinIdx  []int
	qty      *int64
	qtyIdx   []int
	price    *decimal.Decimal
	compare  *decimal.NullDecimal
	priceIdx []int // price and compare_at changes

	// priceErr is the failure of the price writes so far.
	priceErr error
}

func (up *unitPlan) add(i int, ch *adapters.Change) {
	switch ch.Kind {
	case adapters.KindField:
		t := ch.To.Text
		if ch.Field == "gtin" {
			if !ch.To.Set {
				t = "00" // Shopee's "item without GTIN"
			}
			up.gtin, up.gtinIdx = &t, append(up.gtinIdx, i)
			return
		}
		up.title, up.titleIdx = &t, append(up.titleIdx, i)
	case adapters.KindQuantity:
		n, _ := ch.To.Int()
		up.qty, up.qtyIdx = &n, append(up.qtyIdx, i)
	case adapters.KindPrice:
		d, _ := ch.To.Decimal()
		up.price, up.priceIdx = &d.Decimal, append(up.priceIdx, i)
	case adapters.KindCompareAt:
		d, _ := ch.To.Decimal()
		up.compare, up.priceIdx = &d, append(up.priceIdx, i)
	}
}

// failAll sets err on every change of the plan that has no result yet.
func (p *itemPlan) failAll(out []adapters.Result, err error) {
	for _, up := range p.units {
		for _, idx := range [][]int{up.titleIdx, up.gtinIdx, up.qtyIdx, up.priceIdx} {
			for _, i := range idx {
				if out[i].Err == nil {
					out[i].Err = err
				}
			}
		}
	}
}

// stops reports a failure after which the batch goes no further.
func stops(err error) bool {
	var thr *adapters.ThrottledError
	var auth *adapters.AuthError
	return errors.As(err, &thr) || errors.As(err, &auth) || apikit.Cancelled(err)
}

// applyItem sends one item's writes.
func (c *Channel) applyItem(ctx context.Context, p *itemPlan, out []adapters.Result) {
	fatal := func(err error) bool {
		if err != nil && stops(err) {
			p.fatal = err
			p.failAll(out, err)
			return true
		}
		return false
	}
	if fatal(c.applyFields(ctx, p, out)) {
		return
	}
	if fatal(c.applyStock(ctx, p, out)) {
		return
	}
	fatal(c.applyPrices(ctx, p, out))
}

// applyFields sends the item's name and, for an item without models,
// its GTIN (one update_item): every model of an item shares its name, and
// a model's GTIN is update_model's, which the adapter does not call.
func (c *Channel) applyFields(ctx context.Context, p *itemPlan, out []adapters.Result) error {
	body := updateItem{ItemID: p.item}
	var idx []int
	conflict := false
	for _, m := range p.models {
		up := p.units[m]
		if up.gtin != nil {
			if m != 0 {
				for _, i := range up.gtinIdx {
					out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("the gtin of %s is its model's on Shopee, which the adapter does not write", up.u.sku)}
				}
			} else {
				body.GTIN, idx = up.gtin, append(idx, up.gtinIdx...)
			}
		}
		if up.title == nil {
			continue
		}
		if body.ItemName != nil && *body.ItemName != *up.title {
			conflict = true
		}
		body.ItemName, idx = up.title, append(idx, up.titleIdx...)
	}
	if conflict {
		for _, m := range p.models {
			for _, i := range p.units[m].titleIdx {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("the models of Shopee item %d share one name, and this batch gives them different titles", p.item)}
			}
		}
		body.ItemName = nil
	}
	if body.ItemName == nil && body.GTIN == nil {
		return nil
	}
	err := c.call(ctx, apiUpdateItem, nil, body, nil)
	for _, i := range idx {
		if out[i].Err == nil {
			out[i].Err = err
		}
	}
	return err
}

// updateItem is update_item's body, with only what accord sets.
type updateItem struct {
	ItemID   int64   `json:"item_id"`
	ItemName *string `json:"item_name,omitempty"`
	GTIN     *string `json:"gtin_code,omitempty"`
}

// stockEntry is one entry of update_stock's stock_list.
type stockEntry struct {
	ModelID     *int64        `json:"model_id,omitempty"`
	SellerStock []sellerStock `json:"seller_stock"`
}

type sellerStock struct {
	LocationID string `json:"location_id,omitempty"`
	Stock      int64  `json:"stock"`
}

// modelAnswer is update_price's and update_stock's answer.
type modelAnswer struct {
	SuccessList []struct {
		ModelID json.Number `json:"model_id"`
	} `json:"success_list"`
	FailureList []struct {
		ModelID      json.Number `json:"model_id"`
		FailedReason string      `json:"failed_reason"`
	} `json:"failure_list"`
}

// outcome is each model's result in a modelAnswer: nil for a success, a
// refusal with Shopee's reason, or errNotSaid. err is the call's.
func (a *modelAnswer) outcome(op string, models []int64, err error) map[int64]error {
	res := make(map[int64]error, len(models))
	for _, s := range a.SuccessList {
		if id, e := idOf(s.ModelID); e == nil {
			res[id] = nil
		}
	}
	for _, f := range a.FailureList {
		if id, e := idOf(f.ModelID); e == nil {
			res[id] = &adapters.RejectedError{Reason: op + ": " + f.FailedReason}
		}
	}
	for _, m := range models {
		if _, ok := res[m]; ok {
			continue
		}
		switch {
		case err != nil:
			res[m] = err
		default:
			// A model missing from both lists of a success: the answer
			// does not say whether it was taken.
			res[m] = &adapters.TemporaryError{Message: fmt.Sprintf("%s answered without model %d in its success or failure list", op, m), Timeout: true}
		}
	}
	return res
}

// applyStock sets the seller stock of every model of the item changed.
func (c *Channel) applyStock(ctx context.Context, p *itemPlan, out []adapters.Result) error {
	var list []stockEntry
	var models []int64
	for _, m := range p.models {
		up := p.units[m]
		if up.qty == nil {
			continue
		}
		if !up.u.stockManaged {
			for _, i := range up.qtyIdx {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("the quantity of %s is not the seller's to set: %s", up.u.sku, up.u.why)}
			}
			continue
		}
		e := stockEntry{SellerStock: []sellerStock{{LocationID: up.u.location, Stock: *up.qty}}}
		if m != 0 {
			e.ModelID = &m
		}
		list = append(list, e)
		models = append(models, m)
	}
	if len(list) == 0 {
		return nil
	}
	var ans modelAnswer
	err := c.call(ctx, apiUpdateStock, nil, struct {
		ItemID    int64        `json:"item_id"`
		StockList []stockEntry `json:"stock_list"`
	}{p.item, list}, &ans)
	if stops(err) {
		return err
	}
	res := ans.outcome("update_stock", models, err)
	for _, m := range models {
		for _, i := range p.units[m].qtyIdx {
			out[i].Err = res[m]
		}
	}
	return nil
}
