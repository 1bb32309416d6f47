package amazontest

import (
	"path"
	"testing"
)

func TestModelsLoad(t *testing.T) {
	for _, ref := range []string{
		"listingsItems_2021-08-01.json#/definitions/ListingsItemPatchRequest",
		"listingsItems_2021-08-01.json#/definitions/Item",
		"feeds_2021-06-30.json#/definitions/CreateFeedSpecification",
		"listings-feed-schema-v2.json",
		"listings-feed-processing-report-schema-v2.json",
		"listingsItems_2021-08-01.patch-request.schema.json",
	} {
		schema(t, ref)
	}
	// The models' own examples validate; a wrong body does not.
	for file, ref := range map[string]string{
		"listings-feed-schema-v2.example.json":                   "listings-feed-schema-v2.json",
		"listings-feed-processing-report-schema-v2.example.json": "listings-feed-processing-report-schema-v2.json",
	} {
		raw, err := modelFS.ReadFile(path.Join(modelsDir, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(t, ref, raw); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	bad := mustJSON(t, map[string]any{"productType": "LUGGAGE", "patches": []any{}})
	if validate(t, "listingsItems_2021-08-01.json#/definitions/ListingsItemPatchRequest", bad) == nil {
		t.Error("a patch request without patches validates")
	}
}
