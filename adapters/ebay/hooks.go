package ebay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha1" //nolint:gosec // G505: eBay signs its notifications with SHA-1 (the public key's digest); only verified here
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// The Notification API's names (see the package comment).
const (
	signatureHeader   = "X-EBAY-SIGNATURE"
	topicOrder        = "ORDER_CONFIRMATION"
	notificationBase  = "/commerce/notification/v1"
	fulfillmentBase   = "/sell/fulfillment/v1"
	maxRememberedHook = 1000
)

// hookState is what the adapter keeps for its webhooks: the Watch feed,
// the public keys by key ID, and the notifications already taken (eBay
// delivers again until answered).
type hookState struct {
	feed apikit.Hooks

	mu   sync.Mutex
	keys map[string]publicKey
	seen map[string]bool
	fifo []string
}

// publicKey is a verified Notification API key.
type publicKey struct {
	key    *ecdsa.PublicKey
	digest crypto.Hash
}

// Watch reports the orders eBay's notifications bring, as Receive takes
// them, until ctx ends.
func (c *Channel) Watch(ctx context.Context, fn func(adapters.Event)) error {
	return c.hooks.feed.Watch(ctx, fn)
}

// Receive takes one request eBay sent to the channel's webhook endpoint: a
// validation of the endpoint (a GET with challenge_code), answered with
// the challenge response, or a notification (a POST), verified by its
// X-EBAY-SIGNATURE and turned into events. A notification whose signature
// is missing or does not verify is refused with adapters.ErrBadSignature
// and changes nothing.
func (c *Channel) Receive(ctx context.Context, r *http.Request, body []byte) ([]byte, error) {
	if r.Method == http.MethodGet {
		return c.challenge(r.URL.Query().Get("challenge_code"))
	}
	head := r.Header.Get(signatureHeader)
	if head == "" {
		return nil, fmt.Errorf("ebay notification: no %s header: %w", signatureHeader, adapters.ErrBadSignature)
	}
	sig, err := parseSignature(head)
	if err != nil {
		return nil, fmt.Errorf("ebay notification: %w: %w", err, adapters.ErrBadSignature)
	}
	key, err := c.publicKey(ctx, sig.Kid)
	if err != nil {
		if errors.Is(err, errNotFound) {
			return nil, fmt.Errorf("ebay notification: eBay knows no key %q: %w", sig.Kid, adapters.ErrBadSignature)
		}
		return nil, fmt.Errorf("ebay notification: reading key %q: %w", sig.Kid, err)
	}
	if !verify(key, sig.raw, body) {
		return nil, fmt.Errorf("ebay notification: the signature does not verify: %w", adapters.ErrBadSignature)
	}
	n, err := parseNotification(body)
	if err != nil {
		return nil, fmt.Errorf("ebay notification: %w", err)
	}
	if c.hooks.taken(n.Notification.NotificationID) {
		return nil, nil
	}
	if n.Metadata.Topic != topicOrder {
		c.log.Debug("eBay notification of a topic that names no SKU, left out", "topic", n.Metadata.Topic)
		c.hooks.take(n.Notification.NotificationID)
		return nil, nil
	}
	var data orderData
	if err := json.Unmarshal(n.Notification.Data, &data); err != nil || data.OrderID == "" {
		return nil, fmt.Errorf("ebay notification %s: %s names no order", n.Notification.NotificationID, topicOrder)
	}
	evs, err := c.orderEvents(ctx, data, n.Notification.EventDate)
	if err != nil {
		return nil, fmt.Errorf("ebay notification %s: %w", n.Notification.NotificationID, err)
	}
	c.hooks.take(n.Notification.NotificationID)
	c.hooks.feed.Push(evs...)
	return nil, nil
}

// challenge answers eBay's validation of the endpoint.
func (c *Channel) challenge(code string) ([]byte, error) {
	if code == "" {
		return nil, errors.New("ebay webhook: a GET without challenge_code")
	}
	if c.cfg.VerificationToken == "" || c.cfg.WebhookEndpoint == "" {
		return nil, errors.New("ebay webhook: eBay validates the endpoint, but the channel's config has no verification_token and webhook_endpoint")
	}
	return challengeResponse(code, c.cfg.VerificationToken, c.cfg.WebhookEndpoint), nil
}

