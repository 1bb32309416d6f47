package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/user"
	"sync"
	"time"

	"github.com/accordhq/accord/controller/store"
)

// held is the lease while an apply holds it, renewed in the background.
type held struct {
	lease *store.Lease
	stop  func()
	// lost is closed when a renewal found the lease gone: the apply must
	// stop sending.
	lost    chan struct{}
	lostErr error
}

// acquire takes the state's lease for an apply, waiting up to timeout for
// the holder to let go (0: fail at once with who holds it). The lease is
// renewed every third of its TTL until release; should a renewal find it
// gone, lost is closed and cancel is called.
func (c *Controller) acquire(ctx context.Context, timeout time.Duration, cancel context.CancelFunc) (*held, error) {
	st := c.cfg.Store
	var owner string
	if u, err := user.Current(); err == nil {
		owner = fmt.Sprintf("%s (%s@%s, pid %d)", c.cfg.Owner, u.Username, c.host, c.pid)
	} else {
		owner = fmt.Sprintf("%s (%s, pid %d)", c.cfg.Owner, c.host, c.pid)
	}
	req := store.LeaseRequest{Owner: owner, Host: c.host, PID: c.pid, TTL: c.cfg.LeaseTTL,
		Gone: func(l store.Lease) bool { return l.Host == c.host && !processAlive(l.PID) }}
	deadline := time.Now().Add(timeout)
	wait := 100 * time.Millisecond
	for {
		l, err := st.AcquireLease(ctx, req)
		var busy *store.LeaseHeldError
		if err == nil {
			h := &held{lease: l, lost: make(chan struct{})}
			h.stop = c.renew(background(ctx), h, cancel)
			return h, nil
		}
		if !errors.As(err, &busy) || timeout <= 0 || time.Now().After(deadline) {
			return nil, err
		}
		c.log().Info("waiting for the state's lease", slog.String("holder", busy.Lease.Owner), slog.Time("since", busy.Lease.Acquired))
		t := time.NewTimer(min(wait, time.Until(deadline)+time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// renew keeps h's lease alive until the returned stop is called.
func (c *Controller) renew(ctx context.Context, h *held, cancel context.CancelFunc) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(c.cfg.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if _, err := c.cfg.Store.RenewLease(ctx, h.lease.ID, c.cfg.LeaseTTL); err != nil {
				if errors.Is(err, store.ErrLeaseLost) {
					h.lostErr = fmt.Errorf("stopped: the state's lease %s was taken over or force-unlocked while applying", h.lease.ID)
					close(h.lost)
					cancel()
					return
				}
				// A failed renewal is retried at the next tick; the
				// lease lasts three of them.
				c.log().Warn("renewing the state's lease", slog.Any("err", err))
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// release stops renewing and gives the lease up.
func (c *Controller) release(ctx context.Context, h *held) {
	h.stop()
	select {
	case <-h.lost:
		return
	default:
	}
	if err := c.cfg.Store.ReleaseLease(ctx, h.lease.ID); err != nil {
		c.log().Warn("releasing the state's lease", slog.Any("err", err))
	}
}

// ForceUnlock removes the state's lease with the given ID, for a holder
// that is gone without releasing it.
func (c *Controller) ForceUnlock(ctx context.Context, id string) error {
	if c.cfg.Store == nil {
		return errors.New("force-unlock needs the state store")
	}
	return c.cfg.Store.ForceUnlock(ctx, id)
}
