package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accordhq/accord/adapters"
)

// An async sandbox channel answers an apply request the way a bulk feed
// does (an SP-API JSON_LISTINGS_FEED, a Walmart feed): the batch is stored
// as a feed and every change's Result carries the feed's ID. Confirm
// processes the feed once feed_delay has passed since it was submitted and
// answers with each change's outcome, the same answer however often it is
// asked. Nothing is written until then, so an apply that resubmitted a feed
// instead of confirming it would be seen writing twice.

// feedID is a feed's submission ID.
func feedID(id int64) string { return "feed-" + strconv.FormatInt(id, 10) }

// submit stores a batch as a feed. The request's timeout fault applies: a
// submission whose answer is lost may or may not have been stored.
func (c *Channel) submit(ctx context.Context, changes []adapters.Change, req *request) []adapters.Result {
	if req.timedOut && !req.landAnyway {
		return failAll(len(changes), errTimedOut)
	}
	data, err := json.Marshal(feedChanges(changes))
	if err != nil {
		return failAll(len(changes), &adapters.RejectedError{Reason: err.Error()})
	}
	var id int64
	err = c.db.QueryRowContext(ctx, `INSERT INTO feeds (channel, changes, submitted_at) VALUES (?, ?, ?) RETURNING id`,
		c.name, string(data), c.now().UTC().Format(time.RFC3339Nano)).Scan(&id)
	if err != nil {
		return failAll(len(changes), &adapters.TemporaryError{Message: "sandbox: " + err.Error()})
	}
	if req.timedOut {
		return failAll(len(changes), errTimedOut)
	}
	results := make([]adapters.Result, len(changes))
	for i := range results {
		results[i].Submission = feedID(id)
	}
	return results
}

// Confirm answers for a feed: still processing (each Result carrying the
// submission) until feed_delay has passed, then the outcome of each change,
// written once. changes must be the feed's, in order.
func (c *Channel) Confirm(ctx context.Context, submission string, changes []adapters.Change) ([]adapters.Result, error) {
	n, ok := strings.CutPrefix(submission, "feed-")
	id, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil {
		return nil, &adapters.BadResponseError{Message: fmt.Sprintf("%q is not a sandbox feed ID", submission)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, &adapters.TemporaryError{Message: "sandbox: " + err.Error()}
	}
	defer tx.Rollback()
	var (
		channel, data, submitted string
		stored                   sql.NullString
	)
	err = tx.QueryRowContext(ctx, `SELECT channel, changes, submitted_at, results FROM feeds WHERE id = ?`, id).Scan(&channel, &data, &submitted, &stored)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && channel != c.name) {
		return nil, &adapters.RejectedError{Reason: fmt.Sprintf("no feed %s on channel %s", submission, c.name)}
	}
	if err != nil {
		return nil, &adapters.TemporaryError{Message: "sandbox: " + err.Error()}
	}
	var fcs []feedChange
	if err := json.Unmarshal([]byte(data), &fcs); err != nil {
		return nil, &adapters.BadResponseError{Message: "feed " + submission + ": " + err.Error()}
	}
	if len(fcs) != len(changes) {
		return nil, &adapters.RejectedError{Reason: fmt.Sprintf("feed %s carries %d changes, not %d", submission, len(fcs), len(changes))}
	}
	if stored.Valid {
		return decodeFeedResults(stored.String, len(changes))
	}
	at, err := time.Parse(time.RFC3339Nano, submitted)
	if err != nil {
		return nil, &adapters.BadResponseError{Message: "feed " + submission + ": " + err.Error()}
	}
	if c.now().Before(at.Add(c.cfg.FeedDelay)) {
		pending := make([]adapters.Result, len(changes))
		for i := range pending {
			pending[i].Submission = submission
		}
		return pending, nil
	}
	queued := make([]adapters.Change, len(fcs))
	for i := range fcs {
		queued[i] = fcs[i].change(c.name)
	}
	results, err := c.writeIn(ctx, tx, queued, &request{c: c})
	if err != nil {
		return nil, err
	}
	text, err := json.Marshal(encodeFeedResults(results))
	if err != nil {
		return nil, &adapters.TemporaryError{Message: "sandbox: " + err.Error()}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE feeds SET results = ? WHERE id = ?`, string(text), id); err != nil {
		return nil, &adapters.TemporaryError{Message: "sandbox: " + err.Error()}
	}
	if err := tx.Commit(); err != nil {
		return nil, &adapters.TemporaryError{Message: "sandbox: " + err.Error()}
	}
	return results, nil
}

// Feeds counts the feeds submitted to the channel, for tests that check a
// feed is never submitted twice.
func (c *Channel) Feeds(ctx context.Context) (int, error) {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM feeds WHERE channel = ?`, c.name).Scan(&n)
	return n, err
}

