package amazon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// includedData is what Observe reads of each listing.
const includedData = "summaries,attributes,issues,offers,fulfillmentAvailability"

// fewSKUs is how many SKUs Observe reads one by one with getListingsItem
// rather than by searchListingsItems.
const fewSKUs = 3

// item is the models' Item, as far as accord reads it.
type item struct {
	SKU       string `json:"sku"`
	Summaries []struct {
		MarketplaceID string   `json:"marketplaceId"`
		ASIN          string   `json:"asin"`
		ProductType   string   `json:"productType"`
		Status        []string `json:"status"`
		ItemName      string   `json:"itemName"`
	} `json:"summaries"`
	Attributes map[string]json.RawMessage `json:"attributes"`
	Issues     []issue                    `json:"issues"`
	Offers     []struct {
		MarketplaceID string `json:"marketplaceId"`
		OfferType     string `json:"offerType"`
		Price         struct {
			CurrencyCode string          `json:"currencyCode"`
			Amount       decimal.Decimal `json:"amount"`
		} `json:"price"`
	} `json:"offers"`
	FulfillmentAvailability []struct {
		FulfillmentChannelCode string `json:"fulfillmentChannelCode"`
		Quantity               *int64 `json:"quantity"`
	} `json:"fulfillmentAvailability"`
}

// issue is the models' Issue.
type issue struct {
	Code           string   `json:"code"`
	Message        string   `json:"message"`
	Severity       string   `json:"severity"`
	AttributeNames []string `json:"attributeNames"`
	Categories     []string `json:"categories,omitempty"`
}

type searchResults struct {
	NumberOfResults int    `json:"numberOfResults"`
	Items           []item `json:"items"`
	Pagination      *struct {
		NextToken string `json:"nextToken"`
	} `json:"pagination"`
}

// Observe reads the listings of skus (every listing when skus is empty):
// searchListingsItems pages of at most 20, by identifiers when skus are
// given, or getListingsItem for a few.
func (c *Channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// identifiers is a comma-separated list: a SKU with a comma in it is
	// read on its own.
	var single, listed []string
	for _, sku := range skus {
		if strings.Contains(sku, ",") || len(skus) <= fewSKUs {
			single = append(single, sku)
		} else {
			listed = append(listed, sku)
		}
	}
	if len(single) > 0 {
		var out []adapters.Listing
		for _, sku := range single {
			it, err := c.getItem(ctx, sku, includedData)
			if errors.Is(err, errNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("observe %s: %w", c.name, err)
			}
			out = append(out, c.listing(it))
		}
		for start := 0; start < len(out); start += maxPageSize {
			if err := page(out[start:min(start+maxPageSize, len(out))]); err != nil {
				return err
			}
		}
	}
	if len(skus) > 0 {
		for start := 0; start < len(listed); start += maxPageSize {
			chunk := listed[start:min(start+maxPageSize, len(listed))]
			q := c.query()
			q.Set("identifiers", strings.Join(chunk, ","))
			q.Set("identifiersType", "SKU")
			q.Set("pageSize", fmt.Sprint(maxPageSize))
			if err := c.search(ctx, q, page); err != nil {
				return err
			}
		}
		return nil
	}
	q := c.query()
	q.Set("pageSize", fmt.Sprint(maxPageSize))
	return c.search(ctx, q, page)
}

func (c *Channel) query() url.Values {
	return url.Values{"marketplaceIds": {c.cfg.MarketplaceID}, "includedData": {includedData}}
}

