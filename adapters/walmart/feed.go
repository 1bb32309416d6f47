package walmart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/accordhq/accord/adapters"
)

// feedKind is one feed type and its documented limits (see the package
// comment): items and bytes a file, feeds an hour.
type feedKind struct {
	feedType string
	maxItems int
	maxBytes int
	// header is the file's JSON up to its list of entries; the file ends
	// with "]}".
	header string
}

var feedKinds = []feedKind{
	{"inventory", 50_000, 5 << 20, `{"InventoryHeader":{"version":"1.4"},"Inventory":[`},
	{"price", 10_000, 10 << 20, `{"PriceHeader":{"version":"1.7"},"Price":[`},
	{"MP_MAINTENANCE", 10_000, 10 << 20, `{"MPItemFeedHeader":{"sellingChannel":"mpmaintenance","processMode":"REPLACE","subset":"EXTERNAL","locale":"en","version":"4.8"},"MPItem":[`},
}

// feedRate is how often Walmart takes a feed of one type: 10 an hour, all
// ten at once.
var feedRate = adapters.Rate{Limit: rate.Limit(10.0 / 3600), Burst: 10}

// feedEntry is one SKU's entry of a feed file.
type feedEntry struct {
	sku string
	raw json.RawMessage
}

// feedPart is what one Apply sends by one feed type.
type feedPart struct {
	feedType string
	entries  []feedEntry
	idx      []int
}

// feedQueue sends the feeds of one type. Feeds are few (10 an hour), so
// changes that wait for a slot are merged: every Apply waiting at once
// adds its entries to one open batch, the last entry of a SKU winning,
// and the first of them in line waits for the slot and sends the batch
// for all. A caller that gives up before the batch is sent takes its
// entries back (and hands the wait to the next in line).
type feedQueue struct {
	kind feedKind

	mu   sync.Mutex
	open *batch // accepting entries; nil when none
}

type batch struct {
	bySKU   map[string][]contrib // the contributions to a SKU, in order; the last wins
	order   []string             // SKUs in the order first added
	size    int                  // bytes of the entries, roughly
	waiters []*waiter
	leader  *waiter
	sealed  chan struct{} // closed when the leader takes the batch to send it
	done    chan struct{} // closed when it is sent (feedID or err set)
	feedID  string
	err     error
}

type contrib struct {
	w   *waiter
	raw json.RawMessage
}

type waiter struct {
	lead chan struct{} // closed when this waiter is to send the batch
}

func newBatch() *batch {
	return &batch{bySKU: map[string][]contrib{}, sealed: make(chan struct{}), done: make(chan struct{})}
}

// fits reports whether entries can join b within the feed's limits.
func (b *batch) fits(k feedKind, entries []feedEntry) bool {
	n, size := len(b.order), b.size
	for _, e := range entries {
		if _, ok := b.bySKU[e.sku]; !ok {
			n++
		}
		size += len(e.raw) + 1
	}
	return n <= k.maxItems && size+len(k.header)+2 <= k.maxBytes
}

func (b *batch) add(w *waiter, entries []feedEntry) {
	for _, e := range entries {
		if _, ok := b.bySKU[e.sku]; !ok {
			b.order = append(b.order, e.sku)
		}
		b.bySKU[e.sku] = append(b.bySKU[e.sku], contrib{w: w, raw: e.raw})
		b.size += len(e.raw) + 1
	}
	b.waiters = append(b.waiters, w)
}

// remove takes w's entries out of b.
func (b *batch) remove(w *waiter) {
	b.waiters = slices.DeleteFunc(b.waiters, func(x *waiter) bool { return x == w })
	b.order = slices.DeleteFunc(b.order, func(sku string) bool {
		cs := slices.DeleteFunc(b.bySKU[sku], func(c contrib) bool {
			if c.w == w {
				b.size -= len(c.raw) + 1
				return true
			}
			return false
		})
		if len(cs) == 0 {
			delete(b.bySKU, sku)
			return true
		}
		b.bySKU[sku] = cs
		return false
	})
}

