// Package amazontest is a fake Selling Partner API validating every
// request against the bundled models, for accord's tests.
//
// [New] starts it on an httptest server with its Login with Amazon token
// endpoint; tests seed listings, read them back, script failures, enforce
// usage plans and hold feeds IN_PROGRESS until released, from inside the
// adapter's package or from any other (the command's end-to-end tests).
// The models in models/ are Amazon's, unmodified, embedded so the fake
// needs no files at run time.
package amazontest
