package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// ErrNoSpecDir is the error Sync returns when the commit it fetched has no
// directory at TrackOptions.Path. The working tree stays at the revision it
// had: the daemon goes on with the last spec it could read, and a person
// has to fix the branch.
var ErrNoSpecDir = errors.New("no spec directory in the commit")

// TrackOptions says what a Tracker follows and where it keeps its clone.
type TrackOptions struct {
	// URL is the remote: https://, ssh://, git@host:path, file:// or a
	// local path. A password in its userinfo is used for HTTP basic
	// authentication when Auth is nil, and is kept out of the clone's
	// configuration and out of every error.
	URL string
	// Branch is the branch to follow. Empty: the remote's default branch,
	// whatever its HEAD names at each fetch.
	Branch string
	// Ref is a fixed revision instead of a branch: a tag ("v3"), a full
	// reference name ("refs/pull/12/head") or a full 40-digit commit hash.
	// A tag or reference is fetched again at each Sync, so a moved tag is
	// followed. Ref and Branch exclude each other.
	Ref string
	// Path is the spec directory inside the repository, with forward
	// slashes ("" or "." for the root).
	Path string
	// Dir is where the clone lives on disk, with its working tree: empty
	// or absent the first time, the same directory at every later open.
	// Files in it that git does not track (accord's .accord directory, a
	// sandbox database) survive every checkout.
	Dir string
	// Auth authenticates to the remote (AuthFromEnv); nil for none or for
	// the password in URL.
	Auth transport.AuthMethod
	// Logger receives what happens at debug level (clone, fall back to a
	// full clone, checkout); nil discards it. Credentials never reach it.
	Logger *slog.Logger
}

// Revision is the commit a Tracker has checked out. Its fields are those of
// controller/loop's Revision, in the same order, so that one converts to
// the other.
type Revision struct {
	Commit  string // full hash
	Author  string // "Name <email>"
	Message string
	When    time.Time
	// Dir is the absolute path of the spec directory in the working tree.
	Dir string
}

// Subject is the first line of the revision's commit message.
func (r Revision) Subject() string {
	subject, _, _ := strings.Cut(strings.TrimSpace(r.Message), "\n")
	return subject
}

// Tracker follows a branch, or a fixed ref, of a remote repository in a
// clone on disk: a shallow clone (depth 1) where the remote can serve one,
// fetched incrementally, whose working tree is moved to each new commit by
// a hard reset of the files git tracks. Its methods are safe for
// concurrent use, though a daemon has one caller.
type Tracker struct {
	mu     sync.Mutex
	o      TrackOptions
	url    string // the URL without its password: for git and messages
	auth   transport.AuthMethod
	redact []string // secrets to cut out of every error
	log    *slog.Logger
	r      *git.Repository
	dir    string // absolute
	spec   string // Path, cleaned: "." for the root
	want   want

	synced    bool          // a Sync has run since open
	last      plumbing.Hash // the commit the last Sync reported
	checkouts int           // checkouts made, for tests
}

// want is what the tracker fetches and where the fetched commit lands.
type want struct {
	kind   wantKind
	src    string                 // the remote's reference name, or a commit hash
	local  plumbing.ReferenceName // where the fetch puts it
	commit plumbing.Hash          // for wantCommit
}

type wantKind int

const (
	wantBranch wantKind = iota // a branch, or the remote's HEAD
	wantRef                    // a tag or another named reference
	wantCommit                 // a fixed commit
)

const remoteName = "origin"

// OpenTracker opens the clone in o.Dir, or clones o.URL there when the
// directory is empty or absent. It fetches only when it clones; Sync
// fetches after that.
func OpenTracker(ctx context.Context, o TrackOptions) (*Tracker, error) {
	t, err := newTracker(o)
	if err != nil {
		return nil, err
	}
	r, err := git.PlainOpen(t.dir)
	switch {
	case err == nil:
		t.r = r
		if err := t.checkRemote(); err != nil {
			return nil, t.clean(err)
		}
		return t, nil
	case !errors.Is(err, git.ErrRepositoryNotExists):
		return nil, t.clean(fmt.Errorf("open the clone in %s: %w", t.dir, err))
	}
	if err := t.clone(ctx); err != nil {
		return nil, t.clean(err)
	}
	return t, nil
}

