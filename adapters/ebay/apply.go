package ebay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// titleLimit is the most characters of Product.title ("Max Length: 80").
const titleLimit = 80

// The keys of a getInventoryItem answer that createOrReplaceInventoryItem
// takes back (InventoryItem), and of a getOffer answer that updateOffer
// takes back (EbayOfferDetailsWithId): the rest (sku, locale, groupIds,
// offerId, status, listing...) is eBay's to set.
var (
	itemKeys  = []string{"availability", "condition", "conditionDescription", "conditionDescriptors", "packageWeightAndSize", "product"}
	offerKeys = []string{"availableQuantity", "categoryId", "charity", "extendedProducerResponsibility", "hideBuyerDetails",
		"includeCatalogProductDetails", "listingDescription", "listingDuration", "listingPolicies", "listingStartDate", "lotSize",
		"merchantLocationKey", "pricingSummary", "quantityLimitPerBuyer", "regulatory", "secondaryCategoryId", "storeCategoryNames", "tax"}
)

// group is the changes of one SKU in one Apply.
type group struct {
	sku     string
	ref     adapters.Ref
	offerID string
	// qty and price are the values to set (nil: unchanged), with the
	// indexes of the changes that ask for them.
	qty      *int64
	price    *decimal.Decimal
	qtyIdx   []int
	priceIdx []int
	// itemIdx are the field changes of the inventory item (title,
	// description, brand), offerIdx those of the offer (compare_at, the
	// minimum advertised price).
	itemIdx, offerIdx []int
	// The outcome of each part: the item's PUT, the offer's PUT, the
	// bulk entry. A nil error with the landed flag unset is a part not
	// sent.
	itemErr, offerErr, bulkErr error
	itemPut, offerPut          bool // landed
	itemSent, offerSent        bool
	// failed is set when the group as a whole failed (no offer).
	failed error
}

// Apply sends the changes of one batch, grouped by SKU so that each
// listing costs as few revisions as possible (see the package comment),
// and answers one Result per change.
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	out := make([]adapters.Result, len(changes))
	if err := ctx.Err(); err != nil {
		return apikit.Results(len(changes), err)
	}
	groups, order := c.group(changes, out)
	for _, sku := range order {
		g := groups[sku]
		if err := ctx.Err(); err != nil {
			g.failed = err
			continue
		}
		c.applyGroup(ctx, g, changes)
	}
	c.bulkUpdate(ctx, groups, order)
	for _, sku := range order {
		g := groups[sku]
		set := func(idx []int, err error) {
			for _, i := range idx {
				if out[i].Err == nil {
					out[i].Err = err
				}
			}
		}
		if g.failed != nil {
			set(g.qtyIdx, g.failed)
			set(g.priceIdx, g.failed)
			set(g.itemIdx, g.failed)
			set(g.offerIdx, g.failed)
			continue
		}
		set(g.itemIdx, g.itemErr)
		set(g.offerIdx, g.offerErr)
		// A quantity lands at both levels: the item's (its PUT or the bulk
		// entry's shipToLocationAvailability) and the offer's (its PUT or
		// the bulk entry's availableQuantity).
		set(g.qtyIdx, firstErr(partErr(g.itemPut, g.bulkErr), partErr(g.offerPut, g.bulkErr)))
		set(g.priceIdx, partErr(g.offerPut, g.bulkErr))
	}
	return out
}

