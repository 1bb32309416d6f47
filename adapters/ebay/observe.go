package ebay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// The operations, by the document's operationId.
const (
	opGetItems    = "getInventoryItems"
	opGetItem     = "getInventoryItem"
	opPutItem     = "createOrReplaceInventoryItem"
	opBulkGet     = "bulkGetInventoryItem"
	opGetOffers   = "getOffers"
	opGetOffer    = "getOffer"
	opPutOffer    = "updateOffer"
	opBulkUpdate  = "bulkUpdatePriceQuantity"
	opGetOrder    = "getOrder"
	opGetKey      = "getPublicKey"
	inventoryBase = "/sell/inventory/v1"
)

// The listing fields the adapter reads (see the package comment).
const (
	fieldBrand       = "brand"
	fieldDescription = "description"
	fieldGTIN        = "gtin"
	fieldMAP         = "minimum_advertised_price"
	fieldTitle       = "title"
)

// offerReaders is how many getOffers calls one page of Observe has in
// flight: eBay has no bulk read of offers.
const offerReaders = 8

// inventoryItem is InventoryItemWithSkuLocaleGroupid as far as accord reads
// it.
type inventoryItem struct {
	SKU          string `json:"sku"`
	Availability *struct {
		ShipToLocationAvailability *struct {
			Quantity *int64 `json:"quantity"`
		} `json:"shipToLocationAvailability"`
	} `json:"availability"`
	Product *product `json:"product"`
}

// product is the document's Product as far as accord reads it. Aspects is
// declared a string but answered as an object: it is read leniently.
type product struct {
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Brand       string          `json:"brand"`
	Aspects     json.RawMessage `json:"aspects"`
	EAN         []string        `json:"ean"`
	UPC         []string        `json:"upc"`
	ISBN        []string        `json:"isbn"`
}

