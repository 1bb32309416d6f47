package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/accordhq/accord/adapters"
)

// JournalChange is one change as journaled: catalog SKU, the field (the
// change's name: quantity, price, compare_at, listing or a listing field),
// the observed value it replaces, the value it sets, its reason ("spec" or
// "drift") and the adapter's reference to the listing. Channel is the
// batch's channel; JournalBatch accepts it empty.
type JournalChange struct {
	Channel, SKU, Field string
	From, To            adapters.Value
	Reason              string
	Ref                 adapters.Ref
	// Item is the position, in the batch as sent, of the change this
	// entry belongs to, and Create reports that the change created the
	// listing (journaled as one entry per field it set): what a recovery
	// needs to ask a channel about a batch it queued.
	Item   int
	Create bool
}

// Batch is a journaled batch. Its changes carry the batch's channel.
type Batch struct {
	ID, RunID int64
	Revision  string
	// LeaseID is the lease its run applied under.
	LeaseID string
	Channel string
	Changes []JournalChange
	Sent    time.Time
	// Submission is the channel's ID for the batch when the channel queued
	// it (see SubmitBatch); "" when it was sent and not answered.
	Submission string
	// Unknown reports a batch the channel answered in part: Changes are
	// those of its changes whose outcome nobody knows (a timeout, a lost
	// answer), the others being recorded already. A batch that is not
	// Unknown was cut short (the process died) with all its changes
	// unsettled.
	Unknown bool
}

// The states of a batch.
const (
	batchSent      = "sent"
	batchDone      = "done"
	batchUnknown   = "unknown"
	batchRecovered = "recovered"
)

// Outcome is what became of one journaled change once the channel
// answered.
type Outcome uint8

// The outcomes.
const (
	// NotLanded is a change the channel refused or failed before it took
	// effect (a rejection, a throttle, a compare-and-set conflict).
	NotLanded Outcome = iota
	// Landed is a change the channel took.
	Landed
	// Unknown is a change whose fate nobody knows: the request timed out
	// or its answer was lost. It stays in the journal until an observe of
	// the channel settles it (RecoverBatch); nothing is sent for its
	// listing before.
	Unknown
)

// Outcomes turns landed flags into outcomes.
func Outcomes(landed []bool) []Outcome {
	out := make([]Outcome, len(landed))
	for i, ok := range landed {
		if ok {
			out[i] = Landed
		}
	}
	return out
}

// StartRun records the start of an apply of a spec revision, under the
// given lease, and returns its id.
func (s *Store) StartRun(ctx context.Context, revision, leaseID string) (int64, error) {
	var id int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO runs (revision, started_at, lease_id) VALUES (?, ?, ?) RETURNING id`,
			revision, s.stamp(), leaseID).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: start run: %w", err)
	}
	return id, nil
}

// FinishRun records the end of a run with its one-line summary ("applied 812
// of 1000; ...") and whether anything failed.
func (s *Store) FinishRun(ctx context.Context, runID int64, summary string, failed bool) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, summary = ?, failed = ? WHERE id = ?`,
			s.stamp(), summary, failed, runID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", runID, err)
	}
	return nil
}

// journaled is a change as stored in a batch's JSON: values are strings or
// null.
type journaled struct {
	SKU    string  `json:"sku"`
	Field  string  `json:"field"`
	From   *string `json:"from"`
	To     *string `json:"to"`
	Reason string  `json:"reason"`
	Ref    string  `json:"ref,omitempty"`
	Item   int     `json:"item,omitempty"`
	Create bool    `json:"create,omitempty"`
}

// refArg is a reference as a statement argument: NULL when there is none,
// so that an empty one never replaces a known one.
func refArg(r adapters.Ref) any {
	if r == "" {
		return nil
	}
	return string(r)
}

func jsonValue(v adapters.Value) *string {
	if !v.Set {
		return nil
	}
	return &v.Text
}

func valueOfJSON(p *string) adapters.Value {
	if p == nil {
		return adapters.Null
	}
	return adapters.Value{Text: *p, Set: true}
}

