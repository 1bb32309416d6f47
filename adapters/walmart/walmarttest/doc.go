// Package walmarttest is a fake Walmart Marketplace API (US) for accord's
// tests: an httptest server that speaks the wire format the walmart adapter
// uses, checks every request (method, path, query, the WM_ headers, the
// access token, and each body or feed file against the hand-derived JSON
// Schemas in schemas/), answers anything wrong with HTTP 400 in Walmart's
// error shape, and keeps items, inventory, prices, promotions and feeds in
// memory.
//
// Every business answer carries Walmart's X-Current-Token-Count and
// X-Next-Replenishment-Time from a window per operation ([Server.SetWindow]),
// and a call over it is answered 429.
//
// [New] starts it; tests seed items, read them back, script failures and
// throttling, expire tokens, drive feed processing and its clock, and get
// signed webhook deliveries of orders ([Server.OrderHook]), from inside the
// adapter's package or from any other (the command's end-to-end tests).
package walmarttest
