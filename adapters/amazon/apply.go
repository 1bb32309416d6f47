package amazon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// patchOp is the models' PatchOperation.
type patchOp struct {
	Op    string           `json:"op"`
	Path  string           `json:"path"`
	Value []map[string]any `json:"value,omitempty"`
}

// patchRequest is the models' ListingsItemPatchRequest.
type patchRequest struct {
	ProductType string    `json:"productType"`
	Patches     []patchOp `json:"patches"`
}

// submission is the models' ListingsItemSubmissionResponse.
type submission struct {
	SKU          string  `json:"sku"`
	Status       string  `json:"status"`
	SubmissionID string  `json:"submissionId"`
	Issues       []issue `json:"issues"`
}

// putRequest is the models' ListingsItemPutRequest.
type putRequest struct {
	ProductType  string         `json:"productType"`
	Requirements string         `json:"requirements"`
	Attributes   map[string]any `json:"attributes"`
}

// Offer-only listings: a seller's offer on a product Amazon already has,
// found by its ASIN. The Listings Items API use case guide
// (https://developer-docs.amazon.com/sp-api/docs/listings-items-api-v2021-08-01-use-case-guide)
// creates one with putListingsItem, or a feed message of operationType
// UPDATE, with requirements LISTING_OFFER_ONLY (the models' enum:
// "sales terms only"), the generic product type PRODUCT and the attributes
// merchant_suggested_asin and condition_type next to the offer's.
const (
	offerOnly        = "LISTING_OFFER_ONLY"
	offerProductType = "PRODUCT"
	newCondition     = "new_new"
)

// asinPattern is an ASIN: ten capital letters and digits.
var asinPattern = regexp.MustCompile(`^[0-9A-Z]{10}$`)

// CreatesListings marks the adapter as a creator of offer-only listings.
func (*Channel) CreatesListings() {}

// CannotCreate says why the adapter cannot list l: it lists an offer on a
// product Amazon has, and needs the catalog's ASIN and a price for it.
func (c *Channel) CannotCreate(l *adapters.Listing) string {
	asin := l.Identifier("asin")
	switch {
	case asin == "":
		return "the catalog gives no ASIN for it (an asin column): accord lists offers on Amazon's products and does not create products"
	case !asinPattern.MatchString(asin):
		return fmt.Sprintf("the catalog's ASIN %q is not ten capital letters and digits", asin)
	case !l.Price.Valid || !l.Price.Decimal.IsPositive():
		return "it has no price, and an offer needs one"
	}
	return ""
}

// offer is the putListingsItem body that lists l as an offer on its ASIN.
func (c *Channel) offer(l *adapters.Listing) (*putRequest, error) {
	if why := c.CannotCreate(l); why != "" {
		return nil, &adapters.RejectedError{Reason: fmt.Sprintf("creating %s on Amazon: %s", l.SKU, why)}
	}
	m := c.cfg.MarketplaceID
	attrs := map[string]any{
		"merchant_suggested_asin": []map[string]any{{"value": l.Identifier("asin"), "marketplace_id": m}},
		"condition_type":          []map[string]any{{"value": newCondition, "marketplace_id": m}},
	}
	money := func(d decimal.NullDecimal) adapters.Value {
		if !d.Valid {
			return adapters.Null
		}
		return adapters.Value{Text: d.Decimal.String(), Set: true}
	}
	for _, ch := range []adapters.Change{
		{Key: l.Key, Kind: adapters.KindPrice, To: money(l.Price)},
		{Key: l.Key, Kind: adapters.KindCompareAt, To: money(l.CompareAt)},
		{Key: l.Key, Kind: adapters.KindQuantity, To: adapters.QuantityValue(l.Quantity)},
	} {
		if !ch.To.Set {
			continue
		}
		p, attr, err := c.patchOf(&ch)
		if err != nil {
			return nil, err
		}
		attrs[attr] = p.Value
	}
	return &putRequest{ProductType: offerProductType, Requirements: offerOnly, Attributes: attrs}, nil
}

// titleLimit is Amazon's limit on a title, in characters.
const titleLimit = 200

// group is the changes of one SKU, sent as one patch request or one feed
// message.
type group struct {
	sku         string
	productType string
	idx         []int // indexes into the changes of Apply
	patches     []patchOp
	attrs       []string // the attribute each patch sets, by patch
	// put is the offer to create, for a KindCreate change: the group's
	// only change.
	put *putRequest
}

