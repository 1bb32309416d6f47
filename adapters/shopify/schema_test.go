package shopify

import (
	"compress/gzip"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// The Admin API 2025-04 schema (SDL), gzipped: see testdata/README for
// where it comes from.
const schemaFile = "testdata/admin-2025-04.schema.graphql.gz"

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// adminSchema loads the schema once per test binary.
func adminSchema(t testing.TB) *ast.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		var src string
		if src, schemaErr = readSDL(); schemaErr == nil {
			schema, schemaErr = gqlparser.LoadSchema(&ast.Source{Name: "admin-2025-04.schema.graphql", Input: src})
		}
	})
	if schemaErr != nil {
		t.Fatalf("loading the Admin API schema: %v", schemaErr)
	}
	return schema
}

// validate checks a document and its variables against the schema and
// returns its one operation with the variables coerced.
func validate(s *ast.Schema, query, opName string, vars map[string]any) (*ast.OperationDefinition, map[string]any, error) {
	doc, errs := gqlparser.LoadQueryWithRules(s, query, rules.NewDefaultRules())
	if len(errs) > 0 {
		return nil, nil, errs
	}
	op := doc.Operations.ForName(opName)
	if op == nil {
		return nil, nil, gqlerror.Errorf("no operation %q in the document", opName)
	}
	coerced, err := validator.VariableValues(s, op, vars)
	if err != nil {
		return nil, nil, err
	}
	return op, coerced, nil
}

func TestDocumentsValidate(t *testing.T) {
	s := adminSchema(t)
	docs := map[string]string{"Variants": variantsQuery, "Locations": locationsQuery}
	for name, q := range docs {
		if _, errs := gqlparser.LoadQueryWithRules(s, q, rules.NewDefaultRules()); len(errs) > 0 {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

// The schema is the real one: a field Shopify lacks is refused.
func TestSchemaRefusesUnknownFields(t *testing.T) {
	s := adminSchema(t)
	if _, errs := gqlparser.LoadQueryWithRules(s, `query { productVariants(first: 1) { nodes { inventoryQuantityAvailable } } }`, rules.NewDefaultRules()); len(errs) == 0 {
		t.Error("a field the schema lacks validated")
	}
	if _, _, err := validate(s, `mutation M($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) { userErrors { code } } }`, "M",
		map[string]any{"i": map[string]any{"name": "available", "reason": "correction", "quantities": []any{map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/1", "quantity": 1, "changeFromQuantity": 0}}}}); err == nil {
		t.Error("changeFromQuantity, which 2025-04 lacks, validated")
	}
}

// schemaExtension202604 is what the 2026-04 documentation adds to the
// 2025-04 schema for the documents this adapter sends: no 2026 schema file
// is at hand, so the tests of api_version 2026-04 validate against 2025-04
// with this, written from
// https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities
// (changeFromQuantity on InventoryQuantityInput) and
// https://shopify.dev/docs/api/usage/idempotent-requests (@idempotent(key:)
// on the mutation field).
const schemaExtension202604 = `
directive @idempotent(key: String!) on FIELD
extend input InventoryQuantityInput { changeFromQuantity: Int }
`

var (
	schema2604Once sync.Once
	schema2604     *ast.Schema
	schema2604Err  error
)

func adminSchema202604(t testing.TB) *ast.Schema {
	t.Helper()
	adminSchema(t) // fails the test if the base is missing
	schema2604Once.Do(func() {
		var src string
		if src, schema2604Err = readSDL(); schema2604Err != nil {
			return
		}
		schema2604, schema2604Err = gqlparser.LoadSchema(
			&ast.Source{Name: "admin-2025-04.schema.graphql", Input: src},
			&ast.Source{Name: "2026-04-extension.graphql", Input: schemaExtension202604})
	})
	if schema2604Err != nil {
		t.Fatalf("loading the 2026-04 schema: %v", schema2604Err)
	}
	return schema2604
}

// readSDL reads the gzipped schema.
func readSDL() (string, error) {
	f, err := os.Open(schemaFile)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", err
	}
	src, err := io.ReadAll(zr)
	return string(src), err
}
