package lazada

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// dateLayout is how SaleStartDate and SaleEndDate are written (LJW
// UpdatePriceQuantityPayload.php: "Y-m-d H:i"), in the venture's zone.
const dateLayout = "2006-01-02 15:04"

// openEnd is how far ahead a compare-at price without a sale ends: Lazada
// wants a window for a SalePrice.
const openEnd = 5 * 365 * 24 * time.Hour

// pqRequest is UpdatePriceQuantity's payload.
type pqRequest struct {
	XMLName xml.Name `xml:"Request"`
	Skus    []pqSku  `xml:"Product>Skus>Sku"`
}

type pqSku struct {
	ItemID        string `xml:"ItemId,omitempty"`
	SkuID         string `xml:"SkuId,omitempty"`
	SellerSku     string `xml:"SellerSku"`
	Price         string `xml:"Price,omitempty"`
	SalePrice     string `xml:"SalePrice,omitempty"`
	SaleStartDate string `xml:"SaleStartDate,omitempty"`
	SaleEndDate   string `xml:"SaleEndDate,omitempty"`
	Quantity      string `xml:"Quantity,omitempty"`
}

// puRequest is UpdateProduct's payload: attributes of one item.
type puRequest struct {
	XMLName    xml.Name   `xml:"Request"`
	ItemID     string     `xml:"Product>ItemId"`
	Attributes attributes `xml:"Product>Attributes"`
	Skus       []puSku    `xml:"Product>Skus>Sku"`
}

type puSku struct {
	SkuID string `xml:"SkuId"`
}

// attributes are written as one element each, in name order.
type attributes map[string]string

