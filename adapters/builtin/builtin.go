// Package builtin assembles the registry of channel kinds and stock-source
// kinds linked into the accord binary. It is the one place that names every
// kind; the command layer calls Registry and hands the result to the spec
// loader and the controller.
package builtin

import (
	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/amazon"
	"github.com/accordhq/accord/adapters/file"
	"github.com/accordhq/accord/adapters/sandbox"
	"github.com/accordhq/accord/adapters/shopify"
)

// Registry returns a fresh registry of every kind accord knows.
//
// A channel kind is listed here as soon as the spec language accepts it, so
// that a team can write and validate its spec before the adapter that talks
// to the channel is in the build; such a kind has no Open and no Config
// schema yet, and validate accepts any config block for it.
func Registry() *adapters.Registry {
	return adapters.NewRegistry(
		sandbox.Kind,
		file.Kind,
		shopify.Kind, amazon.Kind, ebay, walmart, tiktok, shopee, lazada,
	).WithStock(
		file.StockKind,
		sandbox.StockKind,
	)
}