func encodeChanges(channel string, changes []JournalChange) (string, error) {
	js := make([]journaled, len(changes))
	for i, c := range changes {
		if c.Channel != "" && c.Channel != channel {
			return "", fmt.Errorf("change %d (%s %s) is for channel %q, not %q", i, c.SKU, c.Field, c.Channel, channel)
		}
		js[i] = journaled{SKU: c.SKU, Field: c.Field, From: jsonValue(c.From), To: jsonValue(c.To), Reason: c.Reason, Ref: string(c.Ref), Item: c.Item, Create: c.Create}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // listing fields hold HTML; keep it legible
	if err := enc.Encode(js); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func decodeChanges(channel, data string) ([]JournalChange, error) {
	var js []journaled
	if err := json.Unmarshal([]byte(data), &js); err != nil {
		return nil, fmt.Errorf("journaled changes: %w", err)
	}
	changes := make([]JournalChange, len(js))
	for i, j := range js {
		changes[i] = JournalChange{
			Channel: channel, SKU: j.SKU, Field: j.Field,
			From: valueOfJSON(j.From), To: valueOfJSON(j.To), Reason: j.Reason, Ref: adapters.Ref(j.Ref), Item: j.Item, Create: j.Create,
		}
	}
	return changes, nil
}

// JournalBatch records, before a batch is sent to channel, the changes it
// carries, committed, and returns the batch's id. Each change's Channel must
// be channel or empty.
func (s *Store) JournalBatch(ctx context.Context, runID int64, channel string, changes []JournalChange) (int64, error) {
	data, err := encodeChanges(channel, changes)
	if err != nil {
		return 0, fmt.Errorf("store: journal batch: %w", err)
	}
	var id int64
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM runs WHERE id = ?`, runID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("run %d: %w", runID, ErrNotFound)
		} else if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO batches (run_id, channel, state, changes, sent_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			runID, channel, batchSent, data, s.stamp()).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: journal batch: %w", err)
	}
	kept := make([]JournalChange, len(changes))
	for i, c := range changes {
		c.Channel = channel
		kept[i] = c
	}
	s.sent.put(id, kept)
	return id, nil
}

// SubmitBatch records, committed, that the channel queued a pending batch
// as submission (a feed ID): from here the batch is settled by asking the
// channel for that submission's outcome, never by sending it again.
func (s *Store) SubmitBatch(ctx context.Context, batchID int64, submission string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE batches SET submission = ? WHERE id = ? AND state = ?`, submission, batchID, batchSent)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotPending
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: submit batch %d: %w", batchID, err)
	}
	return nil
}

// CompleteBatch records, after the channel answered, which of the batch's
// changes landed: landed[i] for the batch's changes[i] as journaled. In one
// transaction it marks the batch done, records each landed change's To as
// the last applied value of its field (with the run's revision, and now),
// whatever the field (for FieldListing that is the null the change
// carries), and appends one audit entry per landed change.
//
// A batch that is not pending is an error wrapping ErrNotPending; an
// unknown batch, ErrNotFound.
func (s *Store) CompleteBatch(ctx context.Context, batchID int64, landed []bool) error {
	if err := s.complete(ctx, batchID, Outcomes(landed), batchDone); err != nil {
		return fmt.Errorf("store: complete batch %d: %w", batchID, err)
	}
	return nil
}

// RecordOutcomes is CompleteBatch with a third answer: outcomes[i] says
// whether the batch's changes[i] landed, did not, or is Unknown. The landed
// ones are recorded and audited at once; when any is Unknown the batch is
// left in the journal as unknown, holding those changes only, for
// RecoverBatch to settle once the channel has been observed (PendingBatches
// lists it).
func (s *Store) RecordOutcomes(ctx context.Context, batchID int64, outcomes []Outcome) error {
	if err := s.complete(ctx, batchID, outcomes, batchDone); err != nil {
		return fmt.Errorf("store: record outcomes of batch %d: %w", batchID, err)
	}
	return nil
}

// RecoverBatch is CompleteBatch for a pending batch (see PendingBatches):
// one cut short by a crash, or one whose outcome was unknown. The caller
// observed the channel and says which of the changes the batch holds
// landed. The batch is marked recovered; the landed changes are recorded as
// applied and audited as CompleteBatch would, under the batch's original run
// and revision.
func (s *Store) RecoverBatch(ctx context.Context, batchID int64, landed []bool) error {
	if err := s.complete(ctx, batchID, Outcomes(landed), batchRecovered); err != nil {
		return fmt.Errorf("store: recover batch %d: %w", batchID, err)
	}
	return nil
}

