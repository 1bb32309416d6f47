package shopee

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// priceStep is what the price writes do to one unit (see the package
// comment): leave accord's discount, set the original price, enter the
// discount, or move the discount price.
type priceStep struct {
	m                   int64
	up                  *unitPlan
	promo, original     decimal.Decimal
	del, setOrig, enter bool
	move                bool
}

// applyPrices sends the price and compare-at changes of one item.
func (c *Channel) applyPrices(ctx context.Context, p *itemPlan, out []adapters.Result) error {
	var steps []*priceStep
	for _, m := range p.models {
		up := p.units[m]
		if len(up.priceIdx) == 0 {
			continue
		}
		st, err := c.planPrice(m, up)
		if err != nil {
			up.priceErr = err
		} else if st != nil {
			steps = append(steps, st)
		}
	}
	err := c.runPriceSteps(ctx, p.item, steps)
	for _, m := range p.models {
		up := p.units[m]
		for _, i := range up.priceIdx {
			out[i].Err = up.priceErr
		}
	}
	return err
}

// planPrice works out the writes that give a unit the price and
// compare-at asked for; nil when it shows them already.
func (c *Channel) planPrice(m int64, up *unitPlan) (*priceStep, error) {
	u := up.u
	if !u.priced {
		return nil, &adapters.RejectedError{Reason: fmt.Sprintf("Shopee shows no price for %s", u.sku)}
	}
	shown := c.listing(u)
	price := shown.Price.Decimal
	if up.price != nil {
		price = *up.price
	}
	compare := shown.CompareAt
	if up.compare != nil {
		compare = *up.compare
	}
	price = price.Round(c.scale)
	if compare.Valid {
		compare.Decimal = compare.Decimal.Round(c.scale)
		if !compare.Decimal.GreaterThan(price) {
			return nil, &adapters.RejectedError{Reason: fmt.Sprintf("compare_at %s is not above the price %s: Shopee crosses out an original price above the selling price only",
				compare.Decimal.StringFixed(c.scale), price.StringFixed(c.scale))}
		}
		if c.cfg.DiscountID == 0 {
			return nil, &adapters.RejectedError{Reason: "a compare_at price on Shopee is a discount promotion: set discount_id in the channel's config to a seller discount of the shop for accord to use"}
		}
	}
	inDiscount := c.cfg.DiscountID != 0 && u.promotion == c.cfg.DiscountID
	original := price
	if compare.Valid {
		original = compare.Decimal
	}
	same := func(a, b decimal.Decimal) bool { return a.Round(c.scale).Equal(b.Round(c.scale)) }
	st := &priceStep{m: m, up: up, promo: price, original: original}
	st.del = inDiscount && (!compare.Valid || !same(original, u.original))
	st.setOrig = !same(original, u.original)
	st.enter = compare.Valid && (!inDiscount || st.del)
	st.move = compare.Valid && inDiscount && !st.del && !same(price, u.current)
	if !st.del && !st.setOrig && !st.enter && !st.move {
		return nil, nil
	}
	return st, nil
}

// locked adds to a refusal of a unit in a promotion that is not accord's
// which promotion that is.
func (c *Channel) locked(u *unit, err error) error {
	rej, ok := err.(*adapters.RejectedError) //nolint:errorlint // only a refusal made here is annotated
	if !ok || u.promotion == 0 || u.promotion == c.cfg.DiscountID {
		return err
	}
	return &adapters.RejectedError{Reason: fmt.Sprintf("%s (%s is in Shopee promotion %d, which fixes its price until it ends)", rej.Reason, u.sku, u.promotion)}
}

