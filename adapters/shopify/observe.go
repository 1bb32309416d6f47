package shopify

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/accordhq/accord/adapters"
)

// variantsQuery reads a page of variants with what accord manages of each:
// prices, barcode, the available quantity at the location, and the
// product's title, description and status.
const variantsQuery = `query Variants($first: Int!, $after: String, $query: String, $location: ID!) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id
      sku
      price
      compareAtPrice
      barcode
      inventoryItem {
        id
        inventoryLevel(locationId: $location) {
          quantities(names: ["available"]) { name quantity }
        }
      }
      product { id title descriptionHtml status }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// variantNode is one variant as variantsQuery reads it.
type variantNode struct {
	ID             string  `json:"id"`
	SKU            *string `json:"sku"`
	Price          string  `json:"price"`
	CompareAtPrice *string `json:"compareAtPrice"`
	Barcode        *string `json:"barcode"`
	InventoryItem  struct {
		ID             string `json:"id"`
		InventoryLevel *struct {
			Quantities []struct {
				Name     string `json:"name"`
				Quantity int64  `json:"quantity"`
			} `json:"quantities"`
		} `json:"inventoryLevel"`
	} `json:"inventoryItem"`
	Product struct {
		ID              string `json:"id"`
		Title           string `json:"title"`
		DescriptionHTML string `json:"descriptionHtml"`
		Status          string `json:"status"`
	} `json:"product"`
}

type variantsPage struct {
	ProductVariants struct {
		Nodes    []variantNode `json:"nodes"`
		PageInfo struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"productVariants"`
}

// skusPerQuery is how many SKUs one search query names.
const skusPerQuery = 50

// Observe reads the variants of the store (or those of skus) a page at a
// time with productVariants. Variants without a SKU are left out: accord
// cannot name them.
func (c *Channel) Observe(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	loc, err := c.locationID(ctx)
	if err != nil {
		return fmt.Errorf("observe %s: %w", c.name, err)
	}
	if len(skus) == 0 {
		return c.observe(ctx, loc, "", nil, page)
	}
	if len(skus) > 4*skusPerQuery {
		// Many SKUs: searching for them costs more than reading the
		// whole store once it takes as many searches as pages.
		n, err := c.count(ctx)
		if err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		if (len(skus)+skusPerQuery-1)/skusPerQuery >= (n+pageSize-1)/pageSize {
			return c.readAllOf(ctx, skus, page)
		}
	}
	for start := 0; start < len(skus); start += skusPerQuery {
		group := skus[start:min(start+skusPerQuery, len(skus))]
		want := make(map[string]bool, len(group))
		for _, s := range group {
			want[s] = true
		}
		if err := c.observe(ctx, loc, skuQuery(group), want, page); err != nil {
			return err
		}
	}
	return nil
}

