package walmarttest

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
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

var compiled = struct {
	once    sync.Once
	err     error
	schemas map[string]*jsonschema.Schema
}{}

func loadSchemas() error {
	compiled.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		compiled.schemas = map[string]*jsonschema.Schema{}
		names := []string{schemaPrice, schemaInventory, schemaInvFeed, schemaPriceFeed, schemaMaintenance}
		for _, name := range names {
			raw, err := schemaFS.ReadFile("schemas/" + name)
			if err != nil {
				compiled.err = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				compiled.err = fmt.Errorf("%s: %w", name, err)
				return
			}
			if err := c.AddResource("file:///"+name, doc); err != nil {
				compiled.err = err
				return
			}
		}
		for _, name := range names {
			s, err := c.Compile("file:///" + name)
			if err != nil {
				compiled.err = fmt.Errorf("compiling %s: %w", name, err)
				return
			}
			compiled.schemas[name] = s
		}
	})
	return compiled.err
}

// Validate checks a JSON document against one of the schemas (its file
// name in schemas/).
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
