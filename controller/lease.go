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
		Gone: func(l store.Lease) bool { return l.Host == c.host && !store.ProcessAlive(l.PID) }}
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

// leadership is the lease a daemon holds while it leads: every apply of
// its reconciles runs under it, and losing it cancels the one running.
type leadership struct {
	h *held

	mu     sync.Mutex
	cancel context.CancelFunc
}

// use hands the lease to a reconcile, whose context cancel ends should
// the lease be lost; use(nil) takes it back. A lease already lost is an
// error.
func (ld *leadership) use(cancel context.CancelFunc) (*held, error) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	ld.cancel = cancel
	select {
	case <-ld.h.lost:
		return nil, ld.h.lostErr
	default:
	}
	return ld.h, nil
}

func (ld *leadership) lost() {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if ld.cancel != nil {
		ld.cancel()
	}
}

// Lead takes the state's lease for a daemon (accord run) and keeps it,
// renewed, until release is called or it is lost (lost is closed then):
// meanwhile every apply of this controller runs under it, and no other
// process (a second daemon, a person's accord apply) applies. A lease
// another holds is a *store.LeaseHeldError: the caller stands by and tries
// again later.
func (c *Controller) Lead(ctx context.Context) (release func(), lost <-chan struct{}, err error) {
	if c.cfg.Store == nil {
		return nil, nil, errors.New("leading needs the state store")
	}
	ld := &leadership{}
	h, err := c.acquire(ctx, 0, ld.lost)
	if err != nil {
		return nil, nil, err
	}
	ld.h = h
	c.mu.Lock()
	c.lead = ld
	c.mu.Unlock()
	release = func() {
		c.mu.Lock()
		if c.lead == ld {
			c.lead = nil
		}
		c.mu.Unlock()
		c.release(background(ctx), h)
	}
	return release, h.lost, nil
}