// challengeResponse is {"challengeResponse": hex(SHA-256(code + token +
// endpoint))}.
func challengeResponse(code, token, endpoint string) []byte {
	h := sha256.New()
	h.Write([]byte(code))
	h.Write([]byte(token))
	h.Write([]byte(endpoint))
	out, _ := json.Marshal(map[string]string{"challengeResponse": hex.EncodeToString(h.Sum(nil))}) //nolint:errchkjson // a map of strings
	return out
}

// signature is the decoded X-EBAY-SIGNATURE header.
type signature struct {
	Alg       string `json:"alg"`
	Kid       string `json:"kid"`
	Signature string `json:"signature"`
	Digest    string `json:"digest"`
	raw       []byte
}

// parseSignature decodes the X-EBAY-SIGNATURE header: base64 of a JSON
// object naming the key and carrying the base64 signature.
func parseSignature(head string) (signature, error) {
	var s signature
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(head))
	if err != nil {
		return s, errors.New("the signature header is not base64")
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, errors.New("the signature header is not a JSON object")
	}
	if s.Kid == "" || s.Signature == "" {
		return s, errors.New("the signature header names no key or carries no signature")
	}
	if s.raw, err = base64.StdEncoding.DecodeString(s.Signature); err != nil {
		return s, errors.New("the signature is not base64")
	}
	return s, nil
}

// verify checks an ECDSA signature over the body as received, or over its
// compact form (the eBay SDKs verify the payload re-encoded without
// spaces).
func verify(k publicKey, sig, body []byte) bool {
	sum := func(b []byte) []byte {
		var h hash.Hash
		if k.digest == crypto.SHA256 {
			h = sha256.New()
		} else {
			h = sha1.New() //nolint:gosec // G401: eBay's digest for its notification keys is SHA-1
		}
		h.Write(b)
		return h.Sum(nil)
	}
	if ecdsa.VerifyASN1(k.key, sum(body), sig) {
		return true
	}
	var compact bytes.Buffer
	if json.Compact(&compact, body) != nil || bytes.Equal(compact.Bytes(), body) {
		return false
	}
	return ecdsa.VerifyASN1(k.key, sum(compact.Bytes()), sig)
}

// publicKey returns the key of kid, read from the Notification API once
// and kept.
func (c *Channel) publicKey(ctx context.Context, kid string) (publicKey, error) {
	c.hooks.mu.Lock()
	k, ok := c.hooks.keys[kid]
	c.hooks.mu.Unlock()
	if ok {
		return k, nil
	}
	var ans struct {
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
		Key       string `json:"key"`
	}
	if _, err := c.call(ctx, request{op: opGetKey, method: http.MethodGet, base: c.cfg.NotificationEndpoint,
		path: notificationBase + "/public_key/" + url.PathEscape(kid), app: true}, &ans); err != nil {
		return publicKey{}, err
	}
	k, err := parseKey(ans.Algorithm, ans.Digest, ans.Key)
	if err != nil {
		return publicKey{}, &adapters.BadResponseError{Message: fmt.Sprintf("%s %s: %v", opGetKey, kid, err)}
	}
	c.hooks.mu.Lock()
	if c.hooks.keys == nil {
		c.hooks.keys = map[string]publicKey{}
	}
	c.hooks.keys[kid] = k
	c.hooks.mu.Unlock()
	return k, nil
}

