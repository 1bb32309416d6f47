package shopifytest

import (
	"bytes"
	"compress/gzip"
	_ "embed" // the schema
	"io"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// schemaGz is the Admin API 2025-04 schema (SDL), gzipped: see
// schema/README.md for where it comes from.
//
//go:embed schema/admin-2025-04.schema.graphql.gz
var schemaGz []byte

// Extension202604 is what the 2026-04 documentation adds to the 2025-04
// schema for the documents the adapter sends: no 2026 schema file is at
// hand, so the store validates api_version 2026-04 against 2025-04 with
// this, written from
// https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities
// (changeFromQuantity on InventoryQuantityInput) and
// https://shopify.dev/docs/api/usage/idempotent-requests (@idempotent(key:)
// on the mutation field).
const Extension202604 = `
directive @idempotent(key: String!) on FIELD
extend input InventoryQuantityInput { changeFromQuantity: Int }
`

var (
	schemaOnce, schema2604Once sync.Once
	schema, schema2604         *ast.Schema
	schemaErr, schema2604Err   error
)

// Schema is the Admin API 2025-04 schema, loaded once.
func Schema() (*ast.Schema, error) {
	schemaOnce.Do(func() {
		var src string
		if src, schemaErr = readSDL(); schemaErr == nil {
			schema, schemaErr = gqlparser.LoadSchema(&ast.Source{Name: "admin-2025-04.schema.graphql", Input: src})
		}
	})
	return schema, schemaErr
}

// Schema202604 is the 2025-04 schema with Extension202604, loaded once.
func Schema202604() (*ast.Schema, error) {
	schema2604Once.Do(func() {
		var src string
		if src, schema2604Err = readSDL(); schema2604Err != nil {
			return
		}
		schema2604, schema2604Err = gqlparser.LoadSchema(
			&ast.Source{Name: "admin-2025-04.schema.graphql", Input: src},
			&ast.Source{Name: "2026-04-extension.graphql", Input: Extension202604})
	})
	return schema2604, schema2604Err
}

// Validate checks a document and its variables against the schema and
// returns its operation named opName with the variables coerced.
func Validate(s *ast.Schema, query, opName string, vars map[string]any) (*ast.OperationDefinition, map[string]any, error) {
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

func readSDL() (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(schemaGz))
	if err != nil {
		return "", err
	}
	src, err := io.ReadAll(zr)
	return string(src), err
}
