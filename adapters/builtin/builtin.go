// Package builtin assembles the registry of channel kinds and stock-source
// kinds linked into the accord binary. It is the one place that names every
// kind; the command layer calls Registry and hands the result to the spec
// loader and the controller.
package builtin

import (
	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/amazon"
	"github.com/accordhq/accord/adapters/ebay"
	"github.com/accordhq/accord/adapters/file"
	"github.com/accordhq/accord/adapters/lazada"
	"github.com/accordhq/accord/adapters/sandbox"
	"github.com/accordhq/accord/adapters/shopee"
	"github.com/accordhq/accord/adapters/shopify"
	"github.com/accordhq/accord/adapters/tiktok"
	"github.com/accordhq/accord/adapters/walmart"
)

// Registry returns a fresh registry of every kind accord knows.
func Registry() *adapters.Registry {
	return adapters.NewRegistry(
		sandbox.Kind,
		file.Kind,
		shopify.Kind, amazon.Kind, ebay.Kind, walmart.Kind, tiktok.Kind, shopee.Kind, lazada.Kind,
	).WithStock(
		file.StockKind,
		sandbox.StockKind,
	)
}
