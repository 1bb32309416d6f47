package walmart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// money is Walmart's {currency, amount}; amount a JSON number written
// exactly.
type money struct {
	Currency string      `json:"currency"`
	Amount   json.Number `json:"amount"`
}

// pricing is one entry of a price body's pricing[].
type pricing struct {
	CurrentPriceType    string `json:"currentPriceType"`
	CurrentPrice        money  `json:"currentPrice"`
	ComparisonPriceType string `json:"comparisonPriceType,omitempty"`
	ComparisonPrice     *money `json:"comparisonPrice,omitempty"`
	EffectiveDate       string `json:"effectiveDate,omitempty"`
	ExpirationDate      string `json:"expirationDate,omitempty"`
	ProcessMode         string `json:"processMode,omitempty"`
}

// priceBody is PUT /v3/price's body, and one entry of a price feed.
type priceBody struct {
	SKU     string    `json:"sku"`
	Pricing []pricing `json:"pricing"`
}

// inventoryBody is PUT /v3/inventory's body, and one entry of an inventory
// feed.
type inventoryBody struct {
	SKU      string `json:"sku"`
	Quantity struct {
		Unit   string `json:"unit"`
		Amount int64  `json:"amount"`
	} `json:"quantity"`
}

// maintenanceItem is one MPItem of an MP_MAINTENANCE feed.
type maintenanceItem struct {
	Orderable struct {
		SKU                string `json:"sku"`
		ProductIdentifiers struct {
			ProductIDType string `json:"productIdType"`
			ProductID     string `json:"productId"`
		} `json:"productIdentifiers"`
		ProductName string `json:"productName,omitempty"`
	} `json:"Orderable"`
}

// skuPlan is what one SKU's changes send.
type skuPlan struct {
	sku string
	ref adapters.Ref
	// qty is the quantity to set (qtyIdx the changes).
	qty    *int64
	qtyIdx []int
	// price and cmp are the BASE price and its comparison price (cmp
	// zero: remove it); priceIdx the changes.
	price, cmp *decimal.Decimal
	priceIdx   []int
	// sale is a promotion's price, saleIdx its changes.
	sale    *adapters.Sale
	saleIdx []int
	// title is a new productName, titleIdx its change.
	title    *string
	titleIdx []int
}

func (c *Channel) amount(d decimal.Decimal) json.Number {
	return json.Number(d.StringFixed(c.scale))
}

func (c *Channel) money(d decimal.Decimal) money {
	return money{Currency: c.currency, Amount: c.amount(d)}
}

// Apply sends changes: one call per SKU and kind, or, above the feed
// threshold, quantities by inventory feed and prices by price feed. A
// title always goes by MP_MAINTENANCE feed (Walmart has no single-item
// content call) and a promotion always by updatePromotionalPrices
// (promotion feeds are limited to 6 a day). Every change sent by feed
// carries one submission naming its feeds (see Confirm).
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	if err := ctx.Err(); err != nil {
		return apikit.Results(len(changes), err)
	}
	out := make([]adapters.Result, len(changes))
	plans := c.plan(changes, out)
	byFeed := len(changes) > c.cfg.FeedThreshold
	// The changes that need a read first.
	for _, p := range plans {
		if err := c.complete(ctx, p); err != nil {
			p.fail(out, err)
		}
	}
	var feeds []feedPart
	var stop error // a failure of the whole channel: nothing more is sent
	for _, p := range plans {
		if stop != nil {
			p.fail(out, stop)
			continue
		}
		if p.sale != nil && out[p.saleIdx[0]].Err == nil {
			stop = c.sendOne(ctx, out, p.saleIdx, c.putPromo(ctx, p))
		}
		if stop == nil && p.qty != nil && !byFeed && out[p.qtyIdx[0]].Err == nil {
			stop = c.sendOne(ctx, out, p.qtyIdx, c.putInventory(ctx, p.sku, *p.qty))
		}
		if stop == nil && p.price != nil && !byFeed && out[p.priceIdx[0]].Err == nil {
			stop = c.sendOne(ctx, out, p.priceIdx, c.putPrice(ctx, c.priceBody(p)))
		}
		if stop != nil {
			p.fail(out, stop)
		}
	}
	if stop != nil {
		return out
	}
	// The feeds, each type apart, merged with what other applies wait to
	// send.
	add := func(feedType string, idx []int, entry any) {
		if len(idx) == 0 || out[idx[0]].Err != nil {
			return
		}
		raw, err := json.Marshal(entry)
		if err != nil {
			for _, i := range idx {
				out[i].Err = err
			}
			return
		}
		k := len(feeds) - 1
		for k >= 0 && feeds[k].feedType != feedType {
			k--
		}
		if k < 0 {
			feeds = append(feeds, feedPart{feedType: feedType})
			k = len(feeds) - 1
		}
		feeds[k].entries = append(feeds[k].entries, feedEntry{sku: strings.Clone(entryKey(feedType, raw)), raw: raw})
		feeds[k].idx = append(feeds[k].idx, idx...)
	}
	for _, p := range plans {
		if byFeed && p.qty != nil {
			var b inventoryBody
			b.SKU, b.Quantity.Unit, b.Quantity.Amount = p.sku, "EACH", *p.qty
			add("inventory", p.qtyIdx, b)
		}
		if byFeed && p.price != nil {
			add("price", p.priceIdx, c.priceBody(p))
		}
		if p.title != nil {
			gtin, _, _ := parseRef(p.ref)
			var m maintenanceItem
			m.Orderable.SKU, m.Orderable.ProductName = p.sku, *p.title
			m.Orderable.ProductIdentifiers.ProductIDType, m.Orderable.ProductIdentifiers.ProductID = "GTIN", gtin
			add("MP_MAINTENANCE", p.titleIdx, m)
		}
	}
	c.submitFeeds(ctx, feeds, out)
	return out
}

