// Package apikit holds what every HTTP channel adapter shares and no
// adapter should write again: the decoding of a config block whose secrets
// may only come through env() (and one diagnostic naming every unset
// variable), the classification of an HTTP answer into the failures of
// adapters/errors.go, a short printable snippet of an answer that is not
// what was expected (an HTML page from a proxy, truncated JSON), the
// Retry-After header, the access-token cache and the scrubbing of
// credentials from messages, the setup defaults of Open, the queue that
// turns verified webhooks into a Watch feed, and the cross-process lock of
// a token file.
//
// It owns no wire format: each adapter package keeps its channel's paths,
// bodies, signing and pacing.
package apikit
