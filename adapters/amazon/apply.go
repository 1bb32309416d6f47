package amazon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/accordhq/accord/adapters"
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
}

// Apply sends changes: one patchListingsItem per SKU, or, above the feed
// threshold, one JSON_LISTINGS_FEED whose ID every submitted change carries
// (see Confirm).
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	out := make([]adapters.Result, len(changes))
	if err := ctx.Err(); err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
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
		if pt != "" {
			if g.productType != "" && g.productType != pt {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("changes to %s name two product types, %s and %s", ch.SKU, g.productType, pt)}
				continue
			}
			g.productType = pt
		}
		g.idx = append(g.idx, i)
		g.patches = append(g.patches, p)
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
		return reject("creating %s: this adapter does not create listings yet", ch.SKU)
	}
	return reject("%s: unknown change kind %s", ch.SKU, ch.Kind)
}

// patch sends one SKU's changes with patchListingsItem and sets their
// Results. The error returned is the whole request's failure, already in
// the Results.
func (c *Channel) patch(ctx context.Context, g *group, out []adapters.Result) error {
	q := url.Values{"marketplaceIds": {c.cfg.MarketplaceID}, "includedData": {"issues"}}
	var res submission
	err := c.call(ctx, opPatchListingsItem, "PATCH", c.itemPath(g.sku)+"?"+q.Encode(), patchRequest{ProductType: g.productType, Patches: g.patches}, &res)
	if errors.Is(err, errNotFound) {
		err = &adapters.RejectedError{Reason: fmt.Sprintf("%s is not listed on Amazon marketplace %s", g.sku, c.cfg.MarketplaceID)}
	}
	if err == nil {
		switch res.Status {
		case "ACCEPTED", "VALID":
		case "INVALID":
		default:
			err = &adapters.BadResponseError{Message: fmt.Sprintf("patchListingsItem answered status %q for %s", res.Status, g.sku)}
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
