package tiktok

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// product is a product of a search answer or a product read, as far as
// accord reads it.
type product struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Status      string `json:"status"`
	Skus        []sku  `json:"skus"`
}

// sku is one SKU of a product.
type sku struct {
	ID        string `json:"id"`
	SellerSKU string `json:"seller_sku"`
	Price     struct {
		Currency          string `json:"currency"`
		TaxExclusivePrice string `json:"tax_exclusive_price"`
		SalePrice         string `json:"sale_price"`
	} `json:"price"`
	Inventory []struct {
		WarehouseID string `json:"warehouse_id"`
		Quantity    *int64 `json:"quantity"`
	} `json:"inventory"`
	ListPrice *struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	} `json:"list_price"`
	IdentifierCode *struct {
		Code string `json:"code"`
		Type string `json:"type"`
	} `json:"identifier_code"`
}

// searchData is the data of a product search answer.
type searchData struct {
	Products      []product `json:"products"`
	NextPageToken string    `json:"next_page_token"`
	TotalCount    int       `json:"total_count"`
}

// searchBody is a product search's body.
type searchBody struct {
	SellerSKUs []string `json:"seller_skus,omitempty"`
}

// The paths of the product calls.
const (
	searchPath  = "/product/202309/products/search"
	productPath = "/product/202309/products/"
)

// Observe reads the listings of skus (every listing when skus is empty):
// product search pages of 100, filtered by seller_skus when skus are
// given, and each product's own read for its description and identifier
// codes.
func (c *Channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &observer{c: c, page: page, seen: map[string]bool{}}
	if len(skus) == 0 {
		return o.search(ctx, searchBody{})
	}
	o.want = map[string]bool{}
	var uniq []string
	for _, s := range skus {
		if !o.want[s] {
			o.want[s] = true
			uniq = append(uniq, s)
		}
	}
	for start := 0; start < len(uniq); start += maxPageSize {
		if err := o.search(ctx, searchBody{SellerSKUs: uniq[start:min(start+maxPageSize, len(uniq))]}); err != nil {
			return err
		}
	}
	return nil
}

// observer is one Observe: the SKUs asked for (nil: all) and those handed
// over already (a product found by two filters is read once per filter).
type observer struct {
	c    *Channel
	page func([]adapters.Listing) error
	want map[string]bool
	seen map[string]bool
	out  []adapters.Listing
}

