package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/loop"
	"github.com/accordhq/accord/controller/metrics"
	"github.com/accordhq/accord/controller/notify"
	"github.com/accordhq/accord/controller/server"
	"github.com/accordhq/accord/controller/source"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
)

// runFlags are accord run's flags.
type runFlags struct {
	repo, branch, ref, path, sshKey string
	poll, resync, stockResync       time.Duration
	debounce                        time.Duration
	apply                           string
	listen                          string
	apiToken, hookSecret            string
	once                            bool
	maxAttempts                     int
	backoff                         time.Duration
	memoryLimit                     string
}

func (a *app) runCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Reconcile continuously: follow the spec's branch or directory, heal drift, serve status and metrics",
		Long: `run is accord as a daemon. It follows the spec (a branch of a git repository with
--repo, or the directory --dir, watched for changes) and keeps every channel in
accord with its newest revision that validates: at start and every --resync it
observes every listing; between, it reconciles what moved (a new commit, a stock
change, a promotion starting or ending, a sale a channel reports). A commit that
does not validate is refused with a spec_invalid exception while the last good
revision stays in force.

--apply all applies everything; drift-only heals drift and stock moves at once
and holds a new revision's changes as a pending plan until someone approves it
(accord approve, or POST /api/plan/approve); none only plans and keeps the
exceptions up to date.

It serves /healthz, /readyz, /metrics (Prometheus), /api/status,
/api/exceptions and /api/plan on --listen. Endpoints that change something
need --api-token (or ACCORD_API_TOKEN) as a bearer token and are off without
one; POST /api/hooks/git syncs at once when signed with --hook-secret (or
ACCORD_HOOK_SECRET) as GitHub signs its push webhooks.

SIGTERM or Ctrl-C stops it after the batch in flight is recorded; it exits 0.
With --once it runs one reconcile and exits: for cron and CI. It logs at info
unless --log-level says otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A daemon says what it does: info unless --log-level says
			// otherwise.
			if !cmd.Flags().Changed("log-level") {
				a.logLevel = "info"
				if err := a.setup(); err != nil {
					return err
				}
			}
			return a.run(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.repo, "repo", "", "follow this git repository (https://, ssh://, file:// or a path) instead of --dir")
	fl.StringVar(&f.branch, "branch", "", "the branch to follow (default: the repository's default branch)")
	fl.StringVar(&f.ref, "ref", "", "a fixed tag or commit to apply instead of a branch")
	fl.StringVar(&f.path, "path", "", "the spec directory inside the repository")
	fl.StringVar(&f.sshKey, "ssh-key", "", "private key file for an ssh:// repository (passphrase in ACCORD_GIT_SSH_PASSPHRASE)")
	fl.DurationVar(&f.poll, "poll", time.Minute, "how often to look for a new commit")
	fl.DurationVar(&f.resync, "resync", 10*time.Minute, "how often to observe every listing")
	fl.DurationVar(&f.stockResync, "stock-resync", 30*time.Second, "how often to read the stock for SKUs whose on-hand moved")
	fl.DurationVar(&f.debounce, "debounce", 300*time.Millisecond, "with --dir, how long the files must be quiet before a change is read")
	fl.StringVar(&f.apply, "apply", "all", "what to apply: all, drift-only or none")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address of the HTTP interface; empty for none")
	fl.StringVar(&f.apiToken, "api-token", "", "bearer token of the endpoints that change something (default $ACCORD_API_TOKEN)")
	fl.StringVar(&f.hookSecret, "hook-secret", "", "secret of the git push webhook (default $ACCORD_HOOK_SECRET)")
	fl.BoolVar(&f.once, "once", false, "run one reconcile, then exit")
	fl.IntVar(&f.maxAttempts, "max-attempts", 8, "send a failing change at most this many times per reconcile")
	fl.DurationVar(&f.backoff, "backoff", 500*time.Millisecond, "first wait before a retry; it doubles, with jitter, up to 30s")
	fl.StringVar(&f.memoryLimit, "memory-limit", "768MiB", "soft limit of the Go heap (as GOMEMLIMIT, which wins when set): the garbage collector works harder near it; raise it for catalogs well past 100k SKUs, 0 for none")
	return cmd
}

// run is accord run.
func (a *app) run(ctx context.Context, f runFlags) (err error) {
	mode, err := loop.ParseMode(f.apply)
	if err != nil {
		return err
	}
	if f.repo == "" && (f.branch != "" || f.ref != "" || f.path != "" || f.sshKey != "") {
		return errors.New("--branch, --ref, --path and --ssh-key go with --repo")
	}
	if err := setMemoryLimit(f.memoryLimit, a.env.LookupEnv); err != nil {
		return err
	}
	if f.apiToken == "" {
		f.apiToken, _ = a.env.LookupEnv("ACCORD_API_TOKEN")
	}
	if f.hookSecret == "" {
		f.hookSecret, _ = a.env.LookupEnv("ACCORD_HOOK_SECRET")
	}
	st, err := store.Open(ctx, a.statePath(), a.env.Now)
	if err != nil {
		return err
	}
	defer closeWith(&err, st)
	src, err := a.runSource(ctx, f)
	if err != nil {
		return err
	}
	c := controller.New(controller.Config{Registry: a.registry(), Store: st, Now: a.env.Now, Log: a.log,
		UserAgent: "accord/" + moduleVersion(), Owner: "accord run"})
	defer func() {
		if err := c.Close(); err != nil {
			a.log.Warn("closing channels", slog.Any("err", err))
		}
	}()
	m := metrics.New()
	m.WatchBudgets(c.Budgets().Accounts)
	notices := &notifiers{log: a.log, now: a.env.Now}
	defer notices.stop()
	l, err := loop.New(loop.Config{
		Controller: c, Store: st, Source: src, Mode: mode,
		Load: func(ctx context.Context, dir string) (*spec.Spec, map[string][]byte, hcl.Diagnostics) {
			s, sources, diags := a.loadAt(dir)
			if s != nil && !diags.HasErrors() {
				notices.use(ctx, s)
			}
			return s, sources, diags
		},
		Poll: f.poll, Resync: f.resync, StockResync: f.stockResync,
		Reconcile: controller.Options{MaxAttempts: f.maxAttempts, InitialBackoff: f.backoff},
		Log:       a.log, Metrics: m, Notify: notices.send,
	})
	if err != nil {
		return err
	}
	if f.once {
		err := l.Run(ctx, true)
		st := l.Status()
		if st.Last != nil {
			a.note("%s: %s\n", st.Last.Result, st.Last.Summary)
		}
		return err
	}
	var srv *http.Server
	serveErr := make(chan error, 1)
	if f.listen != "" {
		ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", f.listen)
		if err != nil {
			return fmt.Errorf("--listen %s: %w", f.listen, err)
		}
		srv = &http.Server{
			Handler: server.Handler(server.Config{Daemon: l, Store: st, Metrics: m.Handler(), Token: f.apiToken, HookSecret: f.hookSecret, Channels: l,
				Scales: func() map[string]int32 { return scalesOf(l.Spec()) }, Log: a.log}),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		}
		a.log.Info("serving", slog.String("listen", ln.Addr().String()))
		go func() { serveErr <- srv.Serve(ln) }()
	}
	runErr := l.Run(ctx, false)
	if srv != nil {
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			a.log.Warn("stopping the HTTP server", slog.Any("err", err))
		}
		if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			runErr = errors.Join(runErr, err)
		}
	}
	a.log.Info("stopped")
	return runErr
}

// runSource is the spec's source: the repository --repo names, cloned
// beside the state, or the directory --dir, watched.
func (a *app) runSource(ctx context.Context, f runFlags) (loop.Source, error) {
	if f.repo == "" {
		changes, err := source.WatchDir(ctx, a.dir, f.debounce)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", a.dir, err)
		}
		return &dirSource{dir: a.dir, changes: changes}, nil
	}
	auth, err := source.AuthFromEnv(f.repo, a.env.LookupEnv, f.sshKey)
	if err != nil {
		return nil, err
	}
	tr, err := source.OpenTracker(ctx, source.TrackOptions{URL: f.repo, Branch: f.branch, Ref: f.ref, Path: f.path,
		Dir: filepath.Join(filepath.Dir(a.statePath()), "repo"), Auth: auth, Logger: a.log})
	if err != nil {
		return nil, err
	}
	return trackerSource{tr}, nil
}

// trackerSource is a followed branch as the loop's Source.
type trackerSource struct{ t *source.Tracker }

func (s trackerSource) Sync(ctx context.Context) (loop.Revision, bool, error) {
	rev, changed, err := s.t.Sync(ctx)
	return loop.Revision{Commit: rev.Commit, Author: rev.Author, Message: rev.Message, When: rev.When, Dir: rev.Dir}, changed, err
}

// dirSource is a watched directory as the loop's Source: it moved when
// the watch said so since the last Sync.
type dirSource struct {
	dir     string
	changes <-chan struct{}

	mu     sync.Mutex
	synced bool
	moved  bool
	fwd    chan struct{}
	once   sync.Once
}

func (d *dirSource) Sync(context.Context) (loop.Revision, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	moved := d.moved || !d.synced
	d.moved, d.synced = false, true
	return loop.Revision{Dir: d.dir}, moved, nil
}

// Changed forwards the watch's signals, noting each as a move.
func (d *dirSource) Changed() <-chan struct{} {
	d.once.Do(func() {
		d.fwd = make(chan struct{}, 1)
		go func() {
			defer close(d.fwd)
			for range d.changes {
				d.mu.Lock()
				d.moved = true
				d.mu.Unlock()
				select {
				case d.fwd <- struct{}{}:
				default:
				}
			}
		}()
	})
	return d.fwd
}

// loadAt loads the spec in dir as --dir would, with its sources.
func (a *app) loadAt(dir string) (*spec.Spec, map[string][]byte, hcl.Diagnostics) {
	vars, err := a.varMap()
	if err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Bad --var", Detail: err.Error()}}
	}
	s, diags := spec.LoadDir(dir, spec.Options{Types: a.registry(), Vars: vars, LookupEnv: a.env.LookupEnv, Campaigns: a.campaignFS()})
	var sources map[string][]byte
	if s != nil {
		sources = s.Sources
	}
	return s, sources, diags
}

// scalesOf is each channel's money places.
func scalesOf(s *spec.Spec) map[string]int32 {
	out := map[string]int32{}
	if s == nil {
		return out
	}
	for _, ch := range s.Channels {
		out[ch.Name] = ch.Scale
	}
	return out
}

// notifiers holds the notifier of the spec in force: a revision whose
// notify blocks differ gets a new one, and the old one finishes what it
// has queued.
type notifiers struct {
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	key    string
	n      *notify.Notifier
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (ns *notifiers) use(ctx context.Context, s *spec.Spec) {
	targets, key, err := notify.Targets(s)
	if err != nil {
		// The blocks that resolved still get their events.
		ns.log.Warn("a notify block cannot be used", slog.Any("err", err))
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if key == ns.key && ns.n != nil {
		return
	}
	if ns.cancel != nil {
		ns.cancel()
	}
	ns.key = key
	ns.n = notify.New(targets, nil, ns.log, ns.now)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ns.cancel = cancel
	ns.wg.Add(1)
	go func(n *notify.Notifier) {
		defer ns.wg.Done()
		n.Run(runCtx)
	}(ns.n)
}

func (ns *notifiers) send(n loop.Notice) {
	ns.mu.Lock()
	cur := ns.n
	ns.mu.Unlock()
	if cur == nil {
		return
	}
	cur.Send(notify.Event{Kind: n.Kind, Severity: n.Severity, Title: n.Title, Text: n.Text, Commit: n.Commit,
		Channel: n.Channel, SKU: n.SKU, Fields: n.Fields})
}

func (ns *notifiers) stop() {
	ns.mu.Lock()
	if ns.cancel != nil {
		ns.cancel()
	}
	ns.mu.Unlock()
	ns.wg.Wait()
}

// setMemoryLimit sets the Go heap's soft limit from --memory-limit ("900MiB",
// "1.5GiB", "0" for none), unless GOMEMLIMIT is set, which the runtime has
// already applied.
func setMemoryLimit(limit string, lookup func(string) (string, bool)) error {
	if v, ok := lookup("GOMEMLIMIT"); ok && v != "" {
		return nil
	}
	n, err := parseBytes(limit)
	if err != nil {
		return fmt.Errorf("--memory-limit %q: %w", limit, err)
	}
	if n > 0 {
		debug.SetMemoryLimit(n)
	}
	return nil
}

// parseBytes reads a size such as 900MiB, 1.5GiB, 512KiB or 1000000.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		scale  int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	num, scale := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(num, u.suffix); ok {
			num, scale = v, u.scale
			break
		}
	}
	d, err := decimal.NewFromString(num)
	if err != nil || d.IsNegative() {
		return 0, errors.New("write a size such as 900MiB or 1.5GiB, or 0 for none")
	}
	return d.Mul(decimal.NewFromInt(scale)).IntPart(), nil
}