func (c *Channel) search(ctx context.Context, q url.Values, page func([]adapters.Listing) error) error {
	path := "/listings/2021-08-01/items/" + url.PathEscape(c.cfg.SellerID)
	for {
		var res searchResults
		if err := c.call(ctx, opSearchListingsItems, "GET", path+"?"+q.Encode(), nil, &res); err != nil {
			if errors.Is(err, errNotFound) {
				return nil
			}
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		if len(res.Items) > 0 {
			out := make([]adapters.Listing, 0, len(res.Items))
			for i := range res.Items {
				if res.Items[i].SKU == "" {
					return fmt.Errorf("observe %s: %w", c.name, &adapters.BadResponseError{Message: "searchListingsItems answered an item without a sku"})
				}
				out = append(out, c.listing(&res.Items[i]))
			}
			if err := page(out); err != nil {
				return err
			}
		}
		if res.Pagination == nil || res.Pagination.NextToken == "" {
			return nil
		}
		q.Set("pageToken", res.Pagination.NextToken)
	}
}

func (c *Channel) getItem(ctx context.Context, sku, included string) (*item, error) {
	q := url.Values{"marketplaceIds": {c.cfg.MarketplaceID}, "includedData": {included}}
	var it item
	err := c.call(ctx, opGetListingsItem, "GET", c.itemPath(sku)+"?"+q.Encode(), nil, &it)
	if err != nil {
		return nil, err
	}
	if it.SKU == "" {
		return nil, &adapters.BadResponseError{Message: "getListingsItem answered an item without a sku"}
	}
	return &it, nil
}

func (c *Channel) itemPath(sku string) string {
	return "/listings/2021-08-01/items/" + url.PathEscape(c.cfg.SellerID) + "/" + url.PathEscape(sku)
}

// The listing fields kept under another attribute name on Amazon.
var fieldAttrs = map[string]string{"title": "item_name", "description": "product_description"}

// attrField is the reverse of fieldAttrs.
var attrField = map[string]string{"item_name": "title", "product_description": "description"}

// ignoredAttrs are the attributes that are not listing fields: what the
// change kinds set.
var ignoredAttrs = map[string]bool{"purchasable_offer": true, "fulfillment_availability": true, "list_price": true}

// attrValue is one value of an attribute as the product type schemas
// shape the simple ones: {value, marketplace_id, language_tag, currency}.
type attrValue struct {
	Value         json.RawMessage `json:"value"`
	MarketplaceID string          `json:"marketplace_id"`
}

// firstValue returns the value of attribute name for the marketplace.
func (c *Channel) firstValue(it *item, name string) (json.RawMessage, bool) {
	raw, ok := it.Attributes[name]
	if !ok {
		return nil, false
	}
	var vals []attrValue
	if json.Unmarshal(raw, &vals) != nil {
		return nil, false
	}
	for _, v := range vals {
		if (v.MarketplaceID == "" || v.MarketplaceID == c.cfg.MarketplaceID) && v.Value != nil {
			return v.Value, true
		}
	}
	return nil, false
}

// listing turns an item into accord's listing.
func (c *Channel) listing(it *item) adapters.Listing {
	l := adapters.Listing{Key: adapters.Key{Channel: c.name, SKU: it.SKU}, Currency: c.currency}
	productType := ""
	status := ""
	for _, s := range it.Summaries {
		if s.MarketplaceID != c.cfg.MarketplaceID {
			continue
		}
		productType = s.ProductType
		switch {
		case slices.Contains(s.Status, "BUYABLE"):
			status = "active"
		default:
			status = "inactive"
		}
	}
	for _, is := range it.Issues {
		if is.Severity == "ERROR" {
			status = "suppressed"
		}
	}
	l.Status = status
	for _, o := range it.Offers {
		if o.MarketplaceID == c.cfg.MarketplaceID && o.OfferType == "B2C" {
			l.Price = decimal.NullDecimal{Decimal: o.Price.Amount, Valid: true}
			if o.Price.CurrencyCode != "" {
				l.Currency = o.Price.CurrencyCode
			}
		}
	}
	afn := false
	for _, fa := range it.FulfillmentAvailability {
		// Only the merchant-fulfilled quantity is the seller's to set; an
		// FBA listing's is Amazon's and stays unmanaged.
		if fa.FulfillmentChannelCode == "DEFAULT" {
			if fa.Quantity != nil {
				l.Quantity = adapters.Quantity{Units: *fa.Quantity, Valid: true}
			}
		} else {
			afn = true
		}
	}
	l.Ref = ref(productType, it.SKU, afn && !l.Quantity.Valid)
	onSale := false
	if po, ok := c.purchasableOffer(it); ok {
		// The offer's own terms: the regular price, and a sale price in
		// effect now. A sale shows as the price, over the regular price as
		// the compare-at, as a promotion does in accord's plans.
		if our, ok := po.OurPrice.now(c.now()); ok {
			l.Price = decimal.NullDecimal{Decimal: our, Valid: true}
			if sale, ok := po.DiscountedPrice.now(c.now()); ok {
				l.Price = decimal.NullDecimal{Decimal: sale, Valid: true}
				l.CompareAt = decimal.NullDecimal{Decimal: our, Valid: true}
				onSale = true
			}
		}
	}
	if v, ok := c.firstValue(it, "list_price"); ok && !onSale {
		var d decimal.Decimal
		if json.Unmarshal(v, &d) == nil {
			l.CompareAt = decimal.NullDecimal{Decimal: d, Valid: true}
		}
	}
	for name := range it.Attributes {
		if ignoredAttrs[name] {
			continue
		}
		v, ok := c.firstValue(it, name)
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v) // a number or a boolean, as written
		}
		field := name
		if f, ok := attrField[name]; ok {
			field = f
		}
		l.Fields = append(l.Fields, adapters.Field{Name: field, Value: s})
	}
	sort.Slice(l.Fields, func(i, j int) bool { return l.Fields[i].Name < l.Fields[j].Name })
	return l
}

