package lazada

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// flexDecimal is an amount sent as a JSON number or a string, decoded
// exactly; null or "" is no amount.
type flexDecimal struct {
	decimal.NullDecimal
}

// UnmarshalJSON takes a number, a string holding one, "" or null.
func (d *flexDecimal) UnmarshalJSON(raw []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(raw); err != nil {
		return err
	}
	if strings.TrimSpace(string(s)) == "" {
		d.NullDecimal = decimal.NullDecimal{}
		return nil
	}
	v, err := decimal.NewFromString(strings.TrimSpace(string(s)))
	if err != nil {
		return fmt.Errorf("amount %q: %w", string(s), err)
	}
	d.NullDecimal = decimal.NullDecimal{Decimal: v, Valid: true}
	return nil
}

// flexInt is a whole number sent as a JSON number or a string.
type flexInt struct {
	N     int64
	Valid bool
}

// UnmarshalJSON takes a whole number, a string holding one, "" or null.
func (n *flexInt) UnmarshalJSON(raw []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(raw); err != nil {
		return err
	}
	t := strings.TrimSpace(string(s))
	if t == "" {
		*n = flexInt{}
		return nil
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		// 3.0 is a whole number written as a float.
		d, derr := decimal.NewFromString(t)
		if derr != nil || !d.IsInteger() || !d.BigInt().IsInt64() {
			return fmt.Errorf("%q is not a whole number", t)
		}
		v = d.IntPart()
	}
	*n = flexInt{N: v, Valid: true}
	return nil
}

// productsData is GetProducts' data.
type productsData struct {
	TotalProducts flexInt   `json:"total_products"`
	Products      []product `json:"products"`
}

type product struct {
	ItemID     flexString                 `json:"item_id"`
	Attributes map[string]json.RawMessage `json:"attributes"`
	Skus       []sku                      `json:"skus"`
}

type sku struct {
	SellerSku       string      `json:"SellerSku"`
	SkuID           flexString  `json:"SkuId"`
	Status          string      `json:"Status"`
	Quantity        flexInt     `json:"quantity"`
	Price           flexDecimal `json:"price"`
	SpecialPrice    flexDecimal `json:"special_price"`
	SpecialFromTime string      `json:"special_from_time"`
	SpecialToTime   string      `json:"special_to_time"`
	SpecialFromDate string      `json:"special_from_date"`
	SpecialToDate   string      `json:"special_to_date"`
}

// entry is one SKU as observed, with what a write needs of it.
type entry struct {
	listing       adapters.Listing
	itemID, skuID string
	// price and special are Lazada's, from and to the special price's
	// window (zero: open).
	price, special decimal.NullDecimal
	from, to       time.Time
}

// The layouts Lazada writes a special price's window in: special_*_time
// ("2020-02-03 00:00"; the reference's sample shows it without the
// space), and special_*_date ("2020-02-03").
var timeLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-0215:04"}

// window is the special price's window in the venture's zone: from its
// time or, without one, its date (to the end of the to date).
func (c *Channel) window(s *sku) (from, to time.Time, err error) {
	parse := func(tm, date string, end bool) (time.Time, error) {
		if tm = strings.TrimSpace(tm); tm != "" {
			for _, l := range timeLayouts {
				if t, err := time.ParseInLocation(l, tm, c.zone); err == nil {
					return t, nil
				}
			}
			return time.Time{}, fmt.Errorf("the special price's time %q of %s is in no layout Lazada documents", tm, s.SellerSku)
		}
		if date = strings.TrimSpace(date); date != "" {
			t, err := time.ParseInLocation("2006-01-02", date, c.zone)
			if err != nil {
				return time.Time{}, fmt.Errorf("the special price's date %q of %s is not a date", date, s.SellerSku)
			}
			if end {
				t = t.AddDate(0, 0, 1)
			}
			return t, nil
		}
		return time.Time{}, nil
	}
	if from, err = parse(s.SpecialFromTime, s.SpecialFromDate, false); err != nil {
		return
	}
	to, err = parse(s.SpecialToTime, s.SpecialToDate, true)
	return
}

// specialActive reports whether a special price shows at now.
func specialActive(price, special decimal.NullDecimal, from, to, now time.Time) bool {
	if !special.Valid || !special.Decimal.IsPositive() || !price.Valid || !special.Decimal.LessThan(price.Decimal) {
		return false
	}
	return (from.IsZero() || !now.Before(from)) && (to.IsZero() || now.Before(to))
}