// complete settles a batch: the changes that landed are recorded as applied
// and audited; the batch takes state, or stays unknown with the changes
// whose outcome is Unknown. A sent batch may be completed or recovered, an
// unknown one only recovered.
func (s *Store) complete(ctx context.Context, batchID int64, outcomes []Outcome, state string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var (
			runID        int64
			channel, cur string
		)
		err := tx.QueryRowContext(ctx, `SELECT run_id, channel, state FROM batches WHERE id = ?`, batchID).
			Scan(&runID, &channel, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if cur != batchSent && (cur != batchUnknown || state != batchRecovered) {
			return fmt.Errorf("%w: it is %s", ErrNotPending, cur)
		}
		changes, ok := s.sent.get(batchID)
		if !ok || cur == batchUnknown {
			var data string
			if err := tx.QueryRowContext(ctx, `SELECT changes FROM batches WHERE id = ?`, batchID).Scan(&data); err != nil {
				return err
			}
			if changes, err = decodeChanges(channel, data); err != nil {
				return err
			}
		}
		if len(outcomes) != len(changes) {
			return fmt.Errorf("%d outcomes for %d changes", len(outcomes), len(changes))
		}
		now := s.stamp()
		rows := make([]int, 0, len(changes))
		var unknown []JournalChange
		for i, o := range outcomes {
			switch o {
			case Landed:
				rows = append(rows, i)
			case Unknown:
				unknown = append(unknown, changes[i])
			}
		}
		// The payload is cleared: what landed is in the audit log from here
		// on, and a full apply's payloads would otherwise grow the database
		// by a third. Changes whose outcome is unknown stay.
		payload := "[]"
		if len(unknown) > 0 {
			if state == batchRecovered {
				return errors.New("a recovery settles every change it holds: none may be unknown")
			}
			state = batchUnknown
			if payload, err = encodeChanges(channel, unknown); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET state = ?, completed_at = ?, changes = ? WHERE id = ?`, state, now, payload, batchID); err != nil {
			return err
		}
		err = upsertApplied.exec(ctx, tx, len(rows), func(args []any, i int) []any {
			c := &changes[rows[i]]
			return append(args, channel, c.SKU, c.Field, textArg(c.To), runID, now, refArg(c.Ref))
		})
		if err != nil {
			return fmt.Errorf("last applied: %w", err)
		}
		err = insertAudit.exec(ctx, tx, len(rows), func(args []any, i int) []any {
			c := &changes[rows[i]]
			return append(args, runID, batchID, channel, c.SKU, c.Field, textArg(c.From), textArg(c.To), c.Reason, now)
		})
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
	if err == nil || errors.Is(err, ErrNotPending) || errors.Is(err, ErrNotFound) {
		s.sent.drop(batchID)
	}
	return err
}

// sentBatches holds the changes of the batches this Store journaled and has
// not yet seen completed, so that completing one need not decode them
// again. It is only a cache: a batch missing from it (journaled by another
// process, or before a restart) is read from the journal.
type sentBatches struct {
	mu      sync.Mutex
	changes map[int64][]JournalChange
}

// maxSentBatches bounds the cache should batches be journaled and never
// completed.
const maxSentBatches = 64

func (c *sentBatches) put(id int64, changes []JournalChange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changes == nil {
		c.changes = make(map[int64][]JournalChange)
	}
	if len(c.changes) >= maxSentBatches {
		for old := range c.changes {
			delete(c.changes, old)
			break
		}
	}
	c.changes[id] = changes
}

func (c *sentBatches) get(id int64) ([]JournalChange, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	changes, ok := c.changes[id]
	return changes, ok
}

func (c *sentBatches) drop(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.changes, id)
}

var (
	upsertApplied = multiRow{
		head:  `INSERT INTO applied (channel, sku, field, value, run_id, applied_at, ref) VALUES `,
		tuple: `(?, ?, ?, ?, ?, ?, ?)`,
		tail: ` ON CONFLICT (channel, sku, field) DO UPDATE SET
			value = excluded.value, run_id = excluded.run_id, applied_at = excluded.applied_at,
			ref = COALESCE(excluded.ref, applied.ref)`,
		cols: 7,
	}
	insertAudit = multiRow{
		head:  `INSERT INTO audit (run_id, batch_id, channel, sku, field, from_value, to_value, reason, at) VALUES `,
		tuple: `(?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		cols:  9,
	}
)

// multiRow is an INSERT of many rows a chunk at a time, one statement per
// chunk, which costs far less than one statement per row.
type multiRow struct {
	head, tuple, tail string
	cols              int
}

// rowsPerChunk is how many rows one statement inserts.
const rowsPerChunk = 64

func (m multiRow) sql(rows int) string {
	var b strings.Builder
	b.Grow(len(m.head) + rows*(len(m.tuple)+1) + len(m.tail))
	b.WriteString(m.head)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.tuple)
	}
	b.WriteString(m.tail)
	return b.String()
}

// exec inserts n rows; row appends the arguments of row i to args.
func (m multiRow) exec(ctx context.Context, tx *sql.Tx, n int, row func(args []any, i int) []any) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	args := make([]any, 0, min(n, rowsPerChunk)*m.cols)
	for start := 0; start < n; start += rowsPerChunk {
		end := min(start+rowsPerChunk, n)
		args = args[:0]
		for i := start; i < end; i++ {
			args = row(args, i)
		}
		var err error
		if end-start < rowsPerChunk {
			_, err = tx.ExecContext(ctx, m.sql(end-start), args...)
		} else {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, m.sql(rowsPerChunk)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// PendingBatches returns the batches journaled as sent and never completed
// (the process died mid-apply) and those whose outcome is in part unknown
// (Batch.Unknown), in the order they were journaled.
func (s *Store) PendingBatches(ctx context.Context) ([]Batch, error) {
	var batches []Batch
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT b.id, b.run_id, r.revision, COALESCE(r.lease_id, ''), b.channel, b.changes, b.sent_at,
				COALESCE(b.submission, ''), b.state
			FROM batches AS b JOIN runs AS r ON r.id = b.run_id
			WHERE b.state IN ('sent', 'unknown') ORDER BY b.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				b     Batch
				data  string
				sent  int64
				state string
			)
			if err := rows.Scan(&b.ID, &b.RunID, &b.Revision, &b.LeaseID, &b.Channel, &data, &sent, &b.Submission, &state); err != nil {
				return err
			}
			b.Unknown = state == batchUnknown
			if b.Changes, err = decodeChanges(b.Channel, data); err != nil {
				return fmt.Errorf("batch %d: %w", b.ID, err)
			}
			b.Sent = timeOf(sent)
			batches = append(batches, b)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending batches: %w", err)
	}
	return batches, nil
}
