// Package controller is accord's reconcile: one call, Reconcile, takes a
// loaded spec from the desired state to the channels. It reads stock
// through the stock-source kinds, derives the desired state, observes every
// channel through its adapter, diffs the two against the store's history
// into a plan (package plan), and, asked to apply, takes the state's lease,
// settles what an earlier apply left unfinished, and applies the plan
// (package apply) with its journal, audit log and exceptions kept in the
// store. `accord plan`, `accord apply` and the daemon all drive it; none of
// them assembles these steps itself.
//
// A Controller lives as long as its process: it keeps each channel's
// connection (the adapter, with what it learned of its account's rate
// limits) across reconciles, keyed by the channel's name and a hash of its
// evaluated config, so a new commit that leaves a channel alone keeps its
// connection, and one that changes its config reopens it. Everything else is
// read afresh by every reconcile; nothing is carried over but what is in the
// store.
package controller

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/store"
)

// Config is what a Controller is built from.
type Config struct {
	// Registry holds the channel and stock-source kinds.
	Registry *adapters.Registry
	// Store is the state; nil plans without history and cannot apply.
	Store *store.Store
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Log receives the controller's and the adapters' logs (nil: none).
	Log *slog.Logger
	// HTTPClient is lent to every adapter (nil: one with timeouts set).
	HTTPClient *http.Client
	// UserAgent identifies accord to the channels.
	UserAgent string
	// Owner names who applies, in the lease: "accord apply", "accord run".
	Owner string
	// LeaseTTL is how long the lease lasts without renewal (default 30s);
	// it is renewed every third of that while an apply runs.
	LeaseTTL time.Duration
}

// Controller reconciles specs with their channels. Reconcile calls on one
// Controller run one at a time.
type Controller struct {
	cfg     Config
	budgets *adapters.Budgets
	host    string
	pid     int

	// mu is held by a reconcile for its whole run: one at a time.
	mu    sync.Mutex
	conns map[string]*conn
	// lead is the lease a daemon holds for as long as it leads (Lead);
	// nil when each apply takes the lease for itself.
	lead *leadership
	// rlog is the logger of the reconcile running (Options.Log), so that
	// what the controller logs meanwhile carries its attributes.
	rlog atomic.Pointer[slog.Logger]
	// sales are the orders channels reported that the stock sources may
	// not show yet.
	sales sales
	// receivers are the channels of the running Watch that take webhooks,
	// by name: Hook reaches them without waiting for a reconcile.
	receivers atomic.Pointer[map[string]adapters.HookReceiver]
}

// New returns a controller.
func New(cfg Config) *Controller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = defaultHTTPClient()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "accord"
	}
	if cfg.Owner == "" {
		cfg.Owner = "accord"
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 30 * time.Second
	}
	host, _ := os.Hostname()
	return &Controller{cfg: cfg, budgets: adapters.NewBudgets(nil), host: host, pid: os.Getpid(), conns: map[string]*conn{}}
}

// defaultHTTPClient bounds every stage of a request, so that a channel that
// stops answering fails a call instead of hanging a reconcile.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t, Timeout: 5 * time.Minute}
}

// Store is the controller's state store (nil without one).
func (c *Controller) Store() *store.Store { return c.cfg.Store }

// Budgets is every channel account's budget, for status and metrics.
func (c *Controller) Budgets() *adapters.Budgets { return c.budgets }

// Close closes every channel connection.
func (c *Controller) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for name, cn := range c.conns {
		errs = append(errs, cn.close())
		delete(c.conns, name)
	}
	return errors.Join(errs...)
}

func (c *Controller) log() *slog.Logger {
	if l := c.rlog.Load(); l != nil {
		return l
	}
	return c.cfg.Log
}

func (c *Controller) now() time.Time { return c.cfg.Now() }

// background is ctx without its cancellation, for the bookkeeping that
// must finish after an apply was cut short: the journal, the audit log,
// the exceptions.
func background(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