// entries turns a page of products into entries; deleted SKUs are left
// out.
func (c *Channel) entries(ps []product) ([]entry, error) {
	now := c.now()
	var out []entry
	for i := range ps {
		p := &ps[i]
		fields := fieldsOf(p.Attributes)
		for j := range p.Skus {
			s := &p.Skus[j]
			if s.SellerSku == "" || strings.EqualFold(s.Status, "deleted") {
				continue
			}
			from, to, err := c.window(s)
			if err != nil {
				return nil, &adapters.BadResponseError{Message: "GetProducts: " + err.Error()}
			}
			e := entry{
				itemID: string(p.ItemID), skuID: string(s.SkuID),
				price: s.Price.NullDecimal, special: s.SpecialPrice.NullDecimal, from: from, to: to,
			}
			l := adapters.Listing{
				Key:      adapters.Key{Channel: c.name, SKU: s.SellerSku},
				Quantity: adapters.Quantity{Units: s.Quantity.N, Valid: s.Quantity.Valid},
				Price:    e.price,
				Currency: c.currency,
				Fields:   slices.Clone(fields),
				Status:   strings.ToLower(s.Status),
				Ref:      adapters.Ref(e.itemID + ":" + e.skuID),
			}
			if specialActive(e.price, e.special, from, to, now) {
				l.Price, l.CompareAt = e.special, e.price
			}
			e.listing = l
			out = append(out, e)
		}
	}
	return out, nil
}

// fieldsOf is an item's attributes as listing fields, sorted by name:
// every string or number attribute under its own name, name as title.
func fieldsOf(attrs map[string]json.RawMessage) []adapters.Field {
	out := make([]adapters.Field, 0, len(attrs))
	for name, raw := range attrs {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || (raw[0] != '"' && raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
			continue // null, booleans, objects, arrays
		}
		var v flexString
		if v.UnmarshalJSON(raw) != nil {
			continue
		}
		field := name
		if f, ok := attrField[name]; ok {
			field = f
		}
		if adapters.Reserved(field) {
			continue
		}
		out = append(out, adapters.Field{Name: field, Value: string(v)})
	}
	slices.SortFunc(out, func(a, b adapters.Field) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// fieldAttrs names the attribute of an accord listing field that is not
// the attribute of its own name; attrField is the reverse.
var (
	fieldAttrs = map[string]string{"title": "name"}
	attrField  = map[string]string{"name": "title"}
)

// getProducts reads one page of GetProducts.
func (c *Channel) getProducts(ctx context.Context, offset int, skus []string) (*productsData, error) {
	q := url.Values{"filter": {"all"}, "offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(pageLimit)}}
	if len(skus) > 0 {
		list, err := json.Marshal(skus)
		if err != nil {
			return nil, err
		}
		q.Set("sku_seller_list", string(list))
	}
	env, err := c.call(ctx, opGetProducts, q)
	if err != nil {
		return nil, err
	}
	var data productsData
	if len(bytes.TrimSpace(env.Data)) == 0 {
		return nil, &adapters.BadResponseError{Message: "GetProducts answered code 0 without data"}
	}
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return nil, &adapters.BadResponseError{Message: fmt.Sprintf("GetProducts: %s", err)}
	}
	return &data, nil
}

// scan reads every product GetProducts answers for skus (every product
// when nil), a page at a time, and hands each page's entries to fn.
func (c *Channel) scan(ctx context.Context, skus []string, fn func([]entry) error) error {
	for offset := 0; ; {
		data, err := c.getProducts(ctx, offset, skus)
		if err != nil {
			return err
		}
		es, err := c.entries(data.Products)
		if err != nil {
			return err
		}
		if len(es) > 0 {
			if err := fn(es); err != nil {
				return err
			}
		}
		offset += len(data.Products)
		if len(data.Products) == 0 || len(data.Products) < pageLimit || (data.TotalProducts.Valid && int64(offset) >= data.TotalProducts.N) {
			return nil
		}
		if offset > maxOffset {
			return &adapters.BadResponseError{Message: fmt.Sprintf("GetProducts pages by offset up to %d items and this seller lists %d: observe by SKU", maxOffset, data.TotalProducts.N)}
		}
	}
}

// Observe reads the listings of skus (every listing when skus is empty):
// GetProducts pages of 50 items with filter=all, by sku_seller_list in
// lists of 100 when skus are given. A SKU the answer lists twice (an item
// that moved between pages) is handed over once.
func (c *Channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	var want map[string]bool
	var pageErr error // the page callback's own failure, returned as it is
	buf := make([]adapters.Listing, 0, pageLimit)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		pageErr = page(buf)
		buf = buf[:0]
		return pageErr
	}
	fn := func(es []entry) error {
		for i := range es {
			l := es[i].listing
			if seen[l.SKU] || (want != nil && !want[l.SKU]) {
				continue
			}
			seen[l.SKU] = true
			buf = append(buf, l)
			if len(buf) == pageLimit {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var lists [][]string
	if len(skus) == 0 {
		lists = [][]string{nil}
	} else {
		want = make(map[string]bool, len(skus))
		for _, s := range skus {
			want[s] = true
		}
		for start := 0; start < len(skus); start += maxSKUFilter {
			lists = append(lists, skus[start:min(start+maxSKUFilter, len(skus))])
		}
	}
	for _, list := range lists {
		if err := c.scan(ctx, list, fn); err != nil {
			return c.observeErr(err, pageErr)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return nil
}

// observeErr wraps a failure of Observe with the channel's name; the
// page callback's own error and the context's are returned as they are.
func (c *Channel) observeErr(err, pageErr error) error {
	if (pageErr != nil && err == pageErr) || apikit.Cancelled(err) { //nolint:errorlint // the callback's own error value, compared as such
		return err
	}
	return fmt.Errorf("observe %s: %w", c.name, err)
}