// file is the feed file of b: one entry a SKU, the last given.
func (b *batch) file(k feedKind) []byte {
	var buf bytes.Buffer
	buf.Grow(b.size + len(k.header) + 2)
	buf.WriteString(k.header)
	for i, sku := range b.order {
		if i > 0 {
			buf.WriteByte(',')
		}
		cs := b.bySKU[sku]
		buf.Write(cs[len(cs)-1].raw)
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// submit adds entries to the next feed of q's type and returns its ID once
// it is sent.
func (c *Channel) submit(ctx context.Context, q *feedQueue, entries []feedEntry) (string, error) {
	w := &waiter{lead: make(chan struct{})}
	q.mu.Lock()
	var b *batch
	for {
		b = q.open
		if b == nil {
			b = newBatch()
			q.open = b
		}
		if len(b.waiters) == 0 || b.fits(q.kind, entries) {
			break
		}
		// Full: wait for it to go, then open the next.
		sealed := b.sealed
		q.mu.Unlock()
		select {
		case <-sealed:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		q.mu.Lock()
	}
	b.add(w, entries)
	if b.leader == nil {
		b.leader = w
		close(w.lead)
	}
	q.mu.Unlock()

	bucket := c.budget.Op("feed:"+q.kind.feedType, feedRate)
	for {
		select {
		case <-w.lead:
			if err := bucket.Wait(ctx, 1); err != nil {
				q.mu.Lock()
				c.leave(q, b, w)
				q.mu.Unlock()
				return "", err
			}
			q.mu.Lock()
			if q.open == b {
				q.open = nil
			}
			close(b.sealed)
			file := b.file(q.kind)
			n := len(b.order)
			q.mu.Unlock()
			b.feedID, b.err = c.sendFeed(ctx, q.kind, file, bucket)
			if b.err == nil {
				c.log.Debug("feed submitted", "feed", b.feedID, "type", q.kind.feedType, "items", n)
			}
			close(b.done)
			return b.feedID, b.err
		case <-b.done:
			return b.feedID, b.err
		case <-ctx.Done():
			q.mu.Lock()
			select {
			case <-b.sealed:
				q.mu.Unlock()
				// The batch is on its way with this caller's entries.
				return "", &adapters.TemporaryError{Timeout: true, Message: "cancelled while the " + q.kind.feedType + " feed carrying the change was sent: its outcome is unknown"}
			default:
			}
			c.leave(q, b, w)
			q.mu.Unlock()
			return "", ctx.Err()
		}
	}
}

// leave takes w out of the unsent batch b, handing the wait for the slot
// to the next in line. q.mu is held.
func (c *Channel) leave(q *feedQueue, b *batch, w *waiter) {
	b.remove(w)
	if b.leader != w {
		return
	}
	b.leader = nil
	if len(b.waiters) > 0 {
		b.leader = b.waiters[0]
		close(b.leader.lead)
	} else if q.open == b {
		q.open = nil
	}
}

// sendFeed uploads one feed file (POST /v3/feeds, multipart file). A 429
// holds every feed of the type for Walmart's Retry-After, or for one
// slot's time.
func (c *Channel) sendFeed(ctx context.Context, k feedKind, file []byte, bucket *adapters.Bucket) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="feed.json"`)
	h.Set("Content-Type", "application/json")
	part, err := mw.CreatePart(h)
	if err == nil {
		_, err = part.Write(file)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("%s feed: %w", k.feedType, err)
	}
	q := url.Values{"feedType": {k.feedType}}
	if k.feedType == "inventory" && c.cfg.ShipNode != "" {
		q.Set("shipNode", c.cfg.ShipNode)
	}
	var ans struct {
		FeedID string `json:"feedId"`
	}
	err = c.call(ctx, request{op: opBulkUpload, method: "POST", path: "/v3/feeds?" + q.Encode(), body: body.Bytes(), contentType: mw.FormDataContentType()}, &ans)
	var thr *adapters.ThrottledError
	if errors.As(err, &thr) {
		wait := max(thr.RetryAfter, time.Duration(float64(time.Second)/float64(feedRate.Limit)))
		bucket.Pause(wait)
		return "", &adapters.ThrottledError{RetryAfter: wait, Message: k.feedType + " feed: " + thr.Message}
	}
	if err != nil {
		return "", fmt.Errorf("%s feed: %w", k.feedType, err)
	}
	if ans.FeedID == "" {
		return "", &adapters.BadResponseError{Message: "bulkUpload of a " + k.feedType + " feed answered without a feedId"}
	}
	return ans.FeedID, nil
}

// submitFeeds sends each part by its feed type, concurrently (each waits
// for its own type's slot), and gives every change sent one submission
// naming the feeds: "inventory:ID price:ID".
func (c *Channel) submitFeeds(ctx context.Context, parts []feedPart, out []adapters.Result) {
	if len(parts) == 0 {
		return
	}
	ids := make([]string, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for k := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[k], errs[k] = c.submit(ctx, c.feeds[parts[k].feedType], parts[k].entries)
		}()
	}
	wg.Wait()
	var names []string
	for k, p := range parts {
		if errs[k] == nil {
			names = append(names, p.feedType+":"+ids[k])
		}
	}
	sub := strings.Join(names, " ")
	for k, p := range parts {
		for _, i := range p.idx {
			if errs[k] != nil {
				out[i].Err = errs[k]
			} else {
				out[i] = adapters.Result{Submission: sub}
			}
		}
	}
}

// feedTypeOf is the feed type a change goes by.
func feedTypeOf(ch *adapters.Change) string {
	switch ch.Kind {
	case adapters.KindQuantity:
		return "inventory"
	case adapters.KindPrice, adapters.KindCompareAt:
		return "price"
	case adapters.KindField:
		return "MP_MAINTENANCE"
	}
	return ""
}

// feedStatus is getFeedItemStatus' answer.
type feedStatus struct {
	FeedID          string `json:"feedId"`
	FeedStatus      string `json:"feedStatus"`
	ItemsReceived   int    `json:"itemsReceived"`
	ItemsSucceeded  *int   `json:"itemsSucceeded"`
	ItemsFailed     *int   `json:"itemsFailed"`
	ItemsProcessing *int   `json:"itemsProcessing"`
	IngestionErrors *struct {
		IngestionError []ingestionError `json:"ingestionError"`
	} `json:"ingestionErrors"`
	ItemDetails struct {
		ItemIngestionStatus []itemStatus `json:"itemIngestionStatus"`
	} `json:"itemDetails"`
}

type itemStatus struct {
	SKU             string `json:"sku"`
	Index           *int   `json:"index"`
	IngestionStatus string `json:"ingestionStatus"`
	IngestionErrors *struct {
		IngestionError []ingestionError `json:"ingestionError"`
	} `json:"ingestionErrors"`
}

type ingestionError struct {
	Type        string `json:"type"`
	Code        string `json:"code"`
	Description string `json:"description"`
}

func describeIngestion(errs []ingestionError) string {
	var parts []string
	for _, e := range errs {
		parts = append(parts, strings.TrimPrefix(e.Code+": "+e.Description, ": "))
	}
	return strings.Join(parts, "; ")
}

// Confirm asks for the outcome of the feeds of a submission: a change
// whose feed is still processing keeps the submission; once processed,
// each change has its SKU's ingestion status in its feed. It never submits
// anything.
func (c *Channel) Confirm(ctx context.Context, submission string, changes []adapters.Change) ([]adapters.Result, error) {
	feedIDs := map[string]string{}
	for _, part := range strings.Fields(submission) {
		typ, id, ok := strings.Cut(part, ":")
		if !ok || id == "" {
			return nil, &adapters.BadResponseError{Message: fmt.Sprintf("submission %q is not one this adapter made", submission)}
		}
		feedIDs[typ] = id
	}
	statuses := map[string]*feedResult{}
	out := make([]adapters.Result, len(changes))
	for i := range changes {
		typ := feedTypeOf(&changes[i])
		id, ok := feedIDs[typ]
		if !ok {
			out[i].Err = &adapters.TemporaryError{Timeout: true, Message: fmt.Sprintf("submission %q has no %s feed for the %s change of %s", submission, typ, changes[i].Name(), changes[i].SKU)}
			continue
		}
		res, ok := statuses[typ]
		if !ok {
			var err error
			if res, err = c.readFeed(ctx, id); err != nil {
				return nil, fmt.Errorf("confirm feed %s: %w", id, err)
			}
			statuses[typ] = res
		}
		out[i] = res.result(submission, id, changes[i].SKU)
	}
	return out, nil
}

// feedResult is what a feed's status says.
type feedResult struct {
	status string
	whole  string                // the feed's own errors, for ERROR
	bySKU  map[string]itemStatus // the last status read of each SKU
	// allOK is a processed feed whose every item succeeded: its items
	// need not be read.
	allOK bool
}

func (r *feedResult) result(submission, id, sku string) adapters.Result {
	switch r.status {
	case "RECEIVED", "INPROGRESS":
		return adapters.Result{Submission: submission}
	case "ERROR":
		return adapters.Result{Err: &adapters.TemporaryError{Message: "feed " + id + " failed as a whole: " + r.whole}}
	}
	st, ok := r.bySKU[sku]
	if !ok && r.allOK {
		return adapters.Result{}
	}
	if !ok {
		return adapters.Result{Err: &adapters.TemporaryError{Timeout: true, Message: "feed " + id + " reports nothing of " + sku}}
	}
	var errs []ingestionError
	if st.IngestionErrors != nil {
		errs = st.IngestionErrors.IngestionError
	}
	switch st.IngestionStatus {
	case "SUCCESS":
		return adapters.Result{}
	case "INPROGRESS":
		return adapters.Result{Submission: submission}
	case "DATA_ERROR":
		return adapters.Result{Err: &adapters.RejectedError{Reason: sku + ": " + describeIngestion(errs)}}
	case "SYSTEM_ERROR", "TIMEOUT_ERROR":
		return adapters.Result{Err: &adapters.TemporaryError{Message: sku + ": " + st.IngestionStatus + " " + describeIngestion(errs)}}
	}
	return adapters.Result{Err: &adapters.BadResponseError{Message: fmt.Sprintf("feed %s answered ingestionStatus %q for %s", id, st.IngestionStatus, sku)}}
}

// readFeed reads a feed's status and, once processed, every item's, 50 a
// call.
func (c *Channel) readFeed(ctx context.Context, id string) (*feedResult, error) {
	res := &feedResult{bySKU: map[string]itemStatus{}}
	for offset := 0; ; offset += maxDetails {
		q := url.Values{"includeDetails": {"true"}, "offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(maxDetails)}}
		var st feedStatus
		err := c.call(ctx, request{op: opFeedStatus, method: "GET", path: "/v3/feeds/" + escapePath(id) + "?" + q.Encode()}, &st)
		if errors.Is(err, errNotFound) {
			err = &adapters.BadResponseError{Message: "getFeedItemStatus does not know feed " + id + " (HTTP 404): was it submitted for another seller?"}
		}
		if err != nil {
			return nil, err
		}
		if err := res.add(&st, offset); err != nil {
			return nil, err
		}
		if res.status != "PROCESSED" || res.allOK || len(st.ItemDetails.ItemIngestionStatus) == 0 || offset+maxDetails >= st.ItemsReceived {
			return res, nil
		}
	}
}

// add takes in one page of a feed's status.
func (r *feedResult) add(st *feedStatus, offset int) error {
	switch st.FeedStatus {
	case "RECEIVED", "INPROGRESS", "PROCESSED", "ERROR":
	default:
		return &adapters.BadResponseError{Message: fmt.Sprintf("getFeedItemStatus answered feedStatus %q", st.FeedStatus)}
	}
	if offset == 0 {
		r.status = st.FeedStatus
		// Every item succeeded: the counts say so, the items need not be
		// read 50 a call.
		r.allOK = st.FeedStatus == "PROCESSED" && st.ItemsSucceeded != nil && st.ItemsFailed != nil && st.ItemsProcessing != nil &&
			*st.ItemsFailed == 0 && *st.ItemsProcessing == 0 && *st.ItemsSucceeded == st.ItemsReceived
		if st.IngestionErrors != nil {
			r.whole = describeIngestion(st.IngestionErrors.IngestionError)
		}
	}
	for _, it := range st.ItemDetails.ItemIngestionStatus {
		if it.SKU == "" {
			return &adapters.BadResponseError{Message: "getFeedItemStatus answered an item without a sku"}
		}
		r.bySKU[it.SKU] = it
	}
	return nil
}

// maxDetails is the most item statuses one getFeedItemStatus call carries.
const maxDetails = 50