// entryKey is the SKU a feed entry is for (entries of one SKU merge, the
// last one winning).
func entryKey(_ string, raw []byte) string {
	var e struct {
		SKU       string `json:"sku"`
		Orderable struct {
			SKU string `json:"sku"`
		} `json:"Orderable"`
	}
	_ = json.Unmarshal(raw, &e)
	if e.SKU != "" {
		return e.SKU
	}
	return e.Orderable.SKU
}

// sendOne sets the Results of one call's changes and returns the error
// that stops the apply (nil for a refusal of this SKU alone).
func (c *Channel) sendOne(_ context.Context, out []adapters.Result, idx []int, err error) error {
	if errors.Is(err, errNotFound) {
		err = &adapters.RejectedError{Reason: "the SKU is not set up on Walmart: accord does not create Walmart items"}
	}
	for _, i := range idx {
		out[i].Err = err
	}
	var rej *adapters.RejectedError
	if err == nil || errors.As(err, &rej) {
		return nil
	}
	return err
}

// fail sets err on every change of p not failed already.
func (p *skuPlan) fail(out []adapters.Result, err error) {
	for _, idx := range [][]int{p.qtyIdx, p.priceIdx, p.saleIdx, p.titleIdx} {
		for _, i := range idx {
			if out[i].Err == nil && out[i].Submission == "" {
				out[i].Err = err
			}
		}
	}
}

// plan groups the changes by SKU; a change refused before sending has its
// Result set and is left out.
func (c *Channel) plan(changes []adapters.Change, out []adapters.Result) []*skuPlan {
	var plans []*skuPlan
	bySKU := map[string]*skuPlan{}
	reject := func(i int, format string, args ...any) {
		out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf(format, args...)}
	}
	for i := range changes {
		ch := &changes[i]
		if ch.Ref != "" {
			if _, sku, ok := parseRef(ch.Ref); !ok || sku != ch.SKU {
				reject(i, "the change to %s carries the reference %q of another listing", ch.SKU, ch.Ref)
				continue
			}
		}
		p, ok := bySKU[ch.SKU]
		if !ok {
			p = &skuPlan{sku: ch.SKU}
		}
		if ch.Ref != "" {
			p.ref = ch.Ref
		}
		switch {
		case ch.Kind == adapters.KindCreate:
			reject(i, "creating %s: accord does not create Walmart items (set them up in Seller Center or by item feed)", ch.SKU)
			continue
		case ch.Sale != nil && (ch.Kind == adapters.KindPrice || ch.Kind == adapters.KindCompareAt):
			sl := ch.Sale
			if !sl.Price.IsPositive() || !sl.Regular.GreaterThan(sl.Price) || !sl.Starts.Before(sl.Ends) {
				reject(i, "the sale of %s (%s, regular %s, %s to %s) is not a price under the regular price over a window", ch.SKU,
					sl.Price, sl.Regular, sl.Starts.Format(time.RFC3339), sl.Ends.Format(time.RFC3339))
				continue
			}
			if p.sale != nil && (!p.sale.Price.Equal(sl.Price) || !p.sale.Regular.Equal(sl.Regular) || !p.sale.Starts.Equal(sl.Starts) || !p.sale.Ends.Equal(sl.Ends)) {
				reject(i, "two changes to %s carry different sales", ch.SKU)
				continue
			}
			p.sale = sl
			p.saleIdx = append(p.saleIdx, i)
		case ch.Kind == adapters.KindQuantity:
			n, err := ch.To.Int()
			if err != nil || n < 0 {
				reject(i, "quantity %s of %s: Walmart takes a whole number of units, 0 or more", ch.To, ch.SKU)
				continue
			}
			if p.qty != nil && *p.qty != n {
				reject(i, "two changes to %s set its quantity differently", ch.SKU)
				continue
			}
			p.qty = &n
			p.qtyIdx = append(p.qtyIdx, i)
		case ch.Kind == adapters.KindPrice:
			d, err := ch.To.Decimal()
			if err != nil || !d.Valid || !d.Decimal.IsPositive() {
				reject(i, "price %s of %s: Walmart takes a price above 0", ch.To, ch.SKU)
				continue
			}
			p.price = &d.Decimal
			p.priceIdx = append(p.priceIdx, i)
		case ch.Kind == adapters.KindCompareAt:
			d, err := ch.To.Decimal()
			if err != nil || d.Valid && !d.Decimal.IsPositive() {
				reject(i, "compare-at price %s of %s: Walmart takes a comparison price above 0", ch.To, ch.SKU)
				continue
			}
			cmp := d.Decimal // zero when null: removes the comparison price
			p.cmp = &cmp
			p.priceIdx = append(p.priceIdx, i)
		case ch.Kind == adapters.KindField && ch.Field == "title":
			if !ch.To.Set || ch.To.Text == "" {
				reject(i, "the title of %s cannot be removed on Walmart", ch.SKU)
				continue
			}
			t := ch.To.Text
			p.title = &t
			p.titleIdx = []int{i}
		case ch.Kind == adapters.KindField:
			reject(i, "%s cannot be set on Walmart by accord: it sets the title alone of an item's content", ch.Field)
			continue
		default:
			reject(i, "%s: unknown change kind %s", ch.SKU, ch.Kind)
			continue
		}
		if !ok {
			bySKU[ch.SKU] = p
			plans = append(plans, p)
		}
	}
	return plans
}