// purchasableOffer is one value of the purchasable_offer attribute: the
// offer's price terms (see the "Manage purchasable offer" tutorial,
// https://developer-docs.amazon.com/sp-api/docs/manage-purchasable-offer).
type purchasableOffer struct {
	MarketplaceID   string    `json:"marketplace_id"`
	Audience        string    `json:"audience"`
	OurPrice        priceTerm `json:"our_price"`
	DiscountedPrice priceTerm `json:"discounted_price"`
}

// priceTerm is our_price or discounted_price: its schedules.
type priceTerm []struct {
	Schedule []struct {
		Value   decimal.Decimal `json:"value_with_tax"`
		StartAt string          `json:"start_at"`
		EndAt   string          `json:"end_at"`
	} `json:"schedule"`
}

// now is the value of the schedule in effect at t (start_at <= t < end_at,
// an absent bound open), and whether there is one.
func (p priceTerm) now(t time.Time) (decimal.Decimal, bool) {
	for _, term := range p {
		for _, s := range term.Schedule {
			start, okStart := scheduleTime(s.StartAt)
			end, okEnd := scheduleTime(s.EndAt)
			if !okStart || !okEnd {
				continue
			}
			if (start.IsZero() || !t.Before(start)) && (end.IsZero() || t.Before(end)) {
				return s.Value, true
			}
		}
	}
	return decimal.Decimal{}, false
}

// scheduleTime reads a schedule's start_at or end_at: a date-time, or a
// date (its midnight, UTC); the zero time for none, and false for neither.
func scheduleTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// purchasableOffer is the listing's consumer offer in the marketplace.
func (c *Channel) purchasableOffer(it *item) (purchasableOffer, bool) {
	var offers []purchasableOffer
	if json.Unmarshal(it.Attributes["purchasable_offer"], &offers) != nil {
		return purchasableOffer{}, false
	}
	for _, o := range offers {
		if o.MarketplaceID == c.cfg.MarketplaceID && (o.Audience == "" || o.Audience == "ALL") {
			return o, true
		}
	}
	return purchasableOffer{}, false
}

// ref is the adapter reference of a listing: its product type and SKU,
// with "/AFN" after the product type for a listing Amazon fulfils.
func ref(productType, sku string, afn bool) adapters.Ref {
	if productType == "" {
		return ""
	}
	if afn {
		productType += afnMark
	}
	return adapters.Ref(productType + ":" + sku)
}

// afnMark marks the reference of a listing Amazon fulfils (FBA).
const afnMark = "/AFN"

// parseRef splits a reference into its product type, SKU and whether
// Amazon fulfils the listing.
func parseRef(r adapters.Ref) (productType, sku string, afn, ok bool) {
	productType, sku, ok = strings.Cut(string(r), ":")
	productType, afn = strings.CutSuffix(productType, afnMark)
	return productType, sku, afn, ok
}