// Apply sends changes: one patchListingsItem per SKU, or, above the feed
// threshold, one JSON_LISTINGS_FEED whose ID every submitted change carries
// (see Confirm).
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	if err := ctx.Err(); err != nil {
		return apikit.Results(len(changes), err)
	}
	out := make([]adapters.Result, len(changes))
	groups := c.plan(ctx, changes, out)
	if len(changes) > c.cfg.FeedThreshold {
		c.applyFeed(ctx, groups, out)
		return out
	}
	for gi, g := range groups {
		if err := c.patch(ctx, g, out); err != nil {
			// The whole request failed: this SKU's changes and, when the
			// failure is not this SKU's own, every one not yet sent.
			var rej *adapters.RejectedError
			if errors.As(err, &rej) {
				continue
			}
			for _, rest := range groups[gi+1:] {
				for _, i := range rest.idx {
					out[i].Err = err
				}
			}
			break
		}
	}
	return out
}

// plan groups the changes by SKU and turns each into its patch; a change
// refused before sending has its Result set and is left out.
func (c *Channel) plan(ctx context.Context, changes []adapters.Change, out []adapters.Result) []*group {
	var groups []*group
	bySKU := map[string]*group{}
	for i := range changes {
		ch := &changes[i]
		if ch.Kind == adapters.KindCreate {
			if _, dup := bySKU[ch.SKU]; dup {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("%s is created and changed in one batch", ch.SKU)}
				continue
			}
			if ch.Listing == nil {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("creating %s: the change carries no listing", ch.SKU)}
				continue
			}
			put, err := c.offer(ch.Listing)
			if err != nil {
				out[i].Err = err
				continue
			}
			g := &group{sku: ch.SKU, productType: offerProductType, idx: []int{i}, put: put}
			bySKU[ch.SKU] = g
			groups = append(groups, g)
			continue
		}
		p, attr, err := c.patchOf(ch)
		if err != nil {
			out[i].Err = err
			continue
		}
		pt := ""
		if ch.Ref != "" {
			var sku string
			var afn, ok bool
			pt, sku, afn, ok = parseRef(ch.Ref)
			if !ok || sku != ch.SKU || pt == "" {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("the change to %s carries the reference %q of another listing", ch.SKU, ch.Ref)}
				continue
			}
			if afn && ch.Kind == adapters.KindQuantity {
				// Setting a DEFAULT quantity would turn the listing
				// merchant-fulfilled.
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("%s is fulfilled by Amazon (FBA): its quantity is Amazon's, not set by accord", ch.SKU)}
				continue
			}
		}
		// A group is made by the first change that passes, so that the
		// groups are in the order of the changes sent: Confirm numbers the
		// feed's messages again from those alone.
		g, ok := bySKU[ch.SKU]
		if !ok {
			g = &group{sku: ch.SKU}
			bySKU[ch.SKU] = g
			groups = append(groups, g)
		}
		if g.put != nil {
			out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("%s is created and changed in one batch", ch.SKU)}
			continue
		}
		if pt != "" {
			if g.productType != "" && g.productType != pt {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("changes to %s name two product types, %s and %s", ch.SKU, g.productType, pt)}
				continue
			}
			g.productType = pt
		}
		if k := slices.IndexFunc(g.patches, func(q patchOp) bool { return q.Path == p.Path }); k >= 0 {
			// The price and compare-at of a sale are one offer: sent once.
			if !reflect.DeepEqual(g.patches[k], p) {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("two changes to %s set %s differently", ch.SKU, attr)}
				continue
			}
		} else {
			g.patches = append(g.patches, p)
		}
		g.idx = append(g.idx, i)
		g.attrs = append(g.attrs, attr)
	}
	// A change without a reference (a plan from before the reference was
	// kept) needs the product type: read it.
	kept := groups[:0]
	for _, g := range groups {
		if len(g.idx) == 0 {
			continue
		}
		if g.productType == "" {
			it, err := c.getItem(ctx, g.sku, "summaries")
			if errors.Is(err, errNotFound) {
				err = &adapters.RejectedError{Reason: fmt.Sprintf("%s is not listed on Amazon marketplace %s: a missing listing is not created by a change", g.sku, c.cfg.MarketplaceID)}
			}
			if err == nil {
				for _, s := range it.Summaries {
					if s.MarketplaceID == c.cfg.MarketplaceID {
						g.productType = s.ProductType
					}
				}
				if g.productType == "" {
					err = &adapters.RejectedError{Reason: fmt.Sprintf("%s has no product type on marketplace %s", g.sku, c.cfg.MarketplaceID)}
				}
			}
			if err != nil {
				for _, i := range g.idx {
					out[i].Err = err
				}
				continue
			}
		}
		kept = append(kept, g)
	}
	return kept
}