// aspect returns the first value of the named aspect.
func (p *product) aspect(name string) string {
	var m map[string][]string
	if json.Unmarshal(p.Aspects, &m) != nil {
		return ""
	}
	for k, vs := range m {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// amount is the document's Amount.
type amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// offer is EbayOfferDetailsWithAll as far as accord reads it.
type offer struct {
	OfferID           string `json:"offerId"`
	SKU               string `json:"sku"`
	MarketplaceID     string `json:"marketplaceId"`
	Format            string `json:"format"`
	Status            string `json:"status"`
	AvailableQuantity *int64 `json:"availableQuantity"`
	PricingSummary    *struct {
		Price                  *amount `json:"price"`
		OriginalRetailPrice    *amount `json:"originalRetailPrice"`
		MinimumAdvertisedPrice *amount `json:"minimumAdvertisedPrice"`
	} `json:"pricingSummary"`
	Listing *struct {
		ListingID     string `json:"listingId"`
		ListingStatus string `json:"listingStatus"`
	} `json:"listing"`
}

// Observe reads the listings of skus (every listing when skus is empty):
// getInventoryItems pages of 200, or bulkGetInventoryItem 25 SKUs at a
// time, and the offers of each item with getOffers.
func (c *Channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(skus) == 0 {
		return c.observeAll(ctx, page)
	}
	want := slices.Clone(skus)
	slices.Sort(want)
	want = slices.Compact(want)
	var pending []adapters.Listing
	for start := 0; start < len(want); start += maxBulk {
		items, err := c.bulkGet(ctx, want[start:min(start+maxBulk, len(want))])
		if err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		ls, err := c.listings(ctx, items)
		if err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		pending = append(pending, ls...)
		for len(pending) >= maxPageSize {
			if err := page(pending[:maxPageSize]); err != nil {
				return err
			}
			pending = slices.Clone(pending[maxPageSize:])
		}
	}
	if len(pending) > 0 {
		return page(pending)
	}
	return nil
}

// itemsPage is the document's InventoryItems.
type itemsPage struct {
	InventoryItems []inventoryItem `json:"inventoryItems"`
	Next           string          `json:"next"`
	Total          int             `json:"total"`
}

func (c *Channel) observeAll(ctx context.Context, page func([]adapters.Listing) error) error {
	q := url.Values{"limit": {strconv.Itoa(maxPageSize)}, "offset": {"0"}}
	for seen := 0; ; {
		var p itemsPage
		if _, err := c.call(ctx, request{op: opGetItems, method: http.MethodGet, base: c.cfg.Endpoint, path: inventoryBase + "/inventory_item", query: q}, &p); err != nil {
			if errors.Is(err, errNotFound) {
				return nil // a seller without inventory items
			}
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		ls, err := c.listings(ctx, p.InventoryItems)
		if err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		if len(ls) > 0 {
			if err := page(ls); err != nil {
				return err
			}
		}
		seen += len(p.InventoryItems)
		next, ok := nextPage(p.Next)
		if !ok || len(p.InventoryItems) == 0 || (p.Total > 0 && seen >= p.Total) {
			return nil
		}
		q = next
	}
}

// nextPage is the offset and limit of an answer's next URL. Only those two
// are taken: the bearer token goes to the configured endpoint, never to a
// host an answer names.
func nextPage(next string) (url.Values, bool) {
	if next == "" {
		return nil, false
	}
	u, err := url.Parse(next)
	if err != nil {
		return nil, false
	}
	q := u.Query()
	offset, err := strconv.Atoi(q.Get("offset"))
	if err != nil || offset < 0 {
		return nil, false
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > maxPageSize {
		limit = maxPageSize
	}
	return url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(offset)}}, true
}

// bulkGetAnswer is the document's BulkGetInventoryItemResponse.
type bulkGetAnswer struct {
	Responses []struct {
		StatusCode    int            `json:"statusCode"`
		SKU           string         `json:"sku"`
		InventoryItem *inventoryItem `json:"inventoryItem"`
		Errors        errorList      `json:"errors"`
	} `json:"responses"`
}

// The errors of a SKU or offer eBay does not have.
const (
	errSKUUnknown    = 25702
	errNoResource    = 25710
	errOfferNotAvail = 25713
)

// bulkGet reads up to 25 inventory items; the SKUs eBay lacks are left
// out.
func (c *Channel) bulkGet(ctx context.Context, skus []string) ([]inventoryItem, error) {
	reqs := make([]map[string]string, len(skus))
	for i, s := range skus {
		reqs[i] = map[string]string{"sku": s}
	}
	var ans bulkGetAnswer
	raw, err := c.call(ctx, request{op: opBulkGet, method: http.MethodPost, base: c.cfg.Endpoint, path: inventoryBase + "/bulk_get_inventory_item", body: map[string]any{"requests": reqs}}, &ans)
	if err != nil {
		// Every SKU unknown may come as a whole 400 or 404 of 25702s.
		if raw != nil && (raw.Status == http.StatusBadRequest || raw.Status == http.StatusNotFound) && allUnknown(errorsOf(raw.Body)) {
			return nil, nil
		}
		return nil, err
	}
	var out []inventoryItem
	for _, r := range ans.Responses {
		switch {
		case r.StatusCode == http.StatusOK && r.InventoryItem != nil:
			it := *r.InventoryItem
			if it.SKU == "" {
				it.SKU = r.SKU
			}
			out = append(out, it)
		case r.StatusCode == http.StatusNotFound || allUnknown(r.Errors):
		default:
			return nil, fmt.Errorf("%s %s: %w", opBulkGet, r.SKU, statusError(opBulkGet, r.StatusCode, r.Errors))
		}
	}
	return out, nil
}

// allUnknown reports errors that all say a SKU or offer is not there.
func allUnknown(errs errorList) bool {
	if len(errs) == 0 {
		return false
	}
	for _, e := range errs {
		if e.ErrorID != errSKUUnknown && e.ErrorID != errNoResource && e.ErrorID != errOfferNotAvail {
			return false
		}
	}
	return true
}

// offersOf reads the offers of sku on the channel's marketplace.
func (c *Channel) offersOf(ctx context.Context, sku string) ([]offer, error) {
	var ans struct {
		Offers []offer `json:"offers"`
	}
	q := url.Values{"sku": {sku}, "marketplace_id": {c.cfg.MarketplaceID}}
	raw, err := c.call(ctx, request{op: opGetOffers, method: http.MethodGet, base: c.cfg.Endpoint, path: inventoryBase + "/offer", query: q}, &ans)
	if err != nil {
		if errors.Is(err, errNotFound) || (raw != nil && raw.Status == http.StatusBadRequest && allUnknown(errorsOf(raw.Body))) {
			return nil, nil
		}
		return nil, err
	}
	return ans.Offers, nil
}

// pick is the offer that is the listing on the marketplace: the
// fixed-price one when the SKU is also auctioned.
func (c *Channel) pick(offers []offer) *offer {
	var best *offer
	for i := range offers {
		o := &offers[i]
		if o.MarketplaceID != "" && o.MarketplaceID != c.cfg.MarketplaceID {
			continue
		}
		if best == nil || (o.Format == "FIXED_PRICE" && best.Format != "FIXED_PRICE") {
			best = o
		}
	}
	return best
}

// listings reads the offers of items and makes their listings, in the
// items' order; items without an offer are not listings.
func (c *Channel) listings(ctx context.Context, items []inventoryItem) ([]adapters.Listing, error) {
	offers := make([][]offer, len(items))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, offerReaders)
	for i := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			got, err := c.offersOf(ctx, items[i].SKU)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
				return
			}
			offers[i] = got
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]adapters.Listing, 0, len(items))
	for i := range items {
		o := c.pick(offers[i])
		if o == nil {
			continue
		}
		l, err := c.listing(&items[i], o)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// listing makes the listing of an inventory item and its offer. An amount
// that is no decimal is an answer outside the document.
func (c *Channel) listing(it *inventoryItem, o *offer) (adapters.Listing, error) {
	l := adapters.Listing{Key: adapters.Key{Channel: c.name, SKU: it.SKU}, Currency: c.currency, Ref: adapters.Ref(o.OfferID)}
	var qty []int64
	if a := it.Availability; a != nil && a.ShipToLocationAvailability != nil && a.ShipToLocationAvailability.Quantity != nil {
		qty = append(qty, *a.ShipToLocationAvailability.Quantity)
	}
	if o.AvailableQuantity != nil {
		qty = append(qty, *o.AvailableQuantity)
	}
	if len(qty) > 0 {
		l.Quantity = adapters.Quantity{Units: slices.Min(qty), Valid: true}
	}
	var fields []adapters.Field
	if ps := o.PricingSummary; ps != nil {
		var err error
		if l.Price, err = money(ps.Price); err != nil {
			return l, c.badAmount(it.SKU, "price", err)
		}
		if ps.Price != nil && ps.Price.Currency != "" {
			l.Currency = ps.Price.Currency
		}
		if l.CompareAt, err = money(ps.OriginalRetailPrice); err != nil {
			return l, c.badAmount(it.SKU, "originalRetailPrice", err)
		}
		mapPrice, err := money(ps.MinimumAdvertisedPrice)
		if err != nil {
			return l, c.badAmount(it.SKU, "minimumAdvertisedPrice", err)
		}
		if mapPrice.Valid {
			fields = append(fields, adapters.Field{Name: fieldMAP, Value: mapPrice.Decimal.StringFixed(c.scale)})
		}
	}
	if p := it.Product; p != nil {
		add := func(name, v string) {
			if v != "" {
				fields = append(fields, adapters.Field{Name: name, Value: v})
			}
		}
		add(fieldTitle, p.Title)
		add(fieldDescription, p.Description)
		brand := p.Brand
		if brand == "" {
			brand = p.aspect("Brand")
		}
		add(fieldBrand, brand)
		for _, ids := range [][]string{p.EAN, p.UPC, p.ISBN} {
			if len(ids) > 0 && ids[0] != "" {
				add(fieldGTIN, ids[0])
				break
			}
		}
	}
	slices.SortFunc(fields, func(a, b adapters.Field) int { return strings.Compare(a.Name, b.Name) })
	l.Fields = fields
	l.Status = status(o)
	return l, nil
}

func (c *Channel) badAmount(sku, what string, err error) error {
	return &adapters.BadResponseError{Message: fmt.Sprintf("%s: the offer of %s has a %s that is no amount: %v", opGetOffers, sku, what, err)}
}

// money reads an Amount; nil or empty is no amount.
func money(a *amount) (decimal.NullDecimal, error) {
	if a == nil || a.Value == "" {
		return decimal.NullDecimal{}, nil
	}
	d, err := decimal.NewFromString(a.Value)
	if err != nil {
		return decimal.NullDecimal{}, err
	}
	return decimal.NullDecimal{Decimal: d, Valid: true}, nil
}

// status is the listing's status: "unpublished" for an offer not
// published, else the listing's status in lower case ("active",
// "out_of_stock", "ended").
func status(o *offer) string {
	if o.Status == "UNPUBLISHED" {
		return "unpublished"
	}
	if o.Listing != nil && o.Listing.ListingStatus != "" {
		return strings.ToLower(o.Listing.ListingStatus)
	}
	if o.Status == "" {
		return ""
	}
	return "active"
}