// runPriceSteps sends the steps of one item in order: out of the discount
// (one call a model), update_price (every model at once), into the
// discount, and discount price moves. A unit whose step fails goes no
// further. It returns a failure that stops the batch.
func (c *Channel) runPriceSteps(ctx context.Context, item int64, steps []*priceStep) error {
	if len(steps) == 0 {
		return nil
	}
	fail := func(st *priceStep, err error) { st.up.priceErr = c.locked(st.up.u, err) }
	// Out of accord's discount.
	for _, st := range steps {
		if !st.del {
			continue
		}
		body := deleteDiscountItem{DiscountID: c.cfg.DiscountID, ItemID: item}
		if st.m != 0 {
			body.ModelID = &st.m
		}
		var ans discountAnswer
		err := c.call(ctx, apiDeleteDiscount, nil, body, &ans)
		if stops(err) {
			return err
		}
		if err == nil {
			err = ans.outcome(apiDeleteDiscount.name, item, st.m)
		}
		if err != nil {
			fail(st, err)
		}
	}
	// Original prices.
	var list []priceEntry
	var models []int64
	for _, st := range steps {
		if !st.setOrig || st.up.priceErr != nil {
			continue
		}
		e := priceEntry{OriginalPrice: json.Number(st.original.StringFixed(c.scale))}
		if st.m != 0 {
			e.ModelID = &st.m
		}
		list = append(list, e)
		models = append(models, st.m)
	}
	if len(list) > 0 {
		var ans modelAnswer
		err := c.call(ctx, apiUpdatePrice, nil, struct {
			ItemID    int64        `json:"item_id"`
			PriceList []priceEntry `json:"price_list"`
		}{item, list}, &ans)
		if stops(err) {
			return err
		}
		res := ans.outcome(apiUpdatePrice.name, models, err)
		for _, st := range steps {
			if e, ok := res[st.m]; ok && e != nil && st.setOrig {
				fail(st, e)
			}
		}
	}
	// Into the discount, and price moves in it.
	for _, op := range []struct {
		api  api
		pick func(*priceStep) bool
	}{
		{apiAddDiscount, func(st *priceStep) bool { return st.enter }},
		{apiUpdateDiscount, func(st *priceStep) bool { return st.move }},
	} {
		var chosen []*priceStep
		for _, st := range steps {
			if op.pick(st) && st.up.priceErr == nil {
				chosen = append(chosen, st)
			}
		}
		if len(chosen) == 0 {
			continue
		}
		di := discountItem{ItemID: item}
		if op.api == apiAddDiscount {
			di.PurchaseLimit = new(int64) // 0: no limit (REF)
		}
		for _, st := range chosen {
			price := json.Number(st.promo.StringFixed(c.scale))
			if st.m == 0 {
				di.ItemPromotionPrice = price
				continue
			}
			di.ModelList = append(di.ModelList, discountModel{ModelID: st.m, ModelPromotionPrice: price})
		}
		var ans discountAnswer
		err := c.call(ctx, op.api, nil, discountItems{DiscountID: c.cfg.DiscountID, ItemList: []discountItem{di}}, &ans)
		if stops(err) {
			return err
		}
		for _, st := range chosen {
			e := err
			if e == nil {
				e = ans.outcome(op.api.name, item, st.m)
			}
			if e != nil {
				fail(st, e)
			}
		}
	}
	return nil
}

// priceEntry is one entry of update_price's price_list.
type priceEntry struct {
	ModelID       *int64      `json:"model_id,omitempty"`
	OriginalPrice json.Number `json:"original_price"`
}

// discountItems is add_discount_item's and update_discount_item's body.
type discountItems struct {
	DiscountID int64          `json:"discount_id"`
	ItemList   []discountItem `json:"item_list"`
}

type discountItem struct {
	ItemID             int64           `json:"item_id"`
	ItemPromotionPrice json.Number     `json:"item_promotion_price,omitempty"`
	ModelList          []discountModel `json:"model_list,omitempty"`
	PurchaseLimit      *int64          `json:"purchase_limit,omitempty"`
}

type discountModel struct {
	ModelID             int64       `json:"model_id"`
	ModelPromotionPrice json.Number `json:"model_promotion_price"`
}

// deleteDiscountItem is delete_discount_item's body.
type deleteDiscountItem struct {
	DiscountID int64  `json:"discount_id"`
	ItemID     int64  `json:"item_id"`
	ModelID    *int64 `json:"model_id,omitempty"`
}

// discountAnswer is the discount item calls' answer.
type discountAnswer struct {
	ErrorList []struct {
		ItemID      json.Number `json:"item_id"`
		ModelID     json.Number `json:"model_id"`
		FailError   string      `json:"fail_error"`
		FailMessage string      `json:"fail_message"`
	} `json:"error_list"`
}

// outcome is the refusal of one model in the answer's error_list, or nil.
func (a *discountAnswer) outcome(op string, item, model int64) error {
	for _, e := range a.ErrorList {
		it, err1 := idOf(e.ItemID)
		m := int64(0)
		if e.ModelID != "" {
			m, _ = idOf(e.ModelID)
		}
		if err1 == nil && it == item && m == model {
			return &adapters.RejectedError{Reason: fmt.Sprintf("%s: %s: %s", op, e.FailError, e.FailMessage)}
		}
	}
	return nil
}
