package shopee

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// listedStatuses are the item statuses Observe reads (REF get_item_list):
// every item the seller still has, not the deleted ones.
var listedStatuses = []string{"NORMAL", "UNLIST", "BANNED", "REVIEWING"}

// flag is a boolean Shopee may send as true/false or 1/0.
type flag bool

// UnmarshalJSON reads true, false, 1, 0 and null.
func (f *flag) UnmarshalJSON(b []byte) error {
	switch strings.TrimSpace(string(b)) {
	case "true", "1":
		*f = true
	case "false", "0", "null":
		*f = false
	default:
		return fmt.Errorf("%s is not a boolean", b)
	}
	return nil
}

// itemList is get_item_list's response.
type itemList struct {
	Item []struct {
		ItemID     json.Number `json:"item_id"`
		ItemStatus string      `json:"item_status"`
	} `json:"item"`
	TotalCount  json.Number `json:"total_count"`
	HasNextPage flag        `json:"has_next_page"`
	NextOffset  json.Number `json:"next_offset"`
}

// priceInfo is one entry of price_info.
type priceInfo struct {
	Currency      string      `json:"currency"`
	OriginalPrice json.Number `json:"original_price"`
	CurrentPrice  json.Number `json:"current_price"`
}

// stockInfo is stock_info_v2.
type stockInfo struct {
	SellerStock []struct {
		LocationID string      `json:"location_id"`
		Stock      json.Number `json:"stock"`
	} `json:"seller_stock"`
}

// baseItem is one item of get_item_base_info.
type baseItem struct {
	ItemID      json.Number `json:"item_id"`
	ItemName    string      `json:"item_name"`
	ItemSKU     string      `json:"item_sku"`
	ItemStatus  string      `json:"item_status"`
	GTIN        string      `json:"gtin_code"`
	HasModel    flag        `json:"has_model"`
	PromotionID json.Number `json:"promotion_id"`
	PriceInfo   []priceInfo `json:"price_info"`
	StockInfoV2 *stockInfo  `json:"stock_info_v2"`
	FBS         flag        `json:"is_fulfillment_by_shopee"`
}

// baseInfo is get_item_base_info's response.
type baseInfo struct {
	ItemList []baseItem `json:"item_list"`
}

// model is one model of get_model_list.
type model struct {
	ModelID     json.Number `json:"model_id"`
	ModelSKU    string      `json:"model_sku"`
	ModelStatus string      `json:"model_status"`
	GTIN        string      `json:"gtin_code"`
	PromotionID json.Number `json:"promotion_id"`
	PriceInfo   []priceInfo `json:"price_info"`
	StockInfoV2 *stockInfo  `json:"stock_info_v2"`
	FBS         flag        `json:"is_fulfillment_by_shopee"`
}

// modelList is get_model_list's response.
type modelList struct {
	Model []model `json:"model"`
}

// unit is one seller SKU as Shopee shows it: an item without models, or
// one model of an item.
type unit struct {
	sku          string
	item, model  int64 // model 0: an item without models
	title        string
	gtin         string
	itemStatus   string
	modelStatus  string
	priced       bool
	original     decimal.Decimal
	current      decimal.Decimal
	currency     string
	promotion    int64
	stock        int64
	location     string
	stockManaged bool
	// why is why the quantity is unmanaged.
	why string
}

// ref is the unit's adapter reference.
func (u *unit) ref() adapters.Ref { return makeRef(u.item, u.model) }

func makeRef(item, model int64) adapters.Ref {
	if model == 0 {
		return adapters.Ref(strconv.FormatInt(item, 10))
	}
	return adapters.Ref(strconv.FormatInt(item, 10) + ":" + strconv.FormatInt(model, 10))
}

// parseRef reads "item" or "item:model".
func parseRef(r adapters.Ref) (item, model int64, err error) {
	s := string(r)
	is, ms, hasModel := strings.Cut(s, ":")
	if item, err = strconv.ParseInt(is, 10, 64); err != nil || item <= 0 {
		return 0, 0, fmt.Errorf("%q is not a Shopee reference (item or item:model)", s)
	}
	if hasModel {
		if model, err = strconv.ParseInt(ms, 10, 64); err != nil || model <= 0 {
			return 0, 0, fmt.Errorf("%q is not a Shopee reference (item or item:model)", s)
		}
	}
	return item, model, nil
}