func newTracker(o TrackOptions) (*Tracker, error) {
	if o.URL == "" {
		return nil, errors.New("track: no repository URL")
	}
	if o.Dir == "" {
		return nil, errors.New("track: no directory for the clone")
	}
	if o.Branch != "" && o.Ref != "" {
		return nil, fmt.Errorf("track: a branch (%s) and a fixed ref (%s) exclude each other", o.Branch, o.Ref)
	}
	spec := path.Clean("/" + filepath.ToSlash(o.Path))[1:]
	if spec == "" {
		spec = "."
	}
	if o.Path != "" && (path.IsAbs(filepath.ToSlash(o.Path)) || spec != path.Clean(filepath.ToSlash(o.Path))) {
		return nil, fmt.Errorf("track: the spec path %q must be relative and stay inside the repository", o.Path)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("track: %w", err)
	}
	t := &Tracker{o: o, dir: dir, spec: spec, log: o.Logger, auth: o.Auth}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.url, t.redact = stripPassword(o.URL)
	if pw := t.redact; len(pw) > 0 && t.auth == nil {
		if u, err := url.Parse(o.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
			p, _ := u.User.Password()
			t.auth = &githttp.BasicAuth{Username: u.User.Username(), Password: p}
		}
	}
	t.redact = append(t.redact, secretsOf(t.auth)...)
	if t.want, err = wantOf(o); err != nil {
		return nil, t.clean(err)
	}
	return t, nil
}

// stripPassword returns rawURL without the password of its userinfo, and
// the password (plain and as written) to cut out of messages.
func stripPassword(rawURL string) (string, []string) {
	if !strings.Contains(rawURL, "://") {
		return rawURL, nil // a local path or scp-like ssh: no password syntax
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// Unparsable: hide everything between the scheme and the last @.
		scheme, rest, _ := strings.Cut(rawURL, "://")
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return scheme + "://" + rest[at+1:], []string{rest[:at]}
		}
		return rawURL, nil
	}
	p, ok := u.User.Password()
	if !ok {
		return rawURL, nil
	}
	secrets := []string{}
	if p != "" {
		secrets = append(secrets, p)
	}
	// The password as escaped in the URL, which go-git may print.
	if _, escaped, found := strings.Cut(u.User.String(), ":"); found && escaped != p && escaped != "" {
		secrets = append(secrets, escaped)
	}
	u.User = url.User(u.User.Username())
	return u.String(), secrets
}

// secretsOf is the secret an authentication method carries, to be cut out
// of messages.
func secretsOf(auth transport.AuthMethod) []string {
	switch a := auth.(type) {
	case *githttp.BasicAuth:
		if a.Password != "" {
			return []string{a.Password}
		}
	case *githttp.TokenAuth:
		if a.Token != "" {
			return []string{a.Token}
		}
	}
	return nil
}

func wantOf(o TrackOptions) (want, error) {
	switch {
	case o.Ref != "" && isFullHash(o.Ref):
		h := plumbing.NewHash(strings.ToLower(o.Ref))
		return want{kind: wantCommit, src: h.String(), local: "refs/accord/pinned", commit: h}, nil
	case strings.HasPrefix(o.Ref, "refs/heads/"):
		return want{}, fmt.Errorf("track: %s is a branch: give it as the branch, not as a fixed ref", o.Ref)
	case strings.HasPrefix(o.Ref, "refs/"):
		return want{kind: wantRef, src: o.Ref, local: plumbing.ReferenceName(o.Ref)}, nil
	case o.Ref != "":
		name := plumbing.NewTagReferenceName(o.Ref)
		if err := name.Validate(); err != nil {
			return want{}, fmt.Errorf("track: ref %q: %w", o.Ref, err)
		}
		return want{kind: wantRef, src: name.String(), local: name}, nil
	case o.Branch != "":
		name := plumbing.NewBranchReferenceName(strings.TrimPrefix(o.Branch, "refs/heads/"))
		if err := name.Validate(); err != nil {
			return want{}, fmt.Errorf("track: branch %q: %w", o.Branch, err)
		}
		return want{kind: wantBranch, src: name.String(), local: plumbing.NewRemoteReferenceName(remoteName, name.Short())}, nil
	default:
		return want{kind: wantBranch, src: plumbing.HEAD.String(), local: plumbing.NewRemoteHEADReferenceName(remoteName)}, nil
	}
}

func isFullHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// what names what is followed, for messages.
func (t *Tracker) what() string {
	switch {
	case t.o.Ref != "":
		return "ref " + t.o.Ref
	case t.o.Branch != "":
		return "branch " + t.o.Branch
	}
	return "the default branch"
}

// refSpec is the fetch refspec of what the tracker follows.
func (t *Tracker) refSpec() config.RefSpec {
	if t.want.kind == wantCommit {
		return config.RefSpec(t.want.src + ":" + t.want.local.String())
	}
	return config.RefSpec("+" + t.want.src + ":" + t.want.local.String())
}

// checkRemote makes sure an existing clone is a clone of the URL asked for:
// following another repository's commits in place would be a surprise.
func (t *Tracker) checkRemote() error {
	rem, err := t.r.Remote(remoteName)
	if err != nil {
		return fmt.Errorf("%s holds a git repository without the remote %q: not a clone accord made; give an empty directory", t.dir, remoteName)
	}
	if urls := rem.Config().URLs; len(urls) == 0 || urls[0] != t.url {
		got := ""
		if len(urls) > 0 {
			got, _ = stripPassword(urls[0])
		}
		return fmt.Errorf("%s holds a clone of %s, not of %s: give another directory, or empty this one", t.dir, got, t.url)
	}
	if _, err := t.r.Worktree(); err != nil {
		return fmt.Errorf("%s holds a git repository without a working tree: %w", t.dir, err)
	}
	return nil
}

// clone makes the clone in an empty or absent directory: init, the remote,
// one fetch. Checking out is Sync's. A clone that fails is removed, so the
// next open starts afresh instead of opening half a clone.
func (t *Tracker) clone(ctx context.Context) (err error) {
	entries, err := os.ReadDir(t.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(t.dir, 0o750); err != nil {
			return fmt.Errorf("clone %s: %w", t.url, err)
		}
	case err != nil:
		return fmt.Errorf("clone %s: %w", t.url, err)
	case len(entries) > 0:
		return fmt.Errorf("clone %s: %s is neither empty nor a git clone", t.url, t.dir)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(filepath.Join(t.dir, git.GitDirName))
		}
	}()
	r, err := git.PlainInit(t.dir, false)
	if err != nil {
		return fmt.Errorf("clone %s: %w", t.url, err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{t.url}, Fetch: []config.RefSpec{t.refSpec()}}); err != nil {
		return fmt.Errorf("clone %s: %w", t.url, err)
	}
	t.r = r
	t.log.Debug("clone", slog.String("url", t.url), slog.String("dir", t.dir), slog.String("follow", t.what()))
	return t.fetch(ctx, true)
}

// fetch brings what the tracker follows from the remote: at depth 1 into a
// new or shallow clone, then again without a depth if the remote cannot
// serve a shallow one; incrementally into a full clone.
func (t *Tracker) fetch(ctx context.Context, fresh bool) error {
	if t.want.kind == wantCommit {
		return t.fetchCommit(ctx, fresh)
	}
	depth := 0
	if fresh || t.shallow() {
		depth = 1
	}
	err := t.fetchSpecs(ctx, []config.RefSpec{t.refSpec()}, depth)
	if err != nil && fresh && depth > 0 && !terminal(err) {
		t.log.Debug("the remote cannot serve a shallow clone: cloning all of it", slog.String("url", t.url), slog.Any("error", t.clean(err)))
		err = t.fetchSpecs(ctx, []config.RefSpec{t.refSpec()}, 0)
	}
	if errors.Is(err, git.NoMatchingRefSpecError{}) {
		return fmt.Errorf("fetch %s: %s does not exist there", t.url, t.what())
	}
	if err != nil {
		return fmt.Errorf("fetch %s: %w", t.url, err)
	}
	return nil
}

