package ebaytest

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
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

var compiled = struct {
	once    sync.Once
	err     error
	schemas map[string]*jsonschema.Schema
}{}

func loadSchemas() error {
	compiled.once.Do(func() {
		c := jsonschema.NewCompiler()
		compiled.schemas = map[string]*jsonschema.Schema{}
		names := []string{SchemaBulkPriceQuantity, SchemaInventoryItem, SchemaOffer, SchemaBulkGetInventoryItem}
		for _, name := range names {
			raw, err := schemaFS.ReadFile("schemas/" + name + ".json")
			if err != nil {
				compiled.err = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				compiled.err = fmt.Errorf("%s: %w", name, err)
				return
			}
			if err := c.AddResource("file:///"+name+".json", doc); err != nil {
				compiled.err = err
				return
			}
		}
		for _, name := range names {
			s, err := c.Compile("file:///" + name + ".json")
			if err != nil {
				compiled.err = fmt.Errorf("compiling %s: %w", name, err)
				return
			}
			compiled.schemas[name] = s
		}
	})
	return compiled.err
}

// Validate checks a request body against the named schema.
func Validate(schema string, body []byte) error {
	if err := loadSchemas(); err != nil {
		return err
	}
	s, ok := compiled.schemas[schema]
	if !ok {
		return fmt.Errorf("no schema %s", schema)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(doc)
}
