package amazon

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/apikit"
)

// feedContentType is the content type of a JSON_LISTINGS_FEED document,
// given to createFeedDocument and to the upload alike.
const feedContentType = "application/json; charset=UTF-8"

// feedMessage is one message of listings-feed-schema-v2.json.
type feedMessage struct {
	MessageID     int    `json:"messageId"`
	SKU           string `json:"sku"`
	OperationType string `json:"operationType"`
	ProductType   string `json:"productType"`
	// Patches for a PATCH message; Requirements and Attributes for the
	// UPDATE message that creates an offer.
	Patches      []patchOp      `json:"patches,omitempty"`
	Requirements string         `json:"requirements,omitempty"`
	Attributes   map[string]any `json:"attributes,omitempty"`
}

type feedDocument struct {
	Header struct {
		SellerID    string `json:"sellerId"`
		Version     string `json:"version"`
		IssueLocale string `json:"issueLocale,omitempty"`
	} `json:"header"`
	Messages []feedMessage `json:"messages"`
}

// applyFeed sends the groups as one JSON_LISTINGS_FEED: createFeedDocument,
// the upload, createFeed. Every change sent carries the feed's ID.
func (c *Channel) applyFeed(ctx context.Context, groups []*group, out []adapters.Result) {
	if len(groups) == 0 {
		return
	}
	fail := func(err error) {
		for _, g := range groups {
			for _, i := range g.idx {
				out[i].Err = err
			}
		}
	}
	var doc feedDocument
	doc.Header.SellerID = c.cfg.SellerID
	doc.Header.Version = "2.0"
	doc.Header.IssueLocale = c.cfg.LanguageTag
	for n, g := range groups {
		m := feedMessage{MessageID: n + 1, SKU: g.sku, OperationType: "PATCH", ProductType: g.productType, Patches: g.patches}
		if g.put != nil {
			m.OperationType, m.ProductType, m.Requirements, m.Attributes = "UPDATE", g.put.ProductType, g.put.Requirements, g.put.Attributes
		}
		doc.Messages = append(doc.Messages, m)
	}
	body, err := json.Marshal(doc)
	if err != nil {
		fail(err)
		return
	}
	var created struct {
		FeedDocumentID string `json:"feedDocumentId"`
		URL            string `json:"url"`
	}
	if err := c.call(ctx, opCreateFeedDocument, "POST", "/feeds/2021-06-30/documents", map[string]string{"contentType": feedContentType}, &created); err != nil {
		fail(fmt.Errorf("createFeedDocument: %w", err))
		return
	}
	if created.FeedDocumentID == "" || created.URL == "" {
		fail(&adapters.BadResponseError{Message: "createFeedDocument answered without a feedDocumentId or url"})
		return
	}
	if err := c.upload(ctx, created.URL, body); err != nil {
		fail(err)
		return
	}
	var feed struct {
		FeedID string `json:"feedId"`
	}
	spec := map[string]any{"feedType": "JSON_LISTINGS_FEED", "marketplaceIds": []string{c.cfg.MarketplaceID}, "inputFeedDocumentId": created.FeedDocumentID}
	if err := c.call(ctx, opCreateFeed, "POST", "/feeds/2021-06-30/feeds", spec, &feed); err != nil {
		// A timeout leaves it unknown whether the feed was created.
		fail(fmt.Errorf("createFeed: %w", err))
		return
	}
	if feed.FeedID == "" {
		fail(&adapters.BadResponseError{Message: "createFeed answered without a feedId"})
		return
	}
	c.log.Debug("feed submitted", "feed", feed.FeedID, "messages", len(doc.Messages))
	for _, g := range groups {
		for _, i := range g.idx {
			out[i] = adapters.Result{Submission: feed.FeedID}
		}
	}
}

// upload puts the feed document to the presigned URL. The access token is
// not sent there: the URL carries its own authority.
func (c *Channel) upload(ctx context.Context, to string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, to, bytes.NewReader(body))
	if err != nil {
		return &adapters.BadResponseError{Message: "createFeedDocument answered an unusable url"}
	}
	req.Header.Set("Content-Type", feedContentType)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &adapters.TemporaryError{Message: "uploading the feed document: " + redactURL(err.Error(), to)}
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &adapters.TemporaryError{Message: fmt.Sprintf("uploading the feed document: HTTP %d: %s", resp.StatusCode, apikit.Snippet(raw, resp.Header))}
	}
	return nil
}

// redactURL keeps a presigned URL's signature out of an error.
func redactURL(s, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return s
	}
	return string(bytes.ReplaceAll([]byte(s), []byte(u.RawQuery), []byte("[signature]")))
}

// processingReport is listings-feed-processing-report-schema-v2.json, as
// far as accord reads it.
type processingReport struct {
	Issues []struct {
		MessageID     int    `json:"messageId"`
		SKU           string `json:"sku"`
		Code          string `json:"code"`
		Severity      string `json:"severity"`
		Message       string `json:"message"`
		AttributeName string `json:"attributeName"`
	} `json:"issues"`
	Summary *struct {
		MessagesProcessed int `json:"messagesProcessed"`
	} `json:"summary"`
}