// complete reads what p's writes need and its changes do not give: the
// BASE price beside a comparison price alone, the GTIN of a title change
// without a reference.
func (c *Channel) complete(ctx context.Context, p *skuPlan) error {
	if p.cmp != nil && p.price == nil {
		pp, err := c.getPromo(ctx, p.sku)
		if errors.Is(err, errNotFound) {
			return &adapters.RejectedError{Reason: p.sku + " is not set up on Walmart"}
		}
		if err != nil {
			return fmt.Errorf("reading the price of %s: %w", p.sku, err)
		}
		base, ok := basePrice(pp)
		if !ok {
			return &adapters.BadResponseError{Message: "getPromotionalPrices answered no BASE price for " + p.sku}
		}
		p.price = &base
	}
	if gtin, _, _ := parseRef(p.ref); p.title != nil && gtin == "" {
		it, err := c.getItem(ctx, p.sku)
		if errors.Is(err, errNotFound) {
			return &adapters.RejectedError{Reason: p.sku + " is not set up on Walmart"}
		}
		if err != nil {
			return fmt.Errorf("reading the GTIN of %s: %w", p.sku, err)
		}
		if it.GTIN == "" {
			return &adapters.RejectedError{Reason: p.sku + " has no GTIN on Walmart, and a title is changed by GTIN"}
		}
		p.ref = ref(it.GTIN, p.sku)
	}
	return nil
}

func (c *Channel) priceBody(p *skuPlan) priceBody {
	e := pricing{CurrentPriceType: "BASE", CurrentPrice: c.money(*p.price)}
	if p.cmp != nil {
		m := c.money(*p.cmp)
		e.ComparisonPriceType, e.ComparisonPrice = "BASE", &m
	}
	return priceBody{SKU: p.sku, Pricing: []pricing{e}}
}

func (c *Channel) putPrice(ctx context.Context, b priceBody) error {
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return c.call(ctx, request{op: opUpdatePrice, method: "PUT", path: "/v3/price", body: raw, contentType: "application/json"}, nil)
}

// putPromo sends a sale as a promotional price: the sale's price REDUCED
// from its regular price, over its window, which Walmart starts and ends.
func (c *Channel) putPromo(ctx context.Context, p *skuPlan) error {
	sl := p.sale
	cmp := c.money(sl.Regular)
	b := priceBody{SKU: p.sku, Pricing: []pricing{{
		CurrentPriceType: "REDUCED", CurrentPrice: c.money(sl.Price),
		ComparisonPriceType: "BASE", ComparisonPrice: &cmp,
		EffectiveDate:  sl.Starts.UTC().Format(time.RFC3339),
		ExpirationDate: sl.Ends.UTC().Format(time.RFC3339),
		ProcessMode:    "UPSERT",
	}}}
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return c.call(ctx, request{op: opUpdatePromo, method: "PUT", path: "/v3/price?promo=true", body: raw, contentType: "application/json"}, nil)
}

func (c *Channel) putInventory(ctx context.Context, sku string, n int64) error {
	var b inventoryBody
	b.SKU, b.Quantity.Unit, b.Quantity.Amount = sku, "EACH", n
	raw, err := json.Marshal(b)
	if err != nil {
		return err
	}
	q := url.Values{"sku": {sku}}
	if c.cfg.ShipNode != "" {
		q.Set("shipNode", c.cfg.ShipNode)
	}
	return c.call(ctx, request{op: opPutInventory, method: "PUT", path: "/v3/inventory?" + q.Encode(), body: raw, contentType: "application/json"}, nil)
}
