package shopeetest

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The request bodies the adapter sends are checked against JSON Schemas
// derived by hand from Shopee's API reference (schemas/*.json, each
// naming its page in $comment): Shopee publishes no machine-readable
// description, and its pages carry no licence to copy them here.
//
//go:embed schemas/*.json
var schemaFS embed.FS

var schemas = struct {
	once sync.Once
	err  error
	m    map[string]*jsonschema.Schema
}{}

// schemaFor returns the compiled schema of an API's body ("update_price").
func schemaFor(name string) (*jsonschema.Schema, error) {
	schemas.once.Do(func() {
		entries, err := schemaFS.ReadDir("schemas")
		if err != nil {
			schemas.err = err
			return
		}
		c := jsonschema.NewCompiler()
		schemas.m = map[string]*jsonschema.Schema{}
		for _, e := range entries {
			raw, err := schemaFS.ReadFile("schemas/" + e.Name())
			if err != nil {
				schemas.err = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				schemas.err = fmt.Errorf("%s: %w", e.Name(), err)
				return
			}
			url := "file:///" + e.Name()
			if err := c.AddResource(url, doc); err != nil {
				schemas.err = err
				return
			}
			s, err := c.Compile(url)
			if err != nil {
				schemas.err = fmt.Errorf("%s: %w", e.Name(), err)
				return
			}
			schemas.m[e.Name()[:len(e.Name())-len(".json")]] = s
		}
	})
	if schemas.err != nil {
		return nil, schemas.err
	}
	s, ok := schemas.m[name]
	if !ok {
		return nil, fmt.Errorf("no schema for %s", name)
	}
	return s, nil
}

// validateBody checks a JSON body against the schema of an API.
func validateBody(name string, body []byte) error {
	s, err := schemaFor(name)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(doc)
}