// Confirm asks for the outcome of a feed: still processing (every Result
// carries the feed ID), or done, its processing report mapped back to each
// change by message (the changes of one SKU are one message, numbered in
// the order Apply met them). It never submits anything.
func (c *Channel) Confirm(ctx context.Context, feedID string, changes []adapters.Change) ([]adapters.Result, error) {
	var feed struct {
		FeedID               string `json:"feedId"`
		ProcessingStatus     string `json:"processingStatus"`
		ResultFeedDocumentID string `json:"resultFeedDocumentId"`
	}
	if err := c.call(ctx, opGetFeed, "GET", "/feeds/2021-06-30/feeds/"+url.PathEscape(feedID), nil, &feed); err != nil {
		if errors.Is(err, errNotFound) {
			err = &adapters.BadResponseError{Message: "getFeed does not know feed " + feedID + " (HTTP 404): was it submitted for another seller or region?"}
		}
		return nil, fmt.Errorf("confirm feed %s: %w", feedID, err)
	}
	out := make([]adapters.Result, len(changes))
	all := func(r adapters.Result) ([]adapters.Result, error) {
		for i := range out {
			out[i] = r
		}
		return out, nil
	}
	switch feed.ProcessingStatus {
	case "IN_QUEUE", "IN_PROGRESS":
		return all(adapters.Result{Submission: feedID})
	case "CANCELLED":
		return all(adapters.Result{Err: &adapters.TemporaryError{Message: "feed " + feedID + " was cancelled before it was processed: nothing of it was applied"}})
	case "DONE", "FATAL":
	default:
		return nil, fmt.Errorf("confirm feed %s: %w", feedID, &adapters.BadResponseError{Message: fmt.Sprintf("getFeed answered processingStatus %q", feed.ProcessingStatus)})
	}
	if feed.ResultFeedDocumentID == "" {
		if feed.ProcessingStatus == "FATAL" {
			return all(adapters.Result{Err: &adapters.TemporaryError{Message: "feed " + feedID + " failed as a whole (FATAL) without a report"}})
		}
		return nil, fmt.Errorf("confirm feed %s: %w", feedID, &adapters.BadResponseError{Message: "getFeed answered DONE without a resultFeedDocumentId"})
	}
	rep, err := c.report(ctx, feed.ResultFeedDocumentID)
	if err != nil {
		return nil, fmt.Errorf("confirm feed %s: %w", feedID, err)
	}
	if feed.ProcessingStatus == "FATAL" {
		msg := "feed " + feedID + " failed as a whole (FATAL)"
		for _, is := range rep.Issues {
			msg += "; " + is.Code + ": " + is.Message
		}
		return all(adapters.Result{Err: &adapters.TemporaryError{Message: msg}})
	}
	// The messages, as Apply numbered them.
	var groups []*group
	bySKU := map[string]*group{}
	for i := range changes {
		g, ok := bySKU[changes[i].SKU]
		if !ok {
			g = &group{sku: changes[i].SKU}
			bySKU[g.sku] = g
			groups = append(groups, g)
		}
		if changes[i].Kind == adapters.KindCreate {
			// The offer's message: created whole or not at all.
			g.put = &putRequest{}
		}
		_, attr, err := c.patchOf(&changes[i])
		if err != nil {
			attr = ""
		}
		g.idx = append(g.idx, i)
		g.attrs = append(g.attrs, attr)
	}
	// An issue names its message, and its SKU where the report gives it:
	// the SKU decides.
	byMessage := map[int][]issue{}
	for _, is := range rep.Issues {
		n := is.MessageID
		if is.SKU != "" {
			g, ok := bySKU[is.SKU]
			if !ok {
				return nil, fmt.Errorf("confirm feed %s: %w", feedID, &adapters.BadResponseError{Message: fmt.Sprintf("the processing report names %s (message %d), which none of the changes asked about is for", is.SKU, is.MessageID)})
			}
			n = slices.Index(groups, g) + 1
		}
		if n < 1 || n > len(groups) {
			if is.Severity == "ERROR" {
				// An error about the whole feed.
				return all(adapters.Result{Err: &adapters.RejectedError{Reason: "feed " + feedID + ": " + is.Code + ": " + is.Message}})
			}
			continue
		}
		var names []string
		if is.AttributeName != "" {
			names = []string{is.AttributeName}
		}
		byMessage[n] = append(byMessage[n], issue{Code: is.Code, Message: is.Message, Severity: is.Severity, AttributeNames: names})
	}
	for n, g := range groups {
		setIssues(g, byMessage[n+1], false, out)
	}
	return out, nil
}

// report reads a processing report: getFeedDocument, then its URL
// (GZIP-compressed when it says so).
func (c *Channel) report(ctx context.Context, docID string) (*processingReport, error) {
	var doc struct {
		URL                  string `json:"url"`
		CompressionAlgorithm string `json:"compressionAlgorithm"`
	}
	if err := c.call(ctx, opGetFeedDocument, "GET", "/feeds/2021-06-30/documents/"+url.PathEscape(docID), nil, &doc); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, doc.URL, nil)
	if err != nil || doc.URL == "" {
		return nil, &adapters.BadResponseError{Message: "getFeedDocument answered an unusable url"}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &adapters.TemporaryError{Message: "downloading the processing report: " + redactURL(err.Error(), doc.URL)}
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, &adapters.TemporaryError{Message: fmt.Sprintf("downloading the processing report: HTTP %d: %s", resp.StatusCode, apikit.Snippet(raw, resp.Header))}
	}
	rd := io.LimitReader(resp.Body, 256<<20)
	if doc.CompressionAlgorithm == "GZIP" {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, &adapters.BadResponseError{Message: "the processing report is not GZIP: " + err.Error()}
		}
		defer func() { _ = zr.Close() }()
		rd = zr
	}
	raw, err := io.ReadAll(rd)
	if err != nil {
		return nil, &adapters.TemporaryError{Message: "reading the processing report: " + err.Error()}
	}
	var rep processingReport
	if err := json.Unmarshal(raw, &rep); err != nil || rep.Summary == nil {
		return nil, &adapters.BadResponseError{Message: "the processing report is not a listings feed processing report: " + apikit.Snippet(raw, resp.Header)}
	}
	return &rep, nil
}
