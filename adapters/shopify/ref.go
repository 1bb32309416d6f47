package shopify

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/accordhq/accord/adapters"
)

// The global ID prefixes of the objects a reference names.
const (
	gidProduct       = "gid://shopify/Product/"
	gidVariant       = "gid://shopify/ProductVariant/"
	gidInventoryItem = "gid://shopify/InventoryItem/"
	gidLocation      = "gid://shopify/Location/"
)

// ref is what the adapter keeps of a listing: the IDs of its product,
// variant and inventory item, and a hash of its SKU so that a write
// carrying another listing's reference is refused instead of landing on
// the wrong variant. Written as "p/v/i/hash" with the gid prefixes left
// off.
type ref struct {
	Product, Variant, Item string // global IDs
	SKU                    string // hash of the SKU, 8 hex digits
}

func skuHash(sku string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(sku))
	return fmt.Sprintf("%08x", h.Sum32())
}

func makeRef(product, variant, item, sku string) ref {
	return ref{Product: product, Variant: variant, Item: item, SKU: skuHash(sku)}
}

func (r ref) String() string {
	return strings.Join([]string{
		strings.TrimPrefix(r.Product, gidProduct),
		strings.TrimPrefix(r.Variant, gidVariant),
		strings.TrimPrefix(r.Item, gidInventoryItem),
		r.SKU,
	}, "/")
}

// parseRef reads a reference this adapter wrote.
func parseRef(s adapters.Ref) (ref, error) {
	parts := strings.Split(string(s), "/")
	if len(parts) != 4 {
		return ref{}, fmt.Errorf("reference %q is not a shopify adapter's", s)
	}
	for _, p := range parts {
		if p == "" {
			return ref{}, fmt.Errorf("reference %q is not a shopify adapter's", s)
		}
	}
	return ref{Product: gidProduct + parts[0], Variant: gidVariant + parts[1], Item: gidInventoryItem + parts[2], SKU: parts[3]}, nil
}
