package controller

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/apply"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
)

// Recovered is what a reconcile found of an apply that was cut short and
// settled before planning.
type Recovered struct {
	Batches int
	// Unknown counts those of the Batches an earlier apply sent and could
	// not learn the outcome of (a timeout), the others having been cut
	// short by the end of their process.
	Unknown int
	// Landed and Lost count the journaled changes found on the channel (or
	// confirmed by it) and not found there.
	Landed, Lost int
	// Processing counts batches the channel is still processing (a feed
	// not done yet): left for the next apply to ask about again.
	Processing int
	// Held are the listings (catalog SKUs) of those batches, with the
	// submission each waits on: nothing is sent for them meanwhile.
	Held map[adapters.Key]string
}

// recover settles the batches journaled as sent and never completed (their
// process died, or, for a daemon's lease, their reconcile was cut short),
// and the changes earlier applies sent without learning their outcome (a
// timeout). A batch the channel queued
// (a submission) is settled by asking the channel for its outcome; any
// other is observed on its channel, and the changes found in place are
// recorded as applied, once, exactly as if the apply had lived to hear the
// answer. Changes not found in place are left to the plan that follows,
// which sends them again. Nothing is ever sent from here. c.mu is held.
func (c *Controller) recover(ctx context.Context, s *spec.Spec, conns map[string]*conn) (Recovered, error) {
	var r Recovered
	st := c.cfg.Store
	pending, err := st.PendingBatches(ctx)
	if err != nil {
		return r, err
	}
	// Nothing of this process is in flight here: reconciles run one at a
	// time, and this one has sent nothing yet. So every pending batch,
	// under this lease (a daemon's, held across reconciles) or another's,
	// is settled.
	for _, b := range pending {
		sc, _, ok := s.Channel(b.Channel)
		cn := conns[b.Channel]
		if !ok || cn == nil || cn.err != nil {
			c.log().Warn("an interrupted apply journaled a batch for a channel that cannot be read now; left as it is",
				slog.String("channel", b.Channel), slog.Int64("batch", b.ID))
			continue
		}
		var landed []bool
		if b.Submission != "" {
			var done bool
			if landed, done, err = c.confirmBatch(ctx, s, cn, b); err != nil {
				return r, fmt.Errorf("recover batch %d: %w", b.ID, err)
			}
			if !done {
				r.Processing++
				if r.Held == nil {
					r.Held = map[adapters.Key]string{}
				}
				for _, ch := range b.Changes {
					r.Held[adapters.Key{Channel: b.Channel, SKU: ch.SKU}] = b.Submission
				}
				continue
			}
		} else {
			var skus []string
			for _, ch := range b.Changes {
				skus = append(skus, ch.SKU)
			}
			obs, err := c.observe(ctx, s, conns, []string{b.Channel}, dedupe(skus))
			if err != nil {
				return r, fmt.Errorf("recover batch %d: %w", b.ID, err)
			}
			idx := indexBySKU(obs[b.Channel])
			landed = make([]bool, len(b.Changes))
			for i := range b.Changes {
				ch := &b.Changes[i]
				landed[i] = apply.Landed(idx[channelSKU(s, b.Channel, ch.SKU)], ch, sc.Scale)
			}
		}
		for _, ok := range landed {
			if ok {
				r.Landed++
			} else {
				r.Lost++
			}
		}
		if err := st.RecoverBatch(ctx, b.ID, landed); err != nil {
			return r, err
		}
		r.Batches++
		if b.Unknown {
			r.Unknown++
		}
	}
	return r, nil
}

// confirmBatch asks the channel for the outcome of a batch it queued. done
// is false while the channel is still processing it.
func (c *Controller) confirmBatch(ctx context.Context, s *spec.Spec, cn *conn, b store.Batch) (landed []bool, done bool, err error) {
	conf, ok := cn.ch.(adapters.Confirmer)
	if !ok {
		return nil, false, fmt.Errorf("batch %d was queued by %s as %s, and the channel can no longer be asked for its outcome", b.ID, b.Channel, b.Submission)
	}
	// The batch as it was sent: journal entries grouped by the change they
	// belong to (a creation is journaled as one entry per field it set).
	var changes []adapters.Change
	item := map[int]int{} // Item -> index in changes
	for _, jc := range b.Changes {
		if _, seen := item[jc.Item]; seen {
			continue
		}
		ch := adapters.Change{Key: adapters.Key{Channel: b.Channel, SKU: channelSKU(s, b.Channel, jc.SKU)}, From: jc.From, To: jc.To, Ref: jc.Ref}
		switch kind := adapters.KindOf(jc.Field); {
		case jc.Create:
			ch.Kind, ch.From, ch.To = adapters.KindCreate, adapters.Null, adapters.Null
		case kind == adapters.KindField:
			ch.Kind, ch.Field = kind, jc.Field
		default:
			ch.Kind = kind
		}
		item[jc.Item] = len(changes)
		changes = append(changes, ch)
	}
	results, err := conf.Confirm(ctx, b.Submission, changes)
	if err != nil {
		return nil, false, err
	}
	if len(results) != len(changes) {
		return nil, false, &adapters.BadResponseError{Message: fmt.Sprintf("the outcome of %s has %d results for %d changes", b.Submission, len(results), len(changes))}
	}
	for _, r := range results {
		if r.Submission != "" {
			return nil, false, nil
		}
	}
	landed = make([]bool, len(b.Changes))
	for i, jc := range b.Changes {
		landed[i] = results[item[jc.Item]].Err == nil
	}
	return landed, true, nil
}