// MarshalXML writes <Attributes><name>value</name>...</Attributes>.
func (a attributes) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := e.EncodeElement(a[n], xml.StartElement{Name: xml.Name{Local: n}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// attrName is an attribute name that is an XML element name too.
var attrName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// group is the changes of one SKU.
type group struct {
	sku string
	ref adapters.Ref
	// pq are the changes UpdatePriceQuantity carries, fields those
	// UpdateProduct does.
	pq, fields []int
	quantity   *int64
	price      *decimal.NullDecimal
	compare    *decimal.NullDecimal
	sale       *adapters.Sale
	attrs      map[string]string
	e          *entry
}

// Apply sends a batch: the SKUs' quantities and prices as one
// UpdatePriceQuantity (up to 50 SKUs a call), and each item's attributes
// as one UpdateProduct. It reads the SKUs first (see the package comment).
func (c *Channel) Apply(ctx context.Context, changes []adapters.Change) []adapters.Result {
	if err := ctx.Err(); err != nil {
		return apikit.Results(len(changes), err)
	}
	out := make([]adapters.Result, len(changes))
	groups := c.plan(changes, out)
	if len(groups) == 0 {
		return out
	}
	fail := func(gs []*group, err error) {
		for _, g := range gs {
			for _, i := range append(slices.Clone(g.pq), g.fields...) {
				if out[i].Err == nil {
					out[i].Err = err
				}
			}
		}
	}
	if err := c.current(ctx, groups); err != nil {
		fail(groups, err)
		return out
	}
	var pq []*group
	items := map[string][]*group{}
	var itemOrder []string
	for _, g := range groups {
		if g.e == nil {
			fail([]*group{g}, &adapters.RejectedError{Reason: fmt.Sprintf("%s is not listed on Lazada: accord does not create Lazada listings", g.sku)})
			continue
		}
		if g.ref != "" && g.ref != g.e.listing.Ref {
			fail([]*group{g}, &adapters.RejectedError{Reason: fmt.Sprintf("the change to %s carries the reference %q of another listing (it is %s)", g.sku, g.ref, g.e.listing.Ref)})
			continue
		}
		if len(g.pq) > 0 {
			pq = append(pq, g)
		}
		if len(g.fields) > 0 {
			if _, ok := items[g.e.itemID]; !ok {
				itemOrder = append(itemOrder, g.e.itemID)
			}
			items[g.e.itemID] = append(items[g.e.itemID], g)
		}
	}
	var stop error // a failure of the whole account: nothing more is sent
	for start := 0; start < len(pq); start += maxBatch {
		chunk := pq[start:min(start+maxBatch, len(pq))]
		if stop != nil {
			fail(chunk, stop)
			continue
		}
		stop = c.updatePriceQuantity(ctx, chunk, out)
	}
	for _, id := range itemOrder {
		if stop != nil {
			fail(items[id], stop)
			continue
		}
		stop = c.updateProduct(ctx, id, items[id], out)
	}
	return out
}

// plan groups the changes by SKU and checks each; a change refused before
// sending has its Result set and is left out.
func (c *Channel) plan(changes []adapters.Change, out []adapters.Result) []*group {
	var groups []*group
	bySKU := map[string]*group{}
	for i := range changes {
		ch := &changes[i]
		reject := func(format string, args ...any) {
			out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf(format, args...)}
		}
		g, ok := bySKU[ch.SKU]
		if !ok {
			g = &group{sku: ch.SKU}
		}
		if ch.Ref != "" {
			if g.ref != "" && g.ref != ch.Ref {
				reject("changes to %s carry two references, %q and %q", ch.SKU, g.ref, ch.Ref)
				continue
			}
		}
		switch ch.Kind {
		case adapters.KindCreate:
			reject("creating %s: Lazada listings are created in Seller Center, not by accord", ch.SKU)
			continue
		case adapters.KindQuantity:
			n, err := ch.To.Int()
			if err != nil || n < 0 {
				reject("quantity %s of %s: Lazada takes a whole number of units, 0 or more", ch.To, ch.SKU)
				continue
			}
			if g.quantity != nil && *g.quantity != n {
				reject("two changes set the quantity of %s differently", ch.SKU)
				continue
			}
			g.quantity = &n
			g.pq = append(g.pq, i)
		case adapters.KindPrice, adapters.KindCompareAt:
			if why := c.checkPrice(ch); why != "" {
				reject("%s", why)
				continue
			}
			if ch.Sale != nil {
				if g.sale != nil && !sameSale(g.sale, ch.Sale) {
					reject("two changes to %s carry different sales", ch.SKU)
					continue
				}
				g.sale = ch.Sale
			}
			d, _ := ch.To.Decimal()
			if ch.Kind == adapters.KindPrice {
				g.price = &d
			} else {
				g.compare = &d
			}
			g.pq = append(g.pq, i)
		case adapters.KindField:
			attr := ch.Field
			if a, ok := fieldAttrs[ch.Field]; ok {
				attr = a
			}
			if !attrName.MatchString(attr) || attrField[attr] != "" && attrField[attr] != ch.Field {
				reject("%s cannot be set as a listing field on Lazada: attributes are named with letters, digits and _", ch.Field)
				continue
			}
			if !ch.To.Set {
				reject("%s of %s: Lazada does not remove an attribute by setting it to nothing", ch.Field, ch.SKU)
				continue
			}
			if g.attrs == nil {
				g.attrs = map[string]string{}
			}
			if v, dup := g.attrs[attr]; dup && v != ch.To.Text {
				reject("two changes set %s of %s differently", ch.Field, ch.SKU)
				continue
			}
			g.attrs[attr] = ch.To.Text
			g.fields = append(g.fields, i)
		default:
			reject("%s: unknown change kind %s", ch.SKU, ch.Kind)
			continue
		}
		if ch.Ref != "" {
			g.ref = ch.Ref
		}
		if !ok {
			bySKU[ch.SKU] = g
			groups = append(groups, g)
		}
	}
	return groups
}

func sameSale(a, b *adapters.Sale) bool {
	return a.Price.Equal(b.Price) && a.Regular.Equal(b.Regular) && a.Starts.Equal(b.Starts) && a.Ends.Equal(b.Ends)
}

// checkPrice says why a price or compare-at change cannot go ("" when it
// can): an amount above 0 in the currency's minor units, and a sale under
// its regular price over a window.
func (c *Channel) checkPrice(ch *adapters.Change) string {
	if sl := ch.Sale; sl != nil {
		if !sl.Price.IsPositive() || !sl.Regular.GreaterThan(sl.Price) || !sl.Starts.Before(sl.Ends) {
			return fmt.Sprintf("the sale of %s (%s, regular %s, %s to %s) is not a price under the regular price over a window", ch.SKU,
				sl.Price, sl.Regular, sl.Starts.Format(time.RFC3339), sl.Ends.Format(time.RFC3339))
		}
		if !c.exact(sl.Price) || !c.exact(sl.Regular) {
			return fmt.Sprintf("the sale of %s has more than %d decimal places", ch.SKU, c.scale)
		}
		return ""
	}
	d, err := ch.To.Decimal()
	switch {
	case err != nil:
		return fmt.Sprintf("%s %q of %s is not an amount", ch.Name(), ch.To.Text, ch.SKU)
	case !d.Valid && ch.Kind == adapters.KindCompareAt:
		return ""
	case !d.Valid || !d.Decimal.IsPositive():
		return fmt.Sprintf("%s %s of %s: Lazada takes a price above 0", ch.Name(), ch.To, ch.SKU)
	case !c.exact(d.Decimal):
		return fmt.Sprintf("%s %s of %s has more than the %d decimal places of %s", ch.Name(), ch.To, ch.SKU, c.scale, c.currency)
	}
	return ""
}

// exact reports whether d has no more places than the currency.
func (c *Channel) exact(d decimal.Decimal) bool { return d.Equal(d.Round(c.scale)) }

// money writes an amount in the currency's places.
func (c *Channel) money(d decimal.Decimal) string { return d.StringFixed(c.scale) }

// current reads the groups' SKUs and sets each group's entry (nil for a
// SKU Lazada does not list).
func (c *Channel) current(ctx context.Context, groups []*group) error {
	by := make(map[string]*group, len(groups))
	skus := make([]string, 0, len(groups))
	for _, g := range groups {
		by[g.sku] = g
		skus = append(skus, g.sku)
	}
	for start := 0; start < len(skus); start += maxSKUFilter {
		err := c.scan(ctx, skus[start:min(start+maxSKUFilter, len(skus))], func(es []entry) error {
			for i := range es {
				if g := by[es[i].listing.SKU]; g != nil && g.e == nil {
					e := es[i]
					g.e = &e
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading the SKUs to change: %w", err)
		}
	}
	return nil
}

// element is the <Sku> of a group for UpdatePriceQuantity; a group whose
// prices cannot be written has its Results set and is not sent.
func (c *Channel) element(g *group) (pqSku, error) {
	el := pqSku{ItemID: g.e.itemID, SkuID: g.e.skuID, SellerSku: g.sku}
	if g.quantity != nil {
		el.Quantity = strconv.FormatInt(*g.quantity, 10)
	}
	if g.price == nil && g.compare == nil && g.sale == nil {
		return el, nil
	}
	now := c.now().In(c.zone)
	if sl := g.sale; sl != nil {
		// A promotion: Lazada switches the sale price on and off by
		// itself. The window is rounded inwards to whole minutes.
		from := ceilMinute(sl.Starts.In(c.zone))
		to := sl.Ends.In(c.zone).Truncate(time.Minute)
		if !from.Before(to) {
			return el, &adapters.RejectedError{Reason: fmt.Sprintf("the sale of %s lasts less than a whole minute (%s to %s)", g.sku, sl.Starts.Format(time.RFC3339), sl.Ends.Format(time.RFC3339))}
		}
		el.Price, el.SalePrice = c.money(sl.Regular), c.money(sl.Price)
		el.SaleStartDate, el.SaleEndDate = from.Format(dateLayout), to.Format(dateLayout)
		return el, nil
	}
	p, cmp := g.e.listing.Price, g.e.listing.CompareAt
	if g.price != nil {
		p = *g.price
	}
	if g.compare != nil {
		cmp = *g.compare
	}
	if !p.Valid {
		return el, &adapters.RejectedError{Reason: fmt.Sprintf("%s has no price on Lazada to keep beside its compare-at price", g.sku)}
	}
	start := now.Truncate(time.Minute)
	if cmp.Valid && cmp.Decimal.GreaterThan(p.Decimal) {
		el.Price, el.SalePrice = c.money(cmp.Decimal), c.money(p.Decimal)
		el.SaleStartDate, el.SaleEndDate = start.Format(dateLayout), start.Add(openEnd).Format(dateLayout)
		return el, nil
	}
	el.Price = c.money(p.Decimal)
	// A special price that shows now or later, below the new price, is
	// ended now.
	e := g.e
	if e.special.Valid && e.special.Decimal.IsPositive() && e.special.Decimal.LessThan(p.Decimal) && (e.to.IsZero() || e.to.After(now)) {
		el.SalePrice = c.money(e.special.Decimal)
		el.SaleStartDate, el.SaleEndDate = start.Format(dateLayout), start.Format(dateLayout)
	}
	return el, nil
}

func ceilMinute(t time.Time) time.Time {
	if f := t.Truncate(time.Minute); !f.Equal(t) {
		return f.Add(time.Minute)
	}
	return t
}

// updatePriceQuantity sends one UpdatePriceQuantity for gs and sets their
// Results. The error returned is a failure of the whole account (throttled,
// unreachable, credentials) that stops the rest of the batch.
func (c *Channel) updatePriceQuantity(ctx context.Context, gs []*group, out []adapters.Result) error {
	req := pqRequest{}
	sent := make([]*group, 0, len(gs))
	for _, g := range gs {
		el, err := c.element(g)
		if err != nil {
			for _, i := range g.pq {
				out[i].Err = err
			}
			continue
		}
		req.Skus = append(req.Skus, el)
		sent = append(sent, g)
	}
	if len(sent) == 0 {
		return nil
	}
	payload, err := xml.Marshal(req)
	if err != nil {
		return fmt.Errorf("UpdatePriceQuantity: %w", err)
	}
	env, err := c.call(ctx, opUpdatePriceQuantity, url.Values{"payload": {string(payload)}})
	if err == nil {
		return nil
	}
	var rej *adapters.RejectedError
	if !errors.As(err, &rej) || env == nil || len(env.Detail) == 0 {
		for _, g := range sent {
			for _, i := range g.pq {
				out[i].Err = err
			}
		}
		if errors.As(err, &rej) {
			return nil
		}
		return err
	}
	// Part of the batch refused: the detail names the SKUs. Lazada does
	// not say the batch is all or nothing, so the others' outcome is
	// unknown until observed.
	bySKU := map[string][]string{}
	var unnamed []string
	for _, d := range env.Detail {
		msg := strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{d.Field, d.Message}, func(s string) bool { return s == "" }), ": "))
		if d.SellerSku == "" {
			unnamed = append(unnamed, msg)
			continue
		}
		bySKU[d.SellerSku] = append(bySKU[d.SellerSku], msg)
	}
	for _, g := range sent {
		var gerr error
		if msgs, ok := bySKU[g.sku]; ok {
			gerr = &adapters.RejectedError{Reason: fmt.Sprintf("UpdatePriceQuantity refused %s: %s", g.sku, strings.Join(msgs, "; "))}
		} else {
			why := "another SKU of the batch was refused"
			if len(unnamed) > 0 {
				why += " (" + strings.Join(unnamed, "; ") + ")"
			}
			gerr = &adapters.TemporaryError{Message: fmt.Sprintf("UpdatePriceQuantity: %s not confirmed: %s", g.sku, why), Timeout: true}
		}
		for _, i := range g.pq {
			out[i].Err = gerr
		}
	}
	return nil
}

// updateProduct sends one item's attributes as UpdateProduct and sets the
// Results of gs' field changes; it returns a failure of the whole account.
func (c *Channel) updateProduct(ctx context.Context, itemID string, gs []*group, out []adapters.Result) error {
	req := puRequest{ItemID: itemID, Attributes: attributes{}}
	var idx []int
	for _, g := range gs {
		conflict := ""
		for attr, v := range g.attrs {
			if w, dup := req.Attributes[attr]; dup && w != v {
				conflict = attr
				break
			}
		}
		if conflict != "" {
			for _, i := range g.fields {
				out[i].Err = &adapters.RejectedError{Reason: fmt.Sprintf("%s and another SKU of item %s set its %s differently: an attribute is the item's", g.sku, itemID, conflict)}
			}
			continue
		}
		for attr, v := range g.attrs {
			req.Attributes[attr] = v
		}
		req.Skus = append(req.Skus, puSku{SkuID: g.e.skuID})
		idx = append(idx, g.fields...)
	}
	if len(idx) == 0 {
		return nil
	}
	payload, err := xml.Marshal(req)
	if err != nil {
		return fmt.Errorf("UpdateProduct: %w", err)
	}
	_, err = c.call(ctx, opUpdateProduct, url.Values{"payload": {string(payload)}})
	if err == nil {
		return nil
	}
	for _, i := range idx {
		out[i].Err = err
	}
	var rej *adapters.RejectedError
	if errors.As(err, &rej) {
		return nil
	}
	return err
}