// fetchCommit makes sure the pinned commit is in the clone: by its hash,
// at depth 1, where the remote allows that (GitHub, GitLab), else with
// every branch and tag, in full.
func (t *Tracker) fetchCommit(ctx context.Context, fresh bool) error {
	if !fresh && t.has(t.want.commit) {
		return nil
	}
	err := t.fetchSpecs(ctx, []config.RefSpec{t.refSpec()}, 1)
	if err != nil && !terminal(err) {
		// The remote does not serve commits by hash (ErrExactSHA1NotSupported),
		// or not this one: it is not reachable from what it advertises.
		depth := 0
		if t.shallow() {
			depth = math.MaxInt32 // deepen to the whole history, as git fetch --unshallow
		}
		err = t.fetchSpecs(ctx, []config.RefSpec{
			config.RefSpec(fmt.Sprintf("+refs/heads/*:refs/remotes/%s/*", remoteName)),
			"+refs/tags/*:refs/tags/*",
		}, depth)
	}
	if err != nil {
		return fmt.Errorf("fetch %s: %w", t.url, err)
	}
	if !t.has(t.want.commit) {
		return fmt.Errorf("fetch %s: commit %s is not on any branch or tag there", t.url, t.want.commit)
	}
	return t.r.Storer.SetReference(plumbing.NewHashReference(t.want.local, t.want.commit))
}

func (t *Tracker) fetchSpecs(ctx context.Context, specs []config.RefSpec, depth int) error {
	err := t.r.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   specs,
		Depth:      depth,
		Auth:       t.auth,
		Tags:       git.NoTags,
		Force:      true,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}