// listing is what accord sees of the unit.
func (c *Channel) listing(u *unit) adapters.Listing {
	l := adapters.Listing{
		Key:      adapters.Key{Channel: c.name, SKU: u.sku},
		Currency: c.currency,
		Status:   status(u.itemStatus, u.modelStatus),
		Ref:      u.ref(),
	}
	// "00" is Shopee's "item without GTIN" (REF get_item_base_info).
	if u.gtin != "" && u.gtin != "00" {
		l.Fields = append(l.Fields, adapters.Field{Name: "gtin", Value: u.gtin})
	}
	l.Fields = append(l.Fields, adapters.Field{Name: "title", Value: u.title})
	if u.stockManaged {
		l.Quantity = adapters.Quantity{Units: u.stock, Valid: true}
	}
	if u.priced {
		if u.current.LessThan(u.original) {
			l.Price = decimal.NullDecimal{Decimal: u.current, Valid: true}
			l.CompareAt = decimal.NullDecimal{Decimal: u.original, Valid: true}
		} else {
			l.Price = decimal.NullDecimal{Decimal: u.original, Valid: true}
		}
	}
	return l
}

// status names an item's (and model's) status for accord.
func status(item, model string) string {
	s := strings.ToLower(item)
	switch item {
	case "NORMAL":
		s = "active"
	case "UNLIST":
		s = "inactive"
	}
	if s == "active" && model == "MODEL_UNAVAILABLE" {
		s = "inactive"
	}
	return s
}