// feedChange is a change as a feed stores it.
type feedChange struct {
	SKU     string       `json:"sku"`
	Kind    uint8        `json:"kind"`
	Field   string       `json:"field,omitempty"`
	From    *string      `json:"from"`
	To      *string      `json:"to"`
	Ref     string       `json:"ref,omitempty"`
	Listing *feedListing `json:"listing,omitempty"`
}

type feedListing struct {
	Quantity  *int64            `json:"quantity"`
	Price     *string           `json:"price"`
	CompareAt *string           `json:"compare_at"`
	Currency  string            `json:"currency"`
	Fields    map[string]string `json:"fields"`
}

func optText(v adapters.Value) *string {
	if !v.Set {
		return nil
	}
	return &v.Text
}

func valueOf(p *string) adapters.Value {
	if p == nil {
		return adapters.Null
	}
	return adapters.Value{Text: *p, Set: true}
}

func feedChanges(changes []adapters.Change) []feedChange {
	out := make([]feedChange, len(changes))
	for i := range changes {
		ch := &changes[i]
		fc := feedChange{SKU: ch.SKU, Kind: uint8(ch.Kind), Field: ch.Field, From: optText(ch.From), To: optText(ch.To), Ref: string(ch.Ref)}
		if l := ch.Listing; l != nil {
			fl := &feedListing{Currency: l.Currency, Fields: map[string]string{}}
			if l.Quantity.Valid {
				q := l.Quantity.Units
				fl.Quantity = &q
			}
			if l.Price.Valid {
				p := l.Price.Decimal.String()
				fl.Price = &p
			}
			if l.CompareAt.Valid {
				p := l.CompareAt.Decimal.String()
				fl.CompareAt = &p
			}
			for _, f := range l.Fields {
				fl.Fields[f.Name] = f.Value
			}
			fc.Listing = fl
		}
		out[i] = fc
	}
	return out
}

func (fc *feedChange) change(channel string) adapters.Change {
	ch := adapters.Change{Key: adapters.Key{Channel: channel, SKU: fc.SKU}, Kind: adapters.ChangeKind(fc.Kind), Field: fc.Field,
		From: valueOf(fc.From), To: valueOf(fc.To), Ref: adapters.Ref(fc.Ref)}
	if fl := fc.Listing; fl != nil {
		l := &adapters.Listing{Key: ch.Key, Currency: fl.Currency}
		if fl.Quantity != nil {
			l.Quantity = adapters.Quantity{Units: *fl.Quantity, Valid: true}
		}
		l.Price, _ = valueOf(fl.Price).Decimal()
		l.CompareAt, _ = valueOf(fl.CompareAt).Decimal()
		for name, v := range fl.Fields {
			l.Fields = append(l.Fields, adapters.Field{Name: name, Value: v})
		}
		slices.SortFunc(l.Fields, func(a, b adapters.Field) int { return strings.Compare(a.Name, b.Name) })
		ch.Listing = l
	}
	return ch
}

// feedResult is one change's outcome as a processed feed reports it.
type feedResult struct {
	Status  string  `json:"status"` // landed | rejected | conflict | failed
	Message string  `json:"message,omitempty"`
	Current *string `json:"current,omitempty"`
}

func encodeFeedResults(results []adapters.Result) []feedResult {
	out := make([]feedResult, len(results))
	for i, r := range results {
		var (
			rej  *adapters.RejectedError
			conf *adapters.ConflictError
		)
		switch {
		case r.Err == nil:
			out[i] = feedResult{Status: "landed"}
		case errors.As(r.Err, &rej):
			out[i] = feedResult{Status: "rejected", Message: rej.Reason}
		case errors.As(r.Err, &conf):
			out[i] = feedResult{Status: "conflict", Current: optText(conf.Current)}
		default:
			out[i] = feedResult{Status: "failed", Message: r.Err.Error()}
		}
	}
	return out
}

func decodeFeedResults(text string, n int) ([]adapters.Result, error) {
	var frs []feedResult
	if err := json.Unmarshal([]byte(text), &frs); err != nil || len(frs) != n {
		return nil, &adapters.BadResponseError{Message: fmt.Sprintf("feed results: %d for %d changes (%v)", len(frs), n, err)}
	}
	out := make([]adapters.Result, n)
	for i, fr := range frs {
		switch fr.Status {
		case "landed":
		case "rejected":
			out[i].Err = &adapters.RejectedError{Reason: fr.Message}
		case "conflict":
			out[i].Err = &adapters.ConflictError{Current: valueOf(fr.Current)}
		default:
			out[i].Err = &adapters.TemporaryError{Message: fr.Message}
		}
	}
	return out, nil
}
