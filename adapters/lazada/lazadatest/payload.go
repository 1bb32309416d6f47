package lazadatest

import (
	"embed"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/accordhq/accord/adapters/apitest"
)

// The schemas in schemas/ are derived by hand from Lazada's documents (each
// names its sources in $comment): Lazada publishes no machine-readable
// definition, and its pages carry no licence to copy them. A payload is XML
// (what the adapter sends, as Lazada's SDKs do); it is read as Lazada's
// JSON payload form (the "Update a product" guide shows both) and
// validated with github.com/santhosh-tekuri/jsonschema/v6.

//go:embed schemas/*.json
var schemaFS embed.FS

var schemas = apitest.NewSchemas(schemaFS, "schemas")

// The payload schemas by API.
const (
	schemaPriceQuantity = "price_quantity_update.json"
	schemaProductUpdate = "product_update.json"
)

// arrays are the elements Lazada's JSON form always writes as arrays.
var arrays = map[string]bool{"Sku": true, "MultiWarehouseInventory": true, "Image": true}

// PayloadJSON reads an XML payload as Lazada's JSON payload form: an
// element with child elements is an object of them, a leaf its text;
// Sku, MultiWarehouseInventory and Image are arrays. Attributes, mixed
// content and a repeated element that is not an array are refused.
func PayloadJSON(payload string) (map[string]any, error) {
	dec := xml.NewDecoder(strings.NewReader(payload)) //nolint:gosec // G709: the fake reads its own client's payload, into plain maps
	dec.Strict = true
	type frame struct {
		name     string
		children map[string]any
		text     strings.Builder
		elements bool
	}
	var stack []*frame
	var root map[string]any
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("payload is not XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(t.Attr) > 0 {
				return nil, fmt.Errorf("element %s has XML attributes", t.Name.Local)
			}
			if t.Name.Space != "" {
				return nil, fmt.Errorf("element %s has a namespace", t.Name.Local)
			}
			if len(stack) == 0 && root != nil {
				return nil, errors.New("payload has two root elements")
			}
			if len(stack) > 0 {
				stack[len(stack)-1].elements = true
			}
			stack = append(stack, &frame{name: t.Name.Local, children: map[string]any{}})
		case xml.EndElement:
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			var v any = f.text.String()
			if f.elements {
				if strings.TrimSpace(f.text.String()) != "" {
					return nil, fmt.Errorf("element %s mixes text and elements", f.name)
				}
				v = f.children
			}
			if len(stack) == 0 {
				root = map[string]any{f.name: v}
				continue
			}
			parent := stack[len(stack)-1].children
			if arrays[f.name] {
				list, _ := parent[f.name].([]any)
				parent[f.name] = append(list, v)
				continue
			}
			if _, dup := parent[f.name]; dup {
				return nil, fmt.Errorf("element %s repeated in %s", f.name, stack[len(stack)-1].name)
			}
			parent[f.name] = v
		case xml.CharData:
			if len(stack) == 0 {
				if strings.TrimSpace(string(t)) != "" {
					return nil, errors.New("text outside the root element")
				}
				continue
			}
			stack[len(stack)-1].text.Write(t)
		case xml.ProcInst, xml.Comment:
		case xml.Directive:
			return nil, errors.New("payload has a directive")
		}
	}
	if root == nil {
		return nil, errors.New("payload has no element")
	}
	return root, nil
}

// checkPayload validates an XML payload against the schema of an API and
// decodes it into out (through its JSON form).
func checkPayload(schema, payload string, out any) error {
	doc, err := PayloadJSON(payload)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := schemas.Validate(schema, raw); err != nil {
		return fmt.Errorf("payload against %s: %w", schema, err)
	}
	return json.Unmarshal(raw, out)
}
