package walmarttest

import (
	"embed"

	"github.com/accordhq/accord/adapters/apitest"
)

// The request schemas, hand-derived from Walmart's documents (see
// schemas/README.md: the documents carry no licence that allows copying
// them here).
//
//go:embed schemas/*.json
var schemaFS embed.FS

// The schemas by file name.
const (
	schemaPrice       = "price.schema.json"
	schemaInventory   = "inventory.schema.json"
	schemaInvFeed     = "inventory-feed.schema.json"
	schemaPriceFeed   = "price-feed.schema.json"
	schemaMaintenance = "maintenance-feed.schema.json"
)

var schemas = apitest.NewSchemas(schemaFS, "schemas").AssertFormat()

// Validate checks a JSON document against one of the schemas (its file
// name in schemas/).
func Validate(schema string, body []byte) error {
	return schemas.Validate(schema, body)
}