func (o *observer) search(ctx context.Context, body searchBody) error {
	c := o.c
	return c.searchPages(ctx, body, func(ps []product) error {
		o.out = o.out[:0]
		for i := range ps {
			p := &ps[i]
			if p.Status == "DELETED" || !o.wants(p) {
				continue
			}
			var detail product
			if err := c.call(ctx, opGetProduct, "GET", productPath+url.PathEscape(p.ID), nil, nil, &detail); err != nil {
				return fmt.Errorf("observe %s: %w", c.name, err)
			}
			ls, err := c.listings(p, &detail)
			if err != nil {
				return fmt.Errorf("observe %s: product %s: %w", c.name, p.ID, err)
			}
			for _, l := range ls {
				if (o.want != nil && !o.want[l.SKU]) || o.seen[l.SKU] {
					continue
				}
				o.seen[l.SKU] = true
				o.out = append(o.out, l)
			}
		}
		for start := 0; start < len(o.out); start += maxPageSize {
			if err := o.page(o.out[start:min(start+maxPageSize, len(o.out))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// wants reports whether p has a SKU the observer reads and has not yet.
func (o *observer) wants(p *product) bool {
	for _, s := range p.Skus {
		if s.SellerSKU != "" && (o.want == nil || o.want[s.SellerSKU]) && !o.seen[s.SellerSKU] {
			return true
		}
	}
	return false
}

// searchPages hands every page of a product search to fn. An error from fn
// is returned as it is.
func (c *Channel) searchPages(ctx context.Context, body searchBody, fn func([]product) error) error {
	q := url.Values{"page_size": {strconv.Itoa(maxPageSize)}}
	for {
		var res searchData
		if err := c.call(ctx, opSearchProducts, "POST", searchPath, q, body, &res); err != nil {
			return fmt.Errorf("channel %s: %w", c.name, err)
		}
		for i := range res.Products {
			if res.Products[i].ID == "" {
				return fmt.Errorf("channel %s: %w", c.name, &adapters.BadResponseError{Message: "search products answered a product without an id"})
			}
		}
		if err := fn(res.Products); err != nil {
			return err
		}
		if res.NextPageToken == "" || len(res.Products) == 0 {
			return nil
		}
		q.Set("page_token", res.NextPageToken)
	}
}

// listings turns a product of a search answer and the product's own read
// into accord's listings, one per SKU with a seller SKU.
func (c *Channel) listings(p, detail *product) ([]adapters.Listing, error) {
	title := detail.Title
	if title == "" {
		title = p.Title
	}
	codes := map[string]*struct {
		Code string `json:"code"`
		Type string `json:"type"`
	}{}
	for _, s := range detail.Skus {
		if s.IdentifierCode != nil && s.IdentifierCode.Code != "" {
			codes[s.ID] = s.IdentifierCode
		}
	}
	var out []adapters.Listing
	for _, s := range p.Skus {
		if s.SellerSKU == "" {
			c.log.Debug("a TikTok SKU without a seller SKU is not a listing", "product", p.ID, "sku", s.ID)
			continue
		}
		l := adapters.Listing{Key: adapters.Key{Channel: c.name, SKU: s.SellerSKU}, Currency: c.currency, Status: status(p.Status)}
		for _, inv := range s.Inventory {
			if inv.WarehouseID == c.cfg.WarehouseID && inv.Quantity != nil {
				l.Quantity = adapters.Quantity{Units: *inv.Quantity, Valid: true}
			}
		}
		amount := s.Price.TaxExclusivePrice
		if amount == "" {
			amount = s.Price.SalePrice
		}
		if amount != "" {
			d, err := decimal.NewFromString(amount)
			if err != nil {
				return nil, &adapters.BadResponseError{Message: fmt.Sprintf("SKU %s: price %q: %v", s.ID, amount, err)}
			}
			l.Price = decimal.NullDecimal{Decimal: d, Valid: true}
		}
		if s.Price.Currency != "" {
			l.Currency = s.Price.Currency
		}
		if s.ListPrice != nil && s.ListPrice.Amount != "" {
			d, err := decimal.NewFromString(s.ListPrice.Amount)
			if err != nil {
				return nil, &adapters.BadResponseError{Message: fmt.Sprintf("SKU %s: list price %q: %v", s.ID, s.ListPrice.Amount, err)}
			}
			l.CompareAt = decimal.NullDecimal{Decimal: d, Valid: true}
		}
		if title != "" {
			l.Fields = append(l.Fields, adapters.Field{Name: "title", Value: title})
		}
		if detail.Description != "" {
			l.Fields = append(l.Fields, adapters.Field{Name: "description", Value: detail.Description})
		}
		if ic := codes[s.ID]; ic != nil {
			name := strings.ToLower(ic.Type)
			if name == "" || adapters.Reserved(name) || name == "title" || name == "description" {
				name = "identifier_code"
			}
			l.Fields = append(l.Fields, adapters.Field{Name: name, Value: ic.Code})
		}
		sort.Slice(l.Fields, func(i, j int) bool { return l.Fields[i].Name < l.Fields[j].Name })
		l.Ref = ref(p.ID, s.ID, s.SellerSKU)
		out = append(out, l)
	}
	return out, nil
}

// status is accord's word for a product status: ACTIVATE is "active", a
// product the seller deactivated "inactive", one the platform deactivated
// "suppressed", any other status in lower case ("draft", "pending",
// "failed", "freeze").
func status(s string) string {
	switch s {
	case "ACTIVATE":
		return "active"
	case "SELLER_DEACTIVATED":
		return "inactive"
	case "PLATFORM_DEACTIVATED":
		return "suppressed"
	}
	return strings.ToLower(s)
}

// ref is the adapter reference of a listing: its product ID, SKU ID and a
// hash of its seller SKU, so that a change carrying another listing's
// reference is told apart.
func ref(productID, skuID, sellerSKU string) adapters.Ref {
	return adapters.Ref(productID + ":" + skuID + ":" + skuHash(sellerSKU))
}

func skuHash(sellerSKU string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(sellerSKU))
	return fmt.Sprintf("%08x", h.Sum32())
}

// parseRef splits a reference; ok is false for one that is not this
// adapter's or names another seller SKU.
func parseRef(r adapters.Ref, sellerSKU string) (productID, skuID string, ok bool) {
	parts := strings.Split(string(r), ":")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] != skuHash(sellerSKU) {
		return "", "", false
	}
	return parts[0], parts[1], true
}
