package ebay

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/accordhq/accord/adapters"
)

// priceQuantity is the document's PriceQuantity.
type priceQuantity struct {
	SKU    string          `json:"sku"`
	ShipTo *shipTo         `json:"shipToLocationAvailability,omitempty"`
	Offers []offerPriceQty `json:"offers,omitempty"`
}

// shipTo is ShipToLocationAvailability with the quantity alone.
type shipTo struct {
	Quantity int64 `json:"quantity"`
}

// offerPriceQty is the document's OfferPriceQuantity.
type offerPriceQty struct {
	OfferID           string  `json:"offerId"`
	AvailableQuantity *int64  `json:"availableQuantity,omitempty"`
	Price             *amount `json:"price,omitempty"`
}

// bulkAnswer is the document's BulkPriceQuantityResponse.
type bulkAnswer struct {
	Responses []struct {
		SKU        string    `json:"sku"`
		OfferID    string    `json:"offerId"`
		StatusCode int       `json:"statusCode"`
		Errors     errorList `json:"errors"`
	} `json:"responses"`
}

// entry is one SKU's request of a bulk update.
type entry struct {
	g   *group
	req priceQuantity
}

// entryOf is what a group still needs of a bulk update: the quantity and
// price that no PUT of the group set. Nil when it needs nothing.
func (c *Channel) entryOf(g *group) *entry {
	if g.failed != nil {
		return nil
	}
	e := &entry{g: g, req: priceQuantity{SKU: g.sku}}
	if g.qty != nil && !g.itemPut {
		e.req.ShipTo = &shipTo{Quantity: *g.qty}
	}
	op := offerPriceQty{OfferID: g.offerID}
	if g.qty != nil && !g.offerPut {
		op.AvailableQuantity = g.qty
	}
	if g.price != nil && !g.offerPut {
		op.Price = &amount{Currency: c.currency, Value: g.price.StringFixed(c.scale)}
	}
	if op.AvailableQuantity != nil || op.Price != nil {
		e.req.Offers = []offerPriceQty{op}
	}
	if e.req.ShipTo == nil && e.req.Offers == nil {
		return nil
	}
	return e
}

// bulkUpdate sends what the groups still need in bulkUpdatePriceQuantity
// calls of up to 25 SKUs (one, once eBay said it takes one; see the
// package comment) and sets each group's bulkErr.
func (c *Channel) bulkUpdate(ctx context.Context, groups map[string]*group, order []string) {
	var entries []*entry
	for _, sku := range order {
		if e := c.entryOf(groups[sku]); e != nil {
			entries = append(entries, e)
		}
	}
	for start := 0; start < len(entries); {
		size := maxBulk
		if c.singleSKU.Load() {
			size = 1
		}
		end := min(start+size, len(entries))
		c.sendBulk(ctx, entries[start:end])
		start = end
	}
}

// sendBulk sends one bulkUpdatePriceQuantity and reports whether eBay
// answered it (200 or 207). A multi-SKU call refused whole with a 400 is
// sent again one SKU a call.
func (c *Channel) sendBulk(ctx context.Context, chunk []*entry) bool {
	fail := func(err error) {
		for _, e := range chunk {
			e.g.bulkErr = err
		}
	}
	if err := ctx.Err(); err != nil {
		fail(err)
		return false
	}
	reqs := make([]priceQuantity, len(chunk))
	for i, e := range chunk {
		reqs[i] = e.req
	}
	var ans bulkAnswer
	raw, err := c.call(ctx, request{op: opBulkUpdate, method: http.MethodPost, base: c.cfg.Endpoint, path: inventoryBase + "/bulk_update_price_quantity",
		body: map[string]any{"requests": reqs}}, &ans)
	if err != nil {
		if raw != nil && raw.Status == http.StatusBadRequest && len(chunk) > 1 {
			c.log.Warn("eBay refused a bulkUpdatePriceQuantity of several SKUs; sending them one a call",
				"skus", len(chunk), "answer", describe(errorsOf(raw.Body), raw))
			took := false
			for _, e := range chunk {
				if c.sendBulk(ctx, []*entry{e}) {
					took = true
				}
			}
			if took {
				c.singleSKU.Store(true)
			}
			return false
		}
		fail(err)
		return false
	}
	for _, e := range chunk {
		e.g.bulkErr = entryResult(e, &ans)
	}
	return true
}

// entryResult is the outcome of one SKU's request by the statuses of the
// answer: the first failing status of its SKU or offer, and an unknown
// outcome when the answer does not name it.
func entryResult(e *entry, ans *bulkAnswer) error {
	seen := false
	var failures []string
	var first error
	for _, r := range ans.Responses {
		if r.SKU != e.req.SKU && (r.SKU != "" || r.OfferID != e.g.offerID) {
			continue
		}
		seen = true
		if r.StatusCode >= 200 && r.StatusCode < 300 {
			continue
		}
		err := statusError(opBulkUpdate, r.StatusCode, r.Errors)
		if first == nil {
			first = err
		}
		failures = append(failures, err.Error())
	}
	switch {
	case !seen:
		return &adapters.TemporaryError{Message: fmt.Sprintf("%s: the answer says nothing of %s", opBulkUpdate, e.req.SKU), Timeout: true}
	case len(failures) > 1:
		// Keep the first's type, with every failure in its message.
		return withMessage(first, strings.Join(failures, "; "))
	}
	return first
}

// withMessage is err, of the same type, saying msg.
func withMessage(err error, msg string) error {
	switch e := err.(type) { //nolint:errorlint // statusError's own types, unwrapped
	case *adapters.RejectedError:
		return &adapters.RejectedError{Reason: msg}
	case *adapters.TemporaryError:
		return &adapters.TemporaryError{Message: msg, Timeout: e.Timeout}
	case *adapters.ThrottledError:
		return &adapters.ThrottledError{Message: msg, RetryAfter: e.RetryAfter}
	}
	return err
}
