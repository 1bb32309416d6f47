package shopify

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/accordhq/accord/adapters/shopify/shopifytest"
)

// adminSchema is the Admin API 2025-04 schema the fake store bundles.
func adminSchema(t testing.TB) *ast.Schema {
	t.Helper()
	s, err := shopifytest.Schema()
	if err != nil {
		t.Fatalf("loading the Admin API schema: %v", err)
	}
	return s
}

// adminSchema202604 is 2025-04 with what 2026-04 adds for the adapter's
// documents (shopifytest.Extension202604).
func adminSchema202604(t testing.TB) *ast.Schema {
	t.Helper()
	s, err := shopifytest.Schema202604()
	if err != nil {
		t.Fatalf("loading the 2026-04 schema: %v", err)
	}
	return s
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
	if _, _, err := shopifytest.Validate(s, `mutation M($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) { userErrors { code } } }`, "M",
		map[string]any{"i": map[string]any{"name": "available", "reason": "correction", "quantities": []any{map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/1", "quantity": 1, "changeFromQuantity": 0}}}}); err == nil {
		t.Error("changeFromQuantity, which 2025-04 lacks, validated")
	}
	s2 := adminSchema202604(t)
	if _, _, err := shopifytest.Validate(s2, `mutation M($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) { userErrors { code } } }`, "M",
		map[string]any{"i": map[string]any{"name": "available", "reason": "correction", "quantities": []any{map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "gid://shopify/Location/1", "quantity": 1, "changeFromQuantity": 0}}}}); err != nil {
		t.Errorf("changeFromQuantity with the 2026-04 extension: %v", err)
	}
}
