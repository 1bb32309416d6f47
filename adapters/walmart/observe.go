package walmart

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// fewSKUs is how many SKUs Observe reads one by one (getAllItems?sku=,
// getInventory) rather than by reading every page and keeping those.
const fewSKUs = 20

// item is one item of getAllItems' ItemResponse, as far as accord reads it.
type item struct {
	SKU             string `json:"sku"`
	GTIN            string `json:"gtin"`
	ProductName     string `json:"productName"`
	PublishedStatus string `json:"publishedStatus"`
	Price           *struct {
		Currency string          `json:"currency"`
		Amount   decimal.Decimal `json:"amount"`
	} `json:"price"`
}

// itemsPage is getAllItems' answer.
type itemsPage struct {
	ItemResponse []item `json:"ItemResponse"`
	TotalItems   int64  `json:"totalItems"`
	NextCursor   string `json:"nextCursor"`
}

// quantity is {unit, amount}.
type quantity struct {
	Unit   string          `json:"unit"`
	Amount decimal.Decimal `json:"amount"`
}

// inventoriesPage is getMultiNodeInventoryForAllSkuAndAllShipNodes' answer.
type inventoriesPage struct {
	Meta struct {
		TotalCount decimal.Decimal `json:"totalCount"`
		NextCursor string          `json:"nextCursor"`
	} `json:"meta"`
	Elements struct {
		Inventories []struct {
			SKU   string `json:"sku"`
			Nodes []struct {
				ShipNode string    `json:"shipNode"`
				InputQty *quantity `json:"inputQty"`
			} `json:"nodes"`
		} `json:"inventories"`
	} `json:"elements"`
}

// promoValue is a price of getPromotionalPrices: {value{currency, amount}}.
type promoValue struct {
	Value *struct {
		Amount decimal.Decimal `json:"amount"`
	} `json:"value"`
}

// promoPrices is getPromotionalPrices' answer.
type promoPrices struct {
	Payload struct {
		PricingList struct {
			Pricing []struct {
				CurrentPriceType string      `json:"currentPriceType"`
				CurrentPrice     promoValue  `json:"currentPrice"`
				ComparisonPrice  *promoValue `json:"comparisonPrice"`
				EffectiveDate    *int64      `json:"effectiveDate"`
				ExpirationDate   *int64      `json:"expirationDate"`
			} `json:"pricing"`
		} `json:"pricingList"`
	} `json:"payload"`
}

