package lazada

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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

// getProducts reads one page of GetProducts: q (filter and any of
// sku_seller_list, create_after, create_before) at offset.
func (c *Channel) getProducts(ctx context.Context, q url.Values, offset int) (*productsData, error) {
	q = maps.Clone(q)
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(pageLimit))
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

// overCap is a query that holds more items than offset paging reaches
// (total is -1 when GetProducts did not say how many).
type overCap struct{ total int64 }

func (e *overCap) Error() string {
	return fmt.Sprintf("GetProducts pages by offset up to %d items and this query holds %d", maxOffset, e.total)
}

// scanQuery reads every product of one query, a page at a time, and hands
// each page to fn. A query of more than maxOffset items is refused with
// *overCap before its first page is handed over when its total says so;
// when it does not, the pages up to the cap have been handed over.
func (c *Channel) scanQuery(ctx context.Context, q url.Values, fn func([]product) error) error {
	for offset := 0; ; {
		data, err := c.getProducts(ctx, q, offset)
		if err != nil {
			return err
		}
		if offset == 0 && data.TotalProducts.Valid && data.TotalProducts.N > maxOffset {
			return &overCap{total: data.TotalProducts.N}
		}
		if len(data.Products) > 0 {
			if err := fn(data.Products); err != nil {
				return err
			}
		}
		offset += len(data.Products)
		if len(data.Products) == 0 || len(data.Products) < pageLimit || (data.TotalProducts.Valid && int64(offset) >= data.TotalProducts.N) {
			return nil
		}
		if offset > maxOffset {
			total := int64(-1)
			if data.TotalProducts.Valid {
				total = data.TotalProducts.N
			}
			return &overCap{total: total}
		}
	}
}

// scan reads the products of skus (at most maxSKUFilter of them) and
// hands each page's entries to fn.
func (c *Channel) scan(ctx context.Context, skus []string, fn func([]entry) error) error {
	list, err := json.Marshal(skus)
	if err != nil {
		return err
	}
	q := url.Values{"filter": {"all"}, "sku_seller_list": {string(list)}}
	err = c.scanQuery(ctx, q, func(ps []product) error {
		es, err := c.entries(ps)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return nil
		}
		return fn(es)
	})
	var over *overCap
	if errors.As(err, &over) {
		return &adapters.BadResponseError{Message: fmt.Sprintf("GetProducts answered %d items for %d SKUs", over.total, len(skus))}
	}
	return err
}

// The walk of a full read past the offset cap (see the package comment):
// windows of created time, bisected on a fixed grid of whole seconds from
// walkStart over walkSpan, so that the windows, and with them the order of
// the listings, depend on the catalog alone, not on the clock.
var walkStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	// walkSpan is the grid's length in seconds: 2^31 s, to January 2068.
	walkSpan = int64(1) << 31
	// createdLayout is create_after's and create_before's ISO 8601, as
	// the reference page's samples write it ("2018-01-01T00:00:00+0800").
	createdLayout = "2006-01-02T15:04:05-0700"
)

// window is the items created from..to, both ends included ("after or
// on", "before or on"), in seconds from walkStart; open at an end whose
// flag is set.
type window struct {
	from, to         int64
	openFrom, openTo bool
}

func (c *Channel) stamp(sec int64) string {
	return walkStart.Add(time.Duration(sec) * time.Second).In(c.zone).Format(createdLayout)
}

// query is GetProducts' parameters for the window.
func (c *Channel) query(w window) url.Values {
	q := url.Values{"filter": {"all"}}
	if !w.openFrom {
		q.Set("create_after", c.stamp(w.from))
	}
	if !w.openTo {
		q.Set("create_before", c.stamp(w.to))
	}
	return q
}

// scanAll reads every product, each item once, and hands each page's
// entries to fn. It reads GetProducts unfiltered first; a seller with
// more items than offset paging reaches is read again in windows of
// created time: before walkStart, the grid (halved until each half holds
// at most maxOffset items), after it. Two halves share their edge second,
// so that an item created within it is read whether Lazada compares whole
// seconds or milliseconds; an item read twice is handed over once.
func (c *Channel) scanAll(ctx context.Context, fn func([]entry) error) error {
	seen := map[string]bool{}
	page := func(ps []product) error {
		fresh := ps[:0:0]
		for i := range ps {
			id := string(ps[i].ItemID)
			if id != "" && seen[id] {
				continue
			}
			if id != "" {
				seen[id] = true
			}
			fresh = append(fresh, ps[i])
		}
		es, err := c.entries(fresh)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return nil
		}
		return fn(es)
	}
	err := c.scanQuery(ctx, url.Values{"filter": {"all"}}, page)
	var over *overCap
	if !errors.As(err, &over) {
		return err
	}
	// Oldest first; a window too full is replaced by its two halves.
	todo := []window{{openFrom: true, to: 0}, {from: 0, to: walkSpan}, {from: walkSpan, openTo: true}}
	for len(todo) > 0 {
		w := todo[0]
		todo = todo[1:]
		err := c.scanQuery(ctx, c.query(w), page)
		if !errors.As(err, &over) {
			if err != nil {
				return err
			}
			continue
		}
		if w.openFrom || w.openTo || w.to-w.from < 2 {
			q := c.query(w)
			from, to := cmp.Or(q.Get("create_after"), "the start"), cmp.Or(q.Get("create_before"), "now")
			return &adapters.BadResponseError{Message: fmt.Sprintf(
				"GetProducts pages by offset up to %d items and %d were created between %s and %s, which create_after and create_before cannot split further: observe by SKU",
				maxOffset, over.total, from, to)}
		}
		mid := w.from + (w.to-w.from)/2
		todo = append([]window{{from: w.from, to: mid}, {from: mid, to: w.to}}, todo...)
	}
	return nil
}

// Observe reads the listings of skus (every listing when skus is empty):
// GetProducts pages of 50 items with filter=all, in windows of created
// time past 10,000 items (scanAll), by sku_seller_list in lists of 100
// when skus are given. An item or SKU the answer lists twice (an item
// that moved between pages, or created in the second two windows share)
// is handed over once.
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
		var err error
		if list == nil {
			err = c.scanAll(ctx, fn)
		} else {
			err = c.scan(ctx, list, fn)
		}
		if err != nil {
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