// partErr is the error of a part that landed by a PUT (nil) or else went
// in the bulk entry.
func partErr(put bool, bulk error) error {
	if put {
		return nil
	}
	return bulk
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// group checks each change and groups the good ones by SKU, in the order
// their SKUs first come; a change refused here gets its Result in out.
func (c *Channel) group(changes []adapters.Change, out []adapters.Result) (map[string]*group, []string) {
	groups := map[string]*group{}
	var order []string
	for i := range changes {
		ch := &changes[i]
		reject := func(format string, args ...any) {
			out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("%s %s: ", ch.SKU, ch.Name()) + fmt.Sprintf(format, args...)}
		}
		g := groups[ch.SKU]
		if g == nil {
			g = &group{sku: ch.SKU, ref: ch.Ref}
		}
		if g.ref == "" {
			g.ref = ch.Ref
		}
		switch ch.Kind {
		case adapters.KindQuantity:
			n, err := ch.To.Int()
			if err != nil || n < 0 {
				reject("eBay takes a quantity of 0 or more, not %s", ch.To)
				continue
			}
			g.qty = &n
			g.qtyIdx = append(g.qtyIdx, i)
		case adapters.KindPrice:
			d, err := ch.To.Decimal()
			if err != nil || !d.Valid || !d.Decimal.IsPositive() {
				reject("eBay takes a price above 0, not %s", ch.To)
				continue
			}
			g.price = &d.Decimal
			g.priceIdx = append(g.priceIdx, i)
		case adapters.KindCompareAt:
			if d, err := ch.To.Decimal(); err != nil || (d.Valid && !d.Decimal.IsPositive()) {
				reject("an original retail price is an amount above 0, not %s", ch.To)
				continue
			}
			g.offerIdx = append(g.offerIdx, i)
		case adapters.KindField:
			switch ch.Field {
			case fieldTitle:
				if !ch.To.Set || ch.To.Text == "" {
					reject("an eBay listing must have a title")
					continue
				}
				if n := utf8.RuneCountInString(ch.To.Text); n > titleLimit {
					reject("eBay takes titles of at most %d characters, this one has %d", titleLimit, n)
					continue
				}
				g.itemIdx = append(g.itemIdx, i)
			case fieldDescription, fieldBrand:
				g.itemIdx = append(g.itemIdx, i)
			case fieldMAP:
				if d, err := ch.To.Decimal(); err != nil || (d.Valid && !d.Decimal.IsPositive()) {
					reject("a minimum advertised price is an amount above 0, not %s", ch.To)
					continue
				}
				g.offerIdx = append(g.offerIdx, i)
			case fieldGTIN:
				reject("the gtin is the identity of the product on eBay: the adapter reads it, never changes it")
				continue
			default:
				reject("the eBay adapter manages the fields title, description, brand and minimum_advertised_price, not %q", ch.Field)
				continue
			}
		case adapters.KindCreate:
			reject("the eBay adapter does not create listings (an offer needs business policies and a publish step)")
			continue
		default:
			reject("unknown kind of change %s", ch.Kind)
			continue
		}
		if _, ok := groups[ch.SKU]; !ok {
			groups[ch.SKU] = g
			order = append(order, ch.SKU)
		}
	}
	return groups, order
}

// applyGroup finds the group's offer and sends its item and offer PUTs;
// its quantity and price wait for the bulk update.
func (c *Channel) applyGroup(ctx context.Context, g *group, changes []adapters.Change) {
	g.offerID = string(g.ref)
	if g.offerID == "" {
		offers, err := c.offersOf(ctx, g.sku)
		if err != nil {
			g.failed = err
			return
		}
		o := c.pick(offers)
		if o == nil {
			g.failed = &adapters.RejectedError{Reason: fmt.Sprintf("%s is not listed on %s: it has no offer there", g.sku, c.cfg.MarketplaceID)}
			return
		}
		g.offerID = o.OfferID
	}
	if len(g.itemIdx) > 0 {
		g.itemSent = true
		g.itemErr = c.putItem(ctx, g, changes)
		g.itemPut = g.itemErr == nil
	}
	if len(g.offerIdx) > 0 {
		g.offerSent = true
		g.offerErr = c.putOffer(ctx, g, changes)
		g.offerPut = g.offerErr == nil
	}
}

// getWhole reads a resource as a JSON object whose numbers stay exact.
func (c *Channel) getWhole(ctx context.Context, op, path string) (map[string]any, error) {
	var raw json.RawMessage
	if _, err := c.call(ctx, request{op: op, method: http.MethodGet, base: c.cfg.Endpoint, path: path}, &raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, &adapters.BadResponseError{Message: fmt.Sprintf("%s answered %s, not an object", op, apikit.Snippet(raw, http.Header{}))}
	}
	return m, nil
}