// Observe reads the listings of skus (every listing when skus is empty):
// a few SKUs one by one, otherwise every page of items with the inventories
// read 50 SKUs a call beforehand.
func (c *Channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(skus) > 0 && len(skus) <= fewSKUs {
		return c.observeFew(ctx, skus, page)
	}
	var want map[string]bool
	if len(skus) > 0 {
		want = make(map[string]bool, len(skus))
		for _, s := range skus {
			want[s] = true
		}
	}
	stock, err := c.readInventories(ctx)
	if err != nil {
		return fmt.Errorf("observe %s: %w", c.name, err)
	}
	q := url.Values{"limit": {strconv.Itoa(maxPage)}, "nextCursor": {"*"}}
	seen := map[string]bool{}
	for {
		var res itemsPage
		if err := c.call(ctx, request{op: opGetAllItems, method: "GET", path: "/v3/items?" + q.Encode()}, &res); err != nil {
			if errors.Is(err, errNotFound) {
				return nil // no items at all
			}
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		out := make([]adapters.Listing, 0, len(res.ItemResponse))
		for i := range res.ItemResponse {
			it := &res.ItemResponse[i]
			if it.SKU == "" {
				return fmt.Errorf("observe %s: %w", c.name, &adapters.BadResponseError{Message: "getAllItems answered an item without a sku"})
			}
			if (want != nil && !want[it.SKU]) || seen[it.SKU] {
				continue
			}
			seen[it.SKU] = true
			l, err := c.listing(ctx, it, stock[it.SKU])
			if err != nil {
				return fmt.Errorf("observe %s: %w", c.name, err)
			}
			out = append(out, l)
		}
		if len(out) > 0 {
			if err := page(out); err != nil {
				return err
			}
		}
		if res.NextCursor == "" || len(res.ItemResponse) == 0 {
			return nil
		}
		q.Set("nextCursor", res.NextCursor)
	}
}

// observeFew reads each SKU with getAllItems?sku= and getInventory.
func (c *Channel) observeFew(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	var out []adapters.Listing
	for _, sku := range skus {
		it, err := c.getItem(ctx, sku)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		q, err := c.getInventory(ctx, sku)
		if err != nil && !errors.Is(err, errNotFound) {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		l, err := c.listing(ctx, it, q)
		if err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		out = append(out, l)
	}
	for start := 0; start < len(out); start += maxPage {
		if err := page(out[start:min(start+maxPage, len(out))]); err != nil {
			return err
		}
	}
	return nil
}

// getItem reads one item; errNotFound when the seller has no such SKU.
func (c *Channel) getItem(ctx context.Context, sku string) (*item, error) {
	var res itemsPage
	q := url.Values{"sku": {sku}}
	if err := c.call(ctx, request{op: opGetAllItems, method: "GET", path: "/v3/items?" + q.Encode()}, &res); err != nil {
		return nil, err
	}
	for i := range res.ItemResponse {
		if res.ItemResponse[i].SKU == sku {
			return &res.ItemResponse[i], nil
		}
	}
	return nil, errNotFound
}

// getInventory reads the quantity of one SKU at the ship node.
func (c *Channel) getInventory(ctx context.Context, sku string) (adapters.Quantity, error) {
	q := url.Values{"sku": {sku}}
	if c.cfg.ShipNode != "" {
		q.Set("shipNode", c.cfg.ShipNode)
	}
	var res struct {
		SKU      string    `json:"sku"`
		Quantity *quantity `json:"quantity"`
	}
	if err := c.call(ctx, request{op: opGetInventory, method: "GET", path: "/v3/inventory?" + q.Encode()}, &res); err != nil {
		return adapters.Quantity{}, err
	}
	if res.Quantity == nil {
		return adapters.Quantity{}, &adapters.BadResponseError{Message: "getInventory answered without a quantity for " + sku}
	}
	return units(res.Quantity.Amount)
}

// units is an inventory amount as a quantity; a negative one, which
// Walmart does not send, is 0.
func units(d decimal.Decimal) (adapters.Quantity, error) {
	if !d.IsInteger() {
		return adapters.Quantity{}, &adapters.BadResponseError{Message: "an inventory amount of " + d.String() + " units"}
	}
	if d.IsNegative() {
		return adapters.Quantity{Valid: true}, nil
	}
	return adapters.Quantity{Units: d.IntPart(), Valid: true}, nil
}

// readInventories reads the quantity of every SKU at the ship node.
func (c *Channel) readInventories(ctx context.Context) (map[string]adapters.Quantity, error) {
	out := map[string]adapters.Quantity{}
	q := url.Values{"limit": {strconv.Itoa(maxPage)}}
	for {
		var res inventoriesPage
		if err := c.call(ctx, request{op: opInventories, method: "GET", path: "/v3/inventories?" + q.Encode()}, &res); err != nil {
			if errors.Is(err, errNotFound) {
				return out, nil
			}
			return nil, err
		}
		for _, inv := range res.Elements.Inventories {
			sum, found := decimal.Zero, false
			var nodes []string
			for _, n := range inv.Nodes {
				if n.InputQty == nil || (c.cfg.ShipNode != "" && n.ShipNode != c.cfg.ShipNode) {
					continue
				}
				sum, found = sum.Add(n.InputQty.Amount), true
				nodes = append(nodes, n.ShipNode)
			}
			if !found {
				continue
			}
			if len(nodes) > 1 {
				// Writes go to one node (the seller's default without
				// ship_node): a sum of several would never settle.
				return nil, &adapters.ConfigError{Channel: c.name, Diags: hcl.Diagnostics{{
					Severity: hcl.DiagError, Summary: "Several ship nodes",
					Detail: fmt.Sprintf("Walmart keeps %s at %d ship nodes (%s): name the one accord manages, as ship_node = \"<node>\".",
						inv.SKU, len(nodes), strings.Join(nodes, ", ")),
				}}}
			}
			qn, err := units(sum)
			if err != nil {
				return nil, err
			}
			out[inv.SKU] = qn
		}
		if res.Meta.NextCursor == "" || len(res.Elements.Inventories) == 0 {
			return out, nil
		}
		q.Set("nextCursor", res.Meta.NextCursor)
	}
}

// listing turns an item into accord's listing, reading its promotional
// prices for the compare-at when the config says so. A SKU without an
// inventory record has 0 units.
func (c *Channel) listing(ctx context.Context, it *item, q adapters.Quantity) (adapters.Listing, error) {
	l := adapters.Listing{Key: adapters.Key{Channel: c.name, SKU: it.SKU}, Currency: c.currency}
	if !q.Valid {
		q = adapters.Quantity{Valid: true}
	}
	l.Quantity = q
	if it.Price != nil {
		l.Price = decimal.NullDecimal{Decimal: it.Price.Amount, Valid: true}
		if it.Price.Currency != "" {
			l.Currency = it.Price.Currency
		}
	}
	l.Status = strings.ToLower(it.PublishedStatus)
	if it.GTIN != "" {
		l.Fields = append(l.Fields, adapters.Field{Name: "gtin", Value: it.GTIN})
	}
	if it.ProductName != "" {
		l.Fields = append(l.Fields, adapters.Field{Name: "title", Value: it.ProductName})
	}
	l.Ref = ref(it.GTIN, it.SKU)
	if c.cfg.ReadPromotions {
		pp, err := c.getPromo(ctx, it.SKU)
		if err != nil && !errors.Is(err, errNotFound) {
			return l, err
		}
		if pp != nil {
			l.CompareAt = compareAt(pp, c.now())
		}
	}
	return l, nil
}

func (c *Channel) getPromo(ctx context.Context, sku string) (*promoPrices, error) {
	var res promoPrices
	if err := c.call(ctx, request{op: opGetPromo, method: "GET", path: "/v3/promo/sku/" + escapePath(sku)}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// compareAt is the comparison price of the promotion in effect at t
// (effectiveDate <= t < expirationDate), else of the BASE price.
func compareAt(pp *promoPrices, t time.Time) decimal.NullDecimal {
	ms := t.UnixMilli()
	var base decimal.NullDecimal
	for _, p := range pp.Payload.PricingList.Pricing {
		if p.ComparisonPrice == nil || p.ComparisonPrice.Value == nil {
			continue
		}
		cmp := decimal.NullDecimal{Decimal: p.ComparisonPrice.Value.Amount, Valid: true}
		if p.CurrentPriceType == "BASE" {
			base = cmp
			continue
		}
		if p.EffectiveDate != nil && ms < *p.EffectiveDate || p.ExpirationDate != nil && ms >= *p.ExpirationDate {
			continue
		}
		return cmp
	}
	return base
}

// basePrice is the BASE price of getPromotionalPrices' answer.
func basePrice(pp *promoPrices) (decimal.Decimal, bool) {
	for _, p := range pp.Payload.PricingList.Pricing {
		if p.CurrentPriceType == "BASE" && p.CurrentPrice.Value != nil {
			return p.CurrentPrice.Value.Amount, true
		}
	}
	return decimal.Decimal{}, false
}

// ref is the adapter reference of a listing: "GTIN:SKU".
func ref(gtin, sku string) adapters.Ref { return adapters.Ref(gtin + ":" + sku) }

// parseRef splits a reference; ok is false for one that is not "GTIN:SKU".
func parseRef(r adapters.Ref) (gtin, sku string, ok bool) {
	return strings.Cut(string(r), ":")
}

// escapePath escapes a path segment as Walmart asks: every reserved
// character, @ included, percent-encoded.
func escapePath(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "@", "%40")
}
