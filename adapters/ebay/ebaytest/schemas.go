package ebaytest

import (
	"embed"

	"github.com/accordhq/accord/adapters/apitest"
)

// The request bodies the adapter sends are checked against JSON Schemas
// derived from eBay's Sell Inventory OpenAPI document (v1.18.4), one file
// per component in schemas/, each naming its source in its $comment. The
// document itself is published under eBay's API License Agreement and is
// not committed; the schemas hold its field names and types only.
//
//go:embed schemas/*.json
var schemaFS embed.FS

// The schemas, by the name of the component they come from.
const (
	SchemaBulkPriceQuantity    = "BulkPriceQuantity"
	SchemaInventoryItem        = "InventoryItem"
	SchemaOffer                = "EbayOfferDetailsWithId"
	SchemaBulkGetInventoryItem = "BulkGetInventoryItem"
)

var schemas = apitest.NewSchemas(schemaFS, "schemas")

// Validate checks a request body against the named schema.
func Validate(schema string, body []byte) error {
	return schemas.Validate(schema+".json", body)
}
