// Package lazadatest is a fake Lazada Open Platform for accord's tests: the
// API gateway (/products/get, /product/price_quantity/update,
// /product/update) and the token service (/auth/token/refresh) on one
// httptest server.
//
// It checks every request as Lazada does and more strictly: the method,
// the path, the content type, every parameter (no unknown one, the
// documented limits), app_key, sign_method, the timestamp's window of
// 7200 s, the signature (recomputed), and each payload against the JSON
// Schemas in schemas/, derived by hand from Lazada's documents. A request
// outside them fails the test that sent it and is answered HTTP 400 with
// Lazada's envelope {code, type, message, request_id}, with the error code
// Lazada documents for it (E005, E019, E036, E070...) or, where it
// documents none, a name of the fake's in the gateway's style
// (InvalidParameter, MissingParameter, InvalidTimestamp). A token that
// expired or was never issued is not the client's mistake: it is answered
// as Lazada does, code IllegalAccessToken.
//
// GetProducts answers as its reference page says: offset at most 10000
// (E014 past it), limit at most 50, create_after, create_before,
// update_after and update_before in ISO 8601 with a zone offset ("+0800"
// or "+08:00"; E017 otherwise), each end included, compared to the
// millisecond; total_products counts the query's items. Lazada documents
// no order: the fake answers by created time then item ID, oldest first,
// or newest first ([Server.NewestFirst]), so that a test can show a
// client depends on neither. An item added without a created time gets
// [CreatedBase] and a second more per item before it.
//
// [New] starts it; tests seed listings, read them back, script failures,
// refuse SKUs of a batch, expire tokens and enforce rate limits, from the
// adapter's package or any other (the command's end-to-end tests).
package lazadatest