// keep is m with only the named keys.
func keep(m map[string]any, keys []string) map[string]any {
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// object is m[key] as an object, made when missing.
func object(m map[string]any, key string) map[string]any {
	if o, ok := m[key].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[key] = o
	return o
}

// putItem reads the inventory item, sets its fields (and its quantity,
// when it changes too) and puts it back whole.
func (c *Channel) putItem(ctx context.Context, g *group, changes []adapters.Change) error {
	path := inventoryBase + "/inventory_item/" + url.PathEscape(g.sku)
	cur, err := c.getWhole(ctx, opGetItem, path)
	if err != nil {
		return notListed(err, g.sku)
	}
	body := keep(cur, itemKeys)
	if av, ok := body["availability"].(map[string]any); ok {
		av = keep(av, []string{"pickupAtLocationAvailability", "shipToLocationAvailability"})
		if ship, ok := av["shipToLocationAvailability"].(map[string]any); ok {
			av["shipToLocationAvailability"] = keep(ship, []string{"availabilityDistributions", "quantity"})
		}
		body["availability"] = av
	}
	if g.qty != nil {
		object(object(body, "availability"), "shipToLocationAvailability")["quantity"] = *g.qty
	}
	prod := object(body, "product")
	for _, i := range g.itemIdx {
		ch := &changes[i]
		switch ch.Field {
		case fieldTitle:
			prod["title"] = ch.To.Text
		case fieldDescription:
			if ch.To.Set {
				prod["description"] = ch.To.Text
			} else {
				delete(prod, "description")
			}
		case fieldBrand:
			if ch.To.Set {
				prod["brand"] = ch.To.Text
			} else {
				delete(prod, "brand")
			}
			// A Brand aspect would be picked up as the brand again: one
			// that is there follows the brand.
			if aspects, ok := prod["aspects"].(map[string]any); ok {
				for k := range aspects {
					if !strings.EqualFold(k, "Brand") {
						continue
					}
					if ch.To.Set {
						aspects[k] = []string{ch.To.Text}
					} else {
						delete(aspects, k)
					}
				}
			}
		}
	}
	_, err = c.call(ctx, request{op: opPutItem, method: http.MethodPut, base: c.cfg.Endpoint, path: path, body: body, language: true}, nil)
	return err
}

// putOffer reads the offer, sets its original retail price and minimum
// advertised price (and its price and quantity, when they change too) and
// puts it back whole. An offer of another SKU (a reference that is not
// this listing's) is refused before anything is written.
func (c *Channel) putOffer(ctx context.Context, g *group, changes []adapters.Change) error {
	path := inventoryBase + "/offer/" + url.PathEscape(g.offerID)
	cur, err := c.getWhole(ctx, opGetOffer, path)
	if err != nil {
		return notListed(err, g.sku)
	}
	if sku, _ := cur["sku"].(string); sku != g.sku {
		return &adapters.RejectedError{Reason: fmt.Sprintf("%s: offer %s is the offer of %q, not of this listing", g.sku, g.offerID, sku)}
	}
	body := keep(cur, offerKeys)
	ps := object(body, "pricingSummary")
	amt := func(d decimal.Decimal) map[string]any {
		return map[string]any{"currency": c.currency, "value": d.StringFixed(c.scale)}
	}
	for _, i := range g.offerIdx {
		ch := &changes[i]
		key := "originalRetailPrice"
		if ch.Kind == adapters.KindField {
			key = "minimumAdvertisedPrice"
		}
		d, _ := ch.To.Decimal() // checked in group
		if d.Valid {
			ps[key] = amt(d.Decimal)
		} else {
			delete(ps, key)
			if key == "originalRetailPrice" {
				delete(ps, "originallySoldForRetailPriceOn")
			}
		}
	}
	if g.price != nil {
		ps["price"] = amt(*g.price)
	}
	if g.qty != nil {
		body["availableQuantity"] = *g.qty
	}
	_, err = c.call(ctx, request{op: opPutOffer, method: http.MethodPut, base: c.cfg.Endpoint, path: path, body: body, language: true}, nil)
	return err
}

// notListed makes a 404 a rejection: the listing is not there.
func notListed(err error, sku string) error {
	if errors.Is(err, errNotFound) {
		return &adapters.RejectedError{Reason: fmt.Sprintf("%s is not listed: %v", sku, err)}
	}
	return err
}
