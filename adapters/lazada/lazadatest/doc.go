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
// Lazada's envelope {code, type, message, request_id}. A token that
// expired or was never issued is not the client's mistake: it is answered
// as Lazada does, code IllegalAccessToken.
//
// [New] starts it; tests seed listings, read them back, script failures,
// refuse SKUs of a batch, expire tokens and enforce rate limits, from the
// adapter's package or any other (the command's end-to-end tests).
package lazadatest
