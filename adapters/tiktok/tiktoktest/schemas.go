package tiktoktest

import (
	"embed"
	"fmt"

	"github.com/accordhq/accord/adapters/apitest"
)

// The request bodies' schemas, derived by hand from TikTok's partner
// documents (each file's $comment names its document), embedded so that
// the fake checks bodies wherever it runs.
//
//go:embed schemas/*.json
var schemaFS embed.FS

var schemas = apitest.NewSchemas(schemaFS, "schemas")

// The schema of each operation with a body.
var bodySchemas = map[string]string{
	OpSearchProducts:  "search_products.json",
	OpUpdatePrice:     "update_price.json",
	OpUpdateInventory: "update_inventory.json",
	OpPartialEdit:     "partial_edit.json",
}

// validateBody checks the body of operation op against its schema.
func validateBody(op string, body []byte) error {
	name, ok := bodySchemas[op]
	if !ok {
		if len(body) > 0 {
			return fmt.Errorf("%s takes no body", op)
		}
		return nil
	}
	return schemas.Validate(name, body)
}