// terminal reports whether a failed shallow fetch would fail in full too.
func terminal(err error) bool {
	for _, target := range []error{
		context.Canceled, context.DeadlineExceeded,
		transport.ErrAuthenticationRequired, transport.ErrAuthorizationFailed,
		transport.ErrRepositoryNotFound, transport.ErrInvalidAuthMethod,
		git.NoMatchingRefSpecError{},
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func (t *Tracker) shallow() bool {
	s, err := t.r.Storer.Shallow()
	return err == nil && len(s) > 0
}

func (t *Tracker) has(h plumbing.Hash) bool {
	_, err := t.r.CommitObject(h)
	return err == nil
}

// Sync fetches what the tracker follows and, when it moved, checks the new
// commit out. It reports the revision the working tree is at and whether
// that moved since the last Sync (the first Sync after OpenTracker reports
// a change). A fetch that finds nothing new writes nothing.
//
// A commit without the spec directory is not checked out: Sync returns
// ErrNoSpecDir and the working tree stays where it was.
func (t *Tracker) Sync(ctx context.Context) (rev Revision, changed bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fetch(ctx, false); err != nil {
		return Revision{}, false, t.clean(err)
	}
	ref, err := t.r.Reference(t.want.local, true)
	if err != nil {
		return Revision{}, false, t.clean(fmt.Errorf("fetch %s: %s: %w", t.url, t.what(), err))
	}
	c, err := t.peel(ref.Hash())
	if err != nil {
		return Revision{}, false, t.clean(fmt.Errorf("fetch %s: %s: %w", t.url, t.what(), err))
	}
	if err := t.checkSpecDir(c); err != nil {
		return Revision{}, false, t.clean(err)
	}
	head, err := t.r.Reference(plumbing.HEAD, true)
	// The first Sync after open checks out even when HEAD is already
	// there: a process killed in the middle of a checkout moved HEAD first.
	if !t.synced || err != nil || head.Hash() != c.Hash {
		if err := t.checkout(c); err != nil {
			return Revision{}, false, t.clean(fmt.Errorf("check out %s of %s in %s: %w", c.Hash.String()[:12], t.url, t.dir, err))
		}
	}
	t.synced = true
	changed = c.Hash != t.last
	t.last = c.Hash
	return Revision{
		Commit:  c.Hash.String(),
		Author:  fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email),
		When:    c.Author.When,
		Message: c.Message,
		Dir:     filepath.Join(t.dir, filepath.FromSlash(t.spec)),
	}, changed, nil
}

// peel follows annotated tags to the commit they name.
func (t *Tracker) peel(h plumbing.Hash) (*object.Commit, error) {
	for range 10 {
		obj, err := t.r.Object(plumbing.AnyObject, h)
		if err != nil {
			return nil, err
		}
		switch o := obj.(type) {
		case *object.Commit:
			return o, nil
		case *object.Tag:
			h = o.Target
		default:
			return nil, fmt.Errorf("%s is a %s, not a commit", h, obj.Type())
		}
	}
	return nil, fmt.Errorf("%s: too many tags on tags", h)
}

func (t *Tracker) checkSpecDir(c *object.Commit) error {
	if t.spec == "." {
		return nil
	}
	tree, err := c.Tree()
	if err != nil {
		return fmt.Errorf("commit %s: %w", c.Hash.String()[:12], err)
	}
	if _, err := tree.Tree(t.spec); err != nil {
		return fmt.Errorf("commit %s of %s has no directory %s: %w", c.Hash.String()[:12], t.url, t.spec, ErrNoSpecDir)
	}
	return nil
}

// checkout moves the working tree to commit c with a hard reset of the
// files git tracks, the ones before and the ones after, and of no other:
// go-git's hard reset of the whole tree would delete every untracked file,
// the daemon's state among them. HEAD is detached at c.
func (t *Tracker) checkout(c *object.Commit) error {
	wt, err := t.r.Worktree()
	if err != nil {
		return err
	}
	idx, err := t.r.Storer.Index()
	if err != nil {
		return err
	}
	tracked := make(map[string]bool, len(idx.Entries))
	for _, e := range idx.Entries {
		tracked[e.Name] = true
	}
	files, err := c.Files()
	if err != nil {
		return err
	}
	if err := files.ForEach(func(f *object.File) error {
		tracked[f.Name] = true
		return nil
	}); err != nil {
		return err
	}
	if err := t.r.Storer.SetReference(plumbing.NewHashReference(plumbing.HEAD, c.Hash)); err != nil {
		return err
	}
	if len(tracked) == 0 {
		return nil // nothing tracked before or after; an empty Files would reset everything
	}
	paths := make([]string, 0, len(tracked))
	for p := range tracked {
		paths = append(paths, p)
	}
	if err := wt.Reset(&git.ResetOptions{Commit: c.Hash, Mode: git.HardReset, Files: paths}); err != nil {
		return err
	}
	t.checkouts++
	t.log.Debug("checkout", slog.String("url", t.url), slog.String("commit", c.Hash.String()), slog.String("dir", t.dir))
	return nil
}

// Repo is the clone, to read other revisions than the one checked out.
func (t *Tracker) Repo() *Repo {
	return &Repo{r: t.r, root: t.dir}
}

// clean cuts every credential out of err's message; errors.Is and errors.As
// still see what err wraps.
func (t *Tracker) clean(err error) error {
	return redacted(err, t.redact)
}

func redacted(err error, secrets []string) error {
	if err == nil || len(secrets) == 0 {
		return err
	}
	return &redactedError{err: err, secrets: secrets}
}

type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string {
	s := e.err.Error()
	for _, secret := range e.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "xxxxx")
		}
	}
	return s
}

func (e *redactedError) Unwrap() error { return e.err }
