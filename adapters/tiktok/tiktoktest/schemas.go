package tiktoktest

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The request bodies' schemas, derived by hand from TikTok's partner
// documents (each file's $comment names its document), embedded so that
// the fake checks bodies wherever it runs.
//
//go:embed schemas/*.json
var schemaFS embed.FS

var schemas = struct {
	once sync.Once
	err  error
	m    map[string]*jsonschema.Schema
}{}

// The schema of each operation with a body.
var bodySchemas = map[string]string{
	OpSearchProducts:  "search_products.json",
	OpUpdatePrice:     "update_price.json",
	OpUpdateInventory: "update_inventory.json",
	OpPartialEdit:     "partial_edit.json",
}

func loadSchemas() error {
	schemas.once.Do(func() {
		c := jsonschema.NewCompiler()
		schemas.m = map[string]*jsonschema.Schema{}
		for _, name := range bodySchemas {
			raw, err := schemaFS.ReadFile("schemas/" + name)
			if err != nil {
				schemas.err = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				schemas.err = fmt.Errorf("%s: %w", name, err)
				return
			}
			if err := c.AddResource("file:///"+name, doc); err != nil {
				schemas.err = err
				return
			}
		}
		for op, name := range bodySchemas {
			s, err := c.Compile("file:///" + name)
			if err != nil {
				schemas.err = fmt.Errorf("%s: %w", name, err)
				return
			}
			schemas.m[op] = s
		}
	})
	return schemas.err
}

// validateBody checks the body of operation op against its schema.
func validateBody(op string, body []byte) error {
	if err := loadSchemas(); err != nil {
		return err
	}
	s, ok := schemas.m[op]
	if !ok {
		if len(body) > 0 {
			return fmt.Errorf("%s takes no body", op)
		}
		return nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("the body is not JSON: %w", err)
	}
	return s.Validate(doc)
}
