// Package shopifytest is a fake store speaking the GraphQL Admin API, for
// accord's tests: an httptest server that validates every document and its
// variables against the bundled Admin API 2025-04 schema (a document the
// schema refuses fails the test), answers in the documented shapes
// (userErrors, extensions.cost with throttleStatus, THROTTLED from a leaky
// cost bucket, cursor pages, a bulk query with its JSONL result) and keeps
// products, variants, locations and quantities in memory.
//
// A test starts it with New, seeds it (Seed, AddProduct, AddLocation),
// reads a variant back (Variant, Available), lands a sale (Sell), sets the
// bucket (SetThrottle) and points the shopify adapter's endpoint at URL,
// with Token as the access token.
//
// It keeps no orders (a sale only lowers a quantity), webhooks, media or
// metafields: nothing the adapter does not read or write.
package shopifytest