// patchOf is the JSON Patch operation of one change and the attribute it
// sets.
func (c *Channel) patchOf(ch *adapters.Change) (patchOp, string, error) {
	m := c.cfg.MarketplaceID
	reject := func(format string, args ...any) (patchOp, string, error) {
		return patchOp{}, "", &adapters.RejectedError{Reason: fmt.Sprintf(format, args...)}
	}
	if sl := ch.Sale; sl != nil && (ch.Kind == adapters.KindPrice || ch.Kind == adapters.KindCompareAt) {
		// A promotion's price: the regular price as our_price and the sale
		// as discounted_price over the promotion's window, so that Amazon
		// ends the sale on time by itself. The price and the compare-at
		// change of one listing send this same offer.
		if !sl.Price.IsPositive() || !sl.Regular.GreaterThan(sl.Price) || !sl.Starts.Before(sl.Ends) {
			return reject("the sale of %s (%s, regular %s, %s to %s) is not a price under the regular price over a window", ch.SKU,
				sl.Price, sl.Regular, sl.Starts.Format(time.RFC3339), sl.Ends.Format(time.RFC3339))
		}
		return patchOp{Op: "replace", Path: "/attributes/purchasable_offer", Value: []map[string]any{{
			"marketplace_id": m, "currency": c.currency,
			"our_price": []map[string]any{{"schedule": []map[string]any{{"value_with_tax": json.Number(sl.Regular.String())}}}},
			"discounted_price": []map[string]any{{"schedule": []map[string]any{{
				"value_with_tax": json.Number(sl.Price.String()),
				"start_at":       sl.Starts.UTC().Format(time.RFC3339),
				"end_at":         sl.Ends.UTC().Format(time.RFC3339),
			}}}},
		}}}, "purchasable_offer", nil
	}
	switch ch.Kind {
	case adapters.KindQuantity:
		n, err := ch.To.Int()
		if err != nil || n < 0 {
			return reject("quantity %s of %s: Amazon takes a whole number of units, 0 or more", ch.To, ch.SKU)
		}
		return patchOp{Op: "replace", Path: "/attributes/fulfillment_availability", Value: []map[string]any{
			{"fulfillment_channel_code": "DEFAULT", "quantity": n},
		}}, "fulfillment_availability", nil
	case adapters.KindPrice:
		d, err := ch.To.Decimal()
		if err != nil || !d.Valid || !d.Decimal.IsPositive() {
			return reject("price %s of %s: Amazon takes a price above 0", ch.To, ch.SKU)
		}
		return patchOp{Op: "replace", Path: "/attributes/purchasable_offer", Value: []map[string]any{{
			"marketplace_id": m, "currency": c.currency,
			"our_price": []map[string]any{{"schedule": []map[string]any{{"value_with_tax": json.Number(d.Decimal.String())}}}},
		}}}, "purchasable_offer", nil
	case adapters.KindCompareAt:
		if !ch.To.Set {
			return patchOp{Op: "delete", Path: "/attributes/list_price", Value: []map[string]any{{"marketplace_id": m}}}, "list_price", nil
		}
		d, err := ch.To.Decimal()
		if err != nil || !d.Valid || !d.Decimal.IsPositive() {
			return reject("list price %s of %s: Amazon takes a price above 0", ch.To, ch.SKU)
		}
		return patchOp{Op: "replace", Path: "/attributes/list_price", Value: []map[string]any{
			{"currency": c.currency, "value": json.Number(d.Decimal.String()), "marketplace_id": m},
		}}, "list_price", nil
	case adapters.KindField:
		attr := ch.Field
		if a, ok := fieldAttrs[ch.Field]; ok {
			attr = a
		}
		if attr == "" || strings.ContainsAny(attr, "/~") || ignoredAttrs[attr] {
			return reject("%s cannot be set as a listing field on Amazon", ch.Field)
		}
		sel := map[string]any{"marketplace_id": m}
		if _, text := attrField[attr]; text {
			sel["language_tag"] = c.cfg.LanguageTag
		}
		if !ch.To.Set {
			return patchOp{Op: "delete", Path: "/attributes/" + attr, Value: []map[string]any{sel}}, attr, nil
		}
		if attr == "item_name" && utf8.RuneCountInString(ch.To.Text) > titleLimit {
			return reject("the title of %s has %d characters; Amazon takes at most %d", ch.SKU, utf8.RuneCountInString(ch.To.Text), titleLimit)
		}
		sel["value"] = ch.To.Text
		return patchOp{Op: "replace", Path: "/attributes/" + attr, Value: []map[string]any{sel}}, attr, nil
	case adapters.KindCreate:
		return reject("creating %s is a whole listing, not a patch", ch.SKU)
	}
	return reject("%s: unknown change kind %s", ch.SKU, ch.Kind)
}

