package shopeetest

import (
	"embed"

	"github.com/accordhq/accord/adapters/apitest"
)

// The request bodies the adapter sends are checked against JSON Schemas
// derived by hand from Shopee's API reference (schemas/*.json, each
// naming its page in $comment): Shopee publishes no machine-readable
// description, and its pages carry no licence to copy them here.
//
//go:embed schemas/*.json
var schemaFS embed.FS

var schemas = apitest.NewSchemas(schemaFS, "schemas")

// validateBody checks a JSON body against the schema of an API
// ("update_price").
func validateBody(name string, body []byte) error {
	return schemas.Validate(name+".json", body)
}