// parseKey reads a Notification API key: an ECDSA public key in PEM,
// possibly without its line breaks.
func parseKey(alg, digest, pem string) (publicKey, error) {
	if !strings.EqualFold(alg, "ECDSA") {
		return publicKey{}, fmt.Errorf("algorithm %q, not ECDSA", alg)
	}
	var k publicKey
	switch strings.ToUpper(digest) {
	case "SHA1", "SHA-1":
		k.digest = crypto.SHA1
	case "SHA256", "SHA-256":
		k.digest = crypto.SHA256
	default:
		return k, fmt.Errorf("digest %q, not SHA1 or SHA256", digest)
	}
	b64 := strings.NewReplacer("-----BEGIN PUBLIC KEY-----", "", "-----END PUBLIC KEY-----", "", "\n", "", "\r", "", " ", "").Replace(pem)
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return k, errors.New("the key is not base64 PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return k, fmt.Errorf("the key does not parse: %w", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return k, fmt.Errorf("a %T, not an ECDSA key", pub)
	}
	k.key = ec
	return k, nil
}

// notification is a delivery's payload.
type notification struct {
	Metadata struct {
		Topic         string `json:"topic"`
		SchemaVersion string `json:"schemaVersion"`
	} `json:"metadata"`
	Notification struct {
		NotificationID      string          `json:"notificationId"`
		EventDate           string          `json:"eventDate"`
		PublishDate         string          `json:"publishDate"`
		PublishAttemptCount int             `json:"publishAttemptCount"`
		Data                json.RawMessage `json:"data"`
	} `json:"notification"`
}

// orderData is what accord reads of an ORDER_CONFIRMATION's data: the
// order, and the line item when it says which (one notification is sent
// per line item; the field names are unconfirmed, see the package
// comment).
type orderData struct {
	OrderID    string `json:"orderId"`
	LineItemID string `json:"lineItemId"`
}

// parseNotification reads a delivery's payload.
func parseNotification(body []byte) (*notification, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, &adapters.BadResponseError{Message: "the notification is not JSON: " + err.Error()}
	}
	if n.Metadata.Topic == "" {
		return nil, &adapters.BadResponseError{Message: "the notification names no topic"}
	}
	return &n, nil
}

// order is the Fulfillment API's Order as far as accord reads it.
type order struct {
	OrderID      string `json:"orderId"`
	CreationDate string `json:"creationDate"`
	LineItems    []struct {
		LineItemID string `json:"lineItemId"`
		SKU        string `json:"sku"`
		Quantity   int64  `json:"quantity"`
	} `json:"lineItems"`
}

// orderEvents reads the order a notification names and makes an order
// event of each of its lines that has a SKU (only the notification's line,
// when it says which).
func (c *Channel) orderEvents(ctx context.Context, d orderData, eventDate string) ([]adapters.Event, error) {
	var o order
	if _, err := c.call(ctx, request{op: opGetOrder, method: http.MethodGet, base: c.cfg.Endpoint, orders: true,
		path: fulfillmentBase + "/order/" + url.PathEscape(d.OrderID)}, &o); err != nil {
		return nil, fmt.Errorf("reading order %s: %w", d.OrderID, err)
	}
	return c.eventsOf(&o, d.LineItemID, eventDate), nil
}

// eventsOf makes the events of an order's lines.
func (c *Channel) eventsOf(o *order, lineItem, eventDate string) []adapters.Event {
	at := c.now()
	for _, s := range []string{o.CreationDate, eventDate} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			at = t
			break
		}
	}
	var evs []adapters.Event
	for _, li := range o.LineItems {
		if li.SKU == "" || li.Quantity <= 0 || (lineItem != "" && li.LineItemID != lineItem) {
			continue
		}
		// One notification comes for each line of an order: the order and
		// the line name it once, however often it is told.
		evs = append(evs, adapters.Event{Channel: c.name, SKU: li.SKU, Kind: adapters.EventOrder, Units: li.Quantity, At: at, ID: o.OrderID + "/" + li.LineItemID})
	}
	return evs
}

// taken reports a notification already turned into events.
func (h *hookState) taken(id string) bool {
	if id == "" {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[id]
}

// take remembers a notification taken, the last maxRememberedHook of them.
func (h *hookState) take(id string) {
	if id == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[string]bool{}
	}
	if h.seen[id] {
		return
	}
	h.seen[id] = true
	h.fifo = append(h.fifo, id)
	if len(h.fifo) > maxRememberedHook {
		delete(h.seen, h.fifo[0])
		h.fifo = h.fifo[1:]
	}
}