// patch sends one SKU's changes with patchListingsItem and sets their
// Results. The error returned is the whole request's failure, already in
// the Results.
func (c *Channel) patch(ctx context.Context, g *group, out []adapters.Result) error {
	q := url.Values{"marketplaceIds": {c.cfg.MarketplaceID}, "includedData": {"issues"}}
	var res submission
	var err error
	if g.put != nil {
		err = c.call(ctx, opPutListingsItem, "PUT", c.itemPath(g.sku)+"?"+q.Encode(), g.put, &res)
	} else {
		err = c.call(ctx, opPatchListingsItem, "PATCH", c.itemPath(g.sku)+"?"+q.Encode(), patchRequest{ProductType: g.productType, Patches: g.patches}, &res)
	}
	if errors.Is(err, errNotFound) {
		err = &adapters.RejectedError{Reason: fmt.Sprintf("%s is not listed on Amazon marketplace %s", g.sku, c.cfg.MarketplaceID)}
	}
	if err == nil {
		switch res.Status {
		case "ACCEPTED", "VALID":
		case "INVALID":
		default:
			name := opPatchListingsItem.name
			if g.put != nil {
				name = opPutListingsItem.name
			}
			err = &adapters.BadResponseError{Message: fmt.Sprintf("%s answered status %q for %s", name, res.Status, g.sku)}
		}
	}
	if err != nil {
		for _, i := range g.idx {
			out[i].Err = err
		}
		return err
	}
	// ACCEPTED means queued: the next observe reads back what landed. The
	// issues of severity ERROR refuse the changes to their attributes.
	setIssues(g, res.Issues, res.Status == "INVALID", out)
	return nil
}

// setIssues refuses the changes of g that issues of severity ERROR name
// (by attribute), or all of them when an error names no attribute or the
// submission is invalid without naming one.
func setIssues(g *group, issues []issue, invalid bool, out []adapters.Result) {
	var all []string
	byAttr := map[string][]string{}
	for _, is := range issues {
		if is.Severity != "ERROR" {
			continue
		}
		msg := is.Code + ": " + is.Message
		if len(is.AttributeNames) == 0 {
			all = append(all, msg)
			continue
		}
		for _, a := range is.AttributeNames {
			a, _, _ = strings.Cut(a, ".")
			byAttr[a] = append(byAttr[a], msg)
		}
	}
	if invalid && len(all) == 0 && len(byAttr) == 0 {
		all = append(all, "Amazon answered INVALID without an issue")
	}
	if g.put != nil {
		// An offer is created whole or not at all.
		for _, a := range slices.Sorted(maps.Keys(byAttr)) {
			all = append(all, byAttr[a]...)
		}
		if len(all) > 0 {
			out[g.idx[0]].Err = &adapters.RejectedError{Reason: g.sku + ": " + strings.Join(all, "; ")}
		}
		return
	}
	for k, i := range g.idx {
		msgs := append(append([]string(nil), all...), byAttr[g.attrs[k]]...)
		if invalid && len(msgs) == 0 && len(all) == 0 {
			// Another attribute's error made the whole submission invalid:
			// this change did not land either.
			msgs = append(msgs, "not applied: another change to "+g.sku+" was refused")
		}
		if len(msgs) > 0 {
			out[i].Err = &adapters.RejectedError{Reason: g.sku + ": " + strings.Join(msgs, "; ")}
		}
	}
}
