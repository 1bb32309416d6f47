// Package ebaytest is a fake eBay for tests: the Sell Inventory API calls
// the ebay adapter makes, the OAuth token endpoint, the Fulfillment API's
// getOrder and the Notification API's public keys, on one httptest server
// (see Server). It is importable by tests outside the adapter (the CLI's
// end-to-end tests). It owns the JSON Schemas of the request bodies, derived
// from eBay's OpenAPI document, that every request is checked against.
package ebaytest
