// Package shopeetest is a fake Shopee Open Platform (API v2, the product,
// discount and token calls the shopee adapter makes) on an httptest
// server, for the adapter's tests and the CLI's end-to-end tests. It
// checks every request as Shopee documents it, signature and timestamp
// window included, and request bodies against JSON Schemas derived by
// hand from Shopee's API reference (schemas/). It owns no adapter logic.
package shopeetest