// Observe reads the shop's items page by page (get_item_list, with
// get_item_base_info and get_model_list for their details) and hands over
// a listing per seller SKU.
func (c *Channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	var want map[string]bool
	if len(skus) > 0 {
		want = make(map[string]bool, len(skus))
		for _, s := range skus {
			want[s] = true
		}
	}
	seen := map[string]adapters.Ref{}
	buf := make([]adapters.Listing, 0, pageSize)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		err := page(buf)
		buf = buf[:0]
		return err
	}
	err := c.eachItemPage(ctx, func(ids []int64) error {
		units, err := c.readItems(ctx, ids)
		if err != nil {
			return err
		}
		for i := range units {
			u := &units[i]
			if want != nil && !want[u.sku] {
				continue
			}
			if first, dup := seen[u.sku]; dup {
				c.log.Warn("two Shopee listings share a seller SKU: only the first is read", "sku", u.sku, "first", string(first), "second", string(u.ref()))
				continue
			}
			seen[u.sku] = u.ref()
			buf = append(buf, c.listing(u))
			if len(buf) == pageSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// eachItemPage pages get_item_list and hands each page's item IDs to fn.
func (c *Channel) eachItemPage(ctx context.Context, fn func(ids []int64) error) error {
	offset := int64(0)
	for {
		q := url.Values{
			"offset":      {strconv.FormatInt(offset, 10)},
			"page_size":   {strconv.Itoa(pageSize)},
			"item_status": listedStatuses,
		}
		var resp itemList
		if err := c.call(ctx, apiItemList, q, nil, &resp); err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		ids := make([]int64, 0, len(resp.Item))
		for _, it := range resp.Item {
			id, err := idOf(it.ItemID)
			if err != nil {
				return fmt.Errorf("observe %s: %w", c.name, &adapters.BadResponseError{Message: "get_item_list: item_id " + err.Error()})
			}
			ids = append(ids, id)
		}
		if len(ids) > 0 {
			if err := fn(ids); err != nil {
				return err
			}
		}
		if !resp.HasNextPage {
			return nil
		}
		next, err := idOf(resp.NextOffset)
		if err != nil || next <= offset {
			return fmt.Errorf("observe %s: %w", c.name, &adapters.BadResponseError{
				Message: fmt.Sprintf("get_item_list says there is a next page but its next_offset %q does not move on from %d", resp.NextOffset, offset)})
		}
		offset = next
	}
}

// readItems reads the items of ids (get_item_base_info, 50 a call, and
// get_model_list for each item with models) and returns their units, in
// the order of ids and of each item's models.
func (c *Channel) readItems(ctx context.Context, ids []int64) ([]unit, error) {
	var out []unit
	for start := 0; start < len(ids); start += infoBatch {
		chunk := ids[start:min(start+infoBatch, len(ids))]
		list := make([]string, len(chunk))
		for i, id := range chunk {
			list[i] = strconv.FormatInt(id, 10)
		}
		var resp baseInfo
		if err := c.call(ctx, apiItemBaseInfo, url.Values{"item_id_list": {strings.Join(list, ",")}}, nil, &resp); err != nil {
			return nil, fmt.Errorf("reading items of %s: %w", c.name, err)
		}
		for i := range resp.ItemList {
			units, err := c.units(ctx, &resp.ItemList[i])
			if err != nil {
				return nil, err
			}
			out = append(out, units...)
		}
	}
	return out, nil
}

// units turns one item into its units, reading its models when it has
// some.
func (c *Channel) units(ctx context.Context, it *baseItem) ([]unit, error) {
	id, err := idOf(it.ItemID)
	if err != nil {
		return nil, &adapters.BadResponseError{Message: "get_item_base_info: item_id " + err.Error()}
	}
	base := unit{item: id, title: it.ItemName, itemStatus: it.ItemStatus}
	if !it.HasModel {
		if strings.TrimSpace(it.ItemSKU) == "" {
			return nil, nil
		}
		u := base
		u.sku, u.gtin = it.ItemSKU, it.GTIN
		if err := c.fill(&u, it.PromotionID, it.PriceInfo, it.StockInfoV2, bool(it.FBS)); err != nil {
			return nil, fmt.Errorf("get_item_base_info: item %d: %w", id, err)
		}
		return []unit{u}, nil
	}
	var ml modelList
	if err := c.call(ctx, apiModelList, url.Values{"item_id": {strconv.FormatInt(id, 10)}}, nil, &ml); err != nil {
		return nil, fmt.Errorf("reading the models of item %d on %s: %w", id, c.name, err)
	}
	out := make([]unit, 0, len(ml.Model))
	for i := range ml.Model {
		m := &ml.Model[i]
		if strings.TrimSpace(m.ModelSKU) == "" {
			continue
		}
		mid, err := idOf(m.ModelID)
		if err != nil || mid == 0 {
			return nil, &adapters.BadResponseError{Message: fmt.Sprintf("get_model_list: item %d: model_id %q", id, m.ModelID)}
		}
		u := base
		u.sku, u.model, u.modelStatus, u.gtin = m.ModelSKU, mid, m.ModelStatus, m.GTIN
		if err := c.fill(&u, m.PromotionID, m.PriceInfo, m.StockInfoV2, bool(m.FBS)); err != nil {
			return nil, fmt.Errorf("get_model_list: item %d model %d: %w", id, mid, err)
		}
		out = append(out, u)
	}
	return out, nil
}

// fill sets a unit's prices, promotion and stock.
func (c *Channel) fill(u *unit, promotion json.Number, prices []priceInfo, stock *stockInfo, fbs bool) error {
	if promotion != "" {
		p, err := idOf(promotion)
		if err != nil {
			return &adapters.BadResponseError{Message: "promotion_id " + err.Error()}
		}
		u.promotion = p
	}
	if len(prices) > 0 {
		pi := prices[0]
		orig, err := money(pi.OriginalPrice)
		if err != nil {
			return &adapters.BadResponseError{Message: "original_price " + err.Error()}
		}
		cur := orig
		if pi.CurrentPrice != "" {
			if cur, err = money(pi.CurrentPrice); err != nil {
				return &adapters.BadResponseError{Message: "current_price " + err.Error()}
			}
		}
		if pi.Currency != "" && c.currency != "" && !strings.EqualFold(pi.Currency, c.currency) {
			return &adapters.BadResponseError{Message: fmt.Sprintf("prices are in %s, but the spec gives this channel the currency %s", pi.Currency, c.currency)}
		}
		u.priced, u.original, u.current, u.currency = true, orig, cur, pi.Currency
	}
	switch {
	case fbs:
		u.why = "its stock is fulfilled by Shopee"
	case stock != nil && len(stock.SellerStock) > 1:
		u.why = "its seller stock is split across warehouses"
	default:
		u.stockManaged = true
		if stock != nil && len(stock.SellerStock) == 1 {
			n, err := units(stock.SellerStock[0].Stock)
			if err != nil {
				return &adapters.BadResponseError{Message: "seller_stock " + err.Error()}
			}
			u.stock, u.location = n, stock.SellerStock[0].LocationID
		}
	}
	return nil
}

// idOf reads a Shopee ID.
func idOf(n json.Number) (int64, error) {
	id, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("%q is not an ID", string(n))
	}
	return id, nil
}

// money reads an amount exactly: Shopee sends prices as JSON numbers,
// never read through a float.
func money(n json.Number) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(string(n))
	if err != nil || d.IsNegative() {
		return decimal.Decimal{}, fmt.Errorf("%q is not an amount", string(n))
	}
	return d, nil
}

// units reads a whole number of units.
func units(n json.Number) (int64, error) {
	d, err := decimal.NewFromString(string(n))
	if err != nil || !d.IsInteger() || d.IsNegative() || d.GreaterThan(decimal.New(1, 15)) {
		return 0, fmt.Errorf("%q is not a stock", string(n))
	}
	return d.IntPart(), nil
}