// observe pages through one search. want, when set, keeps only those SKUs
// (the search matches more loosely than equality).
func (c *Channel) observe(ctx context.Context, loc, query string, want map[string]bool, page func([]adapters.Listing) error) error {
	var after *string
	buf := make([]adapters.Listing, 0, pageSize)
	seen := map[string]bool{}
	for {
		vars := map[string]any{"first": pageSize, "location": loc}
		if after != nil {
			vars["after"] = *after
		}
		if query != "" {
			vars["query"] = query
		}
		var out variantsPage
		if err := c.c.do(ctx, false, "Variants", defaultReadCost, variantsQuery, vars, &out); err != nil {
			return fmt.Errorf("observe %s: %w", c.name, err)
		}
		buf = buf[:0]
		for i := range out.ProductVariants.Nodes {
			l, ok, err := c.listing(&out.ProductVariants.Nodes[i])
			if err != nil {
				return fmt.Errorf("observe %s: %w", c.name, err)
			}
			if !ok || (want != nil && !want[l.SKU]) || seen[l.SKU] {
				continue
			}
			seen[l.SKU] = true
			buf = append(buf, l)
		}
		if len(buf) > 0 {
			if err := page(buf); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		pi := out.ProductVariants.PageInfo
		if !pi.HasNextPage {
			return nil
		}
		if pi.EndCursor == nil || *pi.EndCursor == "" || (after != nil && *after == *pi.EndCursor) {
			return fmt.Errorf("observe %s: %w", c.name, &adapters.BadResponseError{Message: "productVariants says there is a next page but gives no new cursor"})
		}
		after = pi.EndCursor
	}
}

// listing turns a variant into a listing; ok is false for a variant
// without a SKU.
func (c *Channel) listing(n *variantNode) (adapters.Listing, bool, error) {
	if n.SKU == nil || *n.SKU == "" {
		return adapters.Listing{}, false, nil
	}
	l := adapters.Listing{
		Key:      adapters.Key{Channel: c.name, SKU: *n.SKU},
		Currency: c.currency,
		Status:   strings.ToLower(n.Product.Status),
		Ref:      adapters.Ref(makeRef(n.Product.ID, n.ID, n.InventoryItem.ID, *n.SKU).String()),
	}
	c.learnItem(n.InventoryItem.ID, *n.SKU)
	p, err := decimal.NewFromString(n.Price)
	if err != nil {
		return l, false, &adapters.BadResponseError{Message: fmt.Sprintf("variant %s: price %q is not an amount", n.ID, n.Price)}
	}
	l.Price = decimal.NullDecimal{Decimal: p, Valid: true}
	if n.CompareAtPrice != nil {
		ca, err := decimal.NewFromString(*n.CompareAtPrice)
		if err != nil {
			return l, false, &adapters.BadResponseError{Message: fmt.Sprintf("variant %s: compareAtPrice %q is not an amount", n.ID, *n.CompareAtPrice)}
		}
		l.CompareAt = decimal.NullDecimal{Decimal: ca, Valid: true}
	}
	// A variant not stocked at the location has no level there: its
	// quantity is not one accord can read or set.
	if lv := n.InventoryItem.InventoryLevel; lv != nil {
		for _, q := range lv.Quantities {
			if q.Name == "available" {
				l.Quantity = adapters.Quantity{Units: q.Quantity, Valid: true}
			}
		}
	}
	l.Fields = append(l.Fields, adapters.Field{Name: fieldTitle, Value: n.Product.Title})
	if n.Product.DescriptionHTML != "" {
		l.Fields = append(l.Fields, adapters.Field{Name: fieldDescription, Value: n.Product.DescriptionHTML})
	}
	if n.Barcode != nil && *n.Barcode != "" {
		l.Fields = append(l.Fields, adapters.Field{Name: fieldGTIN, Value: *n.Barcode})
	}
	sort.Slice(l.Fields, func(i, j int) bool { return l.Fields[i].Name < l.Fields[j].Name })
	return l, true, nil
}

// The listing fields the adapter reads and writes, and where they live:
// title and description on the product, gtin as the variant's barcode.
const (
	fieldTitle       = "title"
	fieldDescription = "description"
	fieldGTIN        = "gtin"
)

// skuQuery is a productVariants search for any of skus, in Shopify's
// search syntax: sku:"..." terms joined by OR, each value quoted with its
// quotes and backslashes escaped.
func skuQuery(skus []string) string {
	terms := make([]string, len(skus))
	for i, s := range skus {
		terms[i] = "sku:" + quote(s)
	}
	return strings.Join(terms, " OR ")
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// readAllOf reads the whole store and hands over the listings of skus.
func (c *Channel) readAllOf(ctx context.Context, skus []string, page func([]adapters.Listing) error) error {
	want := make(map[string]bool, len(skus))
	for _, s := range skus {
		want[s] = true
	}
	var buf []adapters.Listing
	return c.ObserveAll(ctx, func(ls []adapters.Listing) error {
		buf = buf[:0]
		for _, l := range ls {
			if want[l.SKU] {
				buf = append(buf, l)
			}
		}
		if len(buf) == 0 {
			return nil
		}
		return page(buf)
	})
}
