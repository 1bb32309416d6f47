package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/cgi" //nolint:gosec // G504: httpoxy concerns Go before 1.6.3; this serves git to a test
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
)

// fileURL is the file:// URL of a local repository.
func fileURL(dir string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
}

// track opens a tracker of the remote k in a new directory and syncs it once.
func track(t *testing.T, o TrackOptions) (*Tracker, Revision) {
	t.Helper()
	if o.Dir == "" {
		o.Dir = filepath.Join(t.TempDir(), "repo")
	}
	tr, err := OpenTracker(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	rev, changed, err := tr.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !changed {
		t.Error("the first Sync after open reported no change")
	}
	return tr, rev
}

func mustSync(t *testing.T, tr *Tracker) (Revision, bool) {
	t.Helper()
	rev, changed, err := tr.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return rev, changed
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func mtime(t *testing.T, name string) time.Time {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

// A clone at depth 1 over file://, a Sync that finds nothing new and writes
// nothing, then a new commit on the branch, checked out.
func TestTrackBranch(t *testing.T) {
	k := newRepo(t)
	first := k.commit("Add the spec", map[string]*string{"accord.hcl": text("one\n"), "products.csv": text("sku\nA\n")})
	tr, rev := track(t, TrackOptions{URL: fileURL(k.dir), Branch: "main"})
	if rev.Commit != first || rev.Author != "Ana Ops <ana@example.com>" || rev.Subject() != "Add the spec" || rev.When.IsZero() {
		t.Errorf("revision %+v", rev)
	}
	if rev.Dir != tr.dir || !filepath.IsAbs(rev.Dir) {
		t.Errorf("Dir = %s, want the clone's root %s", rev.Dir, tr.dir)
	}
	if got := readFile(t, filepath.Join(rev.Dir, "accord.hcl")); got != "one\n" {
		t.Errorf("accord.hcl = %q", got)
	}
	if !tr.shallow() {
		t.Error("the clone of a file:// remote is not shallow")
	}

	before, checkouts := mtime(t, filepath.Join(rev.Dir, "accord.hcl")), tr.checkouts
	again, changed := mustSync(t, tr)
	if changed || again.Commit != first {
		t.Errorf("Sync with nothing new = %s, changed %v", again.Commit, changed)
	}
	if tr.checkouts != checkouts || !mtime(t, filepath.Join(rev.Dir, "accord.hcl")).Equal(before) {
		t.Error("a Sync with nothing new checked out")
	}

	second := k.commit("Raise A", map[string]*string{"accord.hcl": text("two\n"), "products.csv": nil, "new/file.csv": text("n\n")})
	rev, changed = mustSync(t, tr)
	if !changed || rev.Commit != second || rev.Subject() != "Raise A" {
		t.Fatalf("after a new commit: %s, changed %v; want %s", rev.Commit, changed, second)
	}
	if got := readFile(t, filepath.Join(rev.Dir, "accord.hcl")); got != "two\n" {
		t.Errorf("accord.hcl = %q", got)
	}
	if _, err := os.Stat(filepath.Join(rev.Dir, "products.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file the commit deleted is still there: %v", err)
	}
	if got := readFile(t, filepath.Join(rev.Dir, "new", "file.csv")); got != "n\n" {
		t.Errorf("new/file.csv = %q", got)
	}
	if _, changed := mustSync(t, tr); changed {
		t.Error("a second Sync of the same commit reported a change")
	}
	// The clone reads other revisions too.
	c, err := tr.Repo().Resolve(second)
	if err != nil || c.Subject() != "Raise A" {
		t.Errorf("Repo().Resolve = %v, %v", c, err)
	}
}

// The remote's default branch when none is named, followed through HEAD.
func TestTrackDefaultBranch(t *testing.T) {
	k := newRepo(t)
	first := k.commit("one", map[string]*string{"a.hcl": text("1\n")})
	tr, rev := track(t, TrackOptions{URL: k.dir}) // a plain path
	if rev.Commit != first {
		t.Fatalf("commit %s, want %s", rev.Commit, first)
	}
	second := k.commit("two", map[string]*string{"a.hcl": text("2\n")})
	if rev, changed := mustSync(t, tr); !changed || rev.Commit != second {
		t.Errorf("after a commit: %s, %v", rev.Commit, changed)
	}
}

// Files git does not track, the daemon's state under the spec directory
// among them, survive every checkout: files changed, added and removed
// around them, a directory of tracked files emptied, a reopen, and tracked
// files edited by hand, which the next checkout puts back.
func TestTrackKeepsUntrackedFiles(t *testing.T) {
	k := newRepo(t)
	k.commit("spec", map[string]*string{
		"README":            text("r\n"),
		"spec/accord.hcl":   text("one\n"),
		"spec/products.csv": text("sku\nA\n"),
		"spec/data/x.csv":   text("x\n"),
	})
	dir := filepath.Join(t.TempDir(), "repo")
	o := TrackOptions{URL: fileURL(k.dir), Branch: "main", Path: "spec", Dir: dir}
	tr, rev := track(t, o)
	if rev.Dir != filepath.Join(dir, "spec") {
		t.Fatalf("Dir = %s", rev.Dir)
	}
	untracked := map[string]string{
		filepath.Join(rev.Dir, ".accord", "state.db"): "state",
		filepath.Join(rev.Dir, "sandbox.db"):          "sandbox",
		filepath.Join(rev.Dir, "data", "mine.txt"):    "mine", // beside files the next commit removes
		filepath.Join(dir, "notes.txt"):               "notes",
	}
	for name, data := range untracked {
		writeFile(t, name, data)
	}
	check := func(when string) {
		t.Helper()
		for name, data := range untracked {
			if b, err := os.ReadFile(name); err != nil || string(b) != data {
				t.Errorf("%s: %s = %q, %v", when, name, b, err)
			}
		}
	}
	k.commit("change", map[string]*string{
		"spec/accord.hcl":   text("two\n"),
		"spec/products.csv": nil,
		"spec/data/x.csv":   nil,
		"spec/new.csv":      text("n\n"),
	})
	if _, changed := mustSync(t, tr); !changed {
		t.Fatal("the new commit was not seen")
	}
	check("after a checkout")
	if got := readFile(t, filepath.Join(rev.Dir, "accord.hcl")); got != "two\n" {
		t.Errorf("accord.hcl = %q", got)
	}
	if _, err := os.Stat(filepath.Join(rev.Dir, "data", "x.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data/x.csv, removed by the commit: %v", err)
	}

	// Someone edits a tracked file in the daemon's working tree; the
	// daemon restarts.
	writeFile(t, filepath.Join(rev.Dir, "accord.hcl"), "edited by hand\n")
	tr2, rev2 := track(t, o)
	if tr2.checkouts != 1 {
		t.Errorf("the first Sync after a reopen made %d checkouts, want 1", tr2.checkouts)
	}
	if got := readFile(t, filepath.Join(rev2.Dir, "accord.hcl")); got != "two\n" {
		t.Errorf("a tracked file edited by hand = %q after the first Sync, want it put back", got)
	}
	check("after a reopen")
	k.commit("three", map[string]*string{"spec/accord.hcl": text("three\n")})
	mustSync(t, tr2)
	check("after a second checkout")
}

// Path names a directory inside the repository; a commit that removes it is
// not checked out.
func TestTrackPath(t *testing.T) {
	k := newRepo(t)
	first := k.commit("spec", map[string]*string{"shops/eu/accord.hcl": text("eu\n"), "shops/us/accord.hcl": text("us\n")})
	tr, rev := track(t, TrackOptions{URL: fileURL(k.dir), Path: "shops/eu/"})
	if want := filepath.Join(tr.dir, "shops", "eu"); rev.Dir != want {
		t.Errorf("Dir = %s, want %s", rev.Dir, want)
	}
	if got := readFile(t, filepath.Join(rev.Dir, "accord.hcl")); got != "eu\n" {
		t.Errorf("accord.hcl = %q", got)
	}
	bad := k.commit("move eu away", map[string]*string{"shops/eu/accord.hcl": nil, "shops/europe/accord.hcl": text("eu\n")})
	_, _, err := tr.Sync(t.Context())
	if !errors.Is(err, ErrNoSpecDir) || !strings.Contains(err.Error(), bad[:12]) || !strings.Contains(err.Error(), "shops/eu") {
		t.Fatalf("Sync of a commit without the spec directory: %v", err)
	}
	if got := readFile(t, filepath.Join(rev.Dir, "accord.hcl")); got != "eu\n" {
		t.Errorf("the working tree moved to a commit without the spec: accord.hcl = %q", got)
	}
	if head, _ := tr.r.Head(); head.Hash().String() != first {
		t.Errorf("HEAD = %s, want %s still", head.Hash(), first)
	}

	for _, p := range []string{"../out", "/abs"} {
		if _, err := OpenTracker(t.Context(), TrackOptions{URL: k.dir, Path: p, Dir: t.TempDir()}); err == nil {
			t.Errorf("Path %q accepted", p)
		}
	}
}

// A fixed ref: a tag stays where it is when the branch moves, and is
// followed when it is moved; a commit hash, fetched whether or not the
// remote serves commits by their hash.
func TestTrackFixedRef(t *testing.T) {
	k := newRepo(t)
	v1 := k.commit("v1", map[string]*string{"accord.hcl": text("1\n")})
	if _, err := k.repo.CreateTag("v1", plumbing.NewHash(v1), &git.CreateTagOptions{Message: "release 1", Tagger: &object.Signature{Name: "Ana", Email: "ana@example.com", When: k.when}}); err != nil {
		t.Fatal(err)
	}
	tr, rev := track(t, TrackOptions{URL: fileURL(k.dir), Ref: "v1"})
	if rev.Commit != v1 {
		t.Fatalf("annotated tag v1 = %s, want %s", rev.Commit, v1)
	}
	v2 := k.commit("v2", map[string]*string{"accord.hcl": text("2\n")})
	if rev, changed := mustSync(t, tr); changed || rev.Commit != v1 {
		t.Errorf("the tag moved with the branch: %s, %v", rev.Commit, changed)
	}
	if err := k.repo.DeleteTag("v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.repo.CreateTag("v1", plumbing.NewHash(v2), nil); err != nil {
		t.Fatal(err)
	}
	if rev, changed := mustSync(t, tr); !changed || rev.Commit != v2 {
		t.Errorf("a moved tag: %s, %v; want %s", rev.Commit, changed, v2)
	}

	for _, allow := range []bool{false, true} {
		if allow {
			cfg, err := k.repo.Config()
			if err != nil {
				t.Fatal(err)
			}
			cfg.Raw.Section("uploadpack").SetOption("allowReachableSHA1InWant", "true")
			if err := k.repo.SetConfig(cfg); err != nil {
				t.Fatal(err)
			}
		}
		pin, rev := track(t, TrackOptions{URL: fileURL(k.dir), Ref: v1})
		if rev.Commit != v1 || readFile(t, filepath.Join(rev.Dir, "accord.hcl")) != "1\n" {
			t.Errorf("allowReachableSHA1InWant %v: commit %s", allow, rev.Commit)
		}
		if pin.shallow() != allow {
			t.Errorf("allowReachableSHA1InWant %v: shallow %v", allow, pin.shallow())
		}
	}

	// A shallow clone of the branch, pinned later to an older commit it
	// lacks: the remote does not serve commits by hash, so the clone is
	// deepened.
	cfg, err := k.repo.Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Raw.Section("uploadpack").RemoveOption("allowReachableSHA1InWant")
	if err := k.repo.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "repo")
	branch, _ := track(t, TrackOptions{URL: fileURL(k.dir), Branch: "main", Dir: dir})
	if !branch.shallow() || branch.has(plumbing.NewHash(v1)) {
		t.Fatal("the clone of the branch is not shallow")
	}
	if _, rev := track(t, TrackOptions{URL: fileURL(k.dir), Ref: v1, Dir: dir}); rev.Commit != v1 || readFile(t, filepath.Join(rev.Dir, "accord.hcl")) != "1\n" {
		t.Errorf("pinned to an older commit: %s", rev.Commit)
	}

	if _, err := OpenTracker(t.Context(), TrackOptions{URL: k.dir, Ref: "v1", Branch: "main", Dir: t.TempDir()}); err == nil {
		t.Error("a branch and a ref together were accepted")
	}
	if _, err := OpenTracker(t.Context(), TrackOptions{URL: k.dir, Ref: strings.Repeat("ab", 20), Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "not on any branch") {
		t.Errorf("a commit the remote lacks: %v", err)
	}
}

// A branch the remote does not have is a clear error, and leaves no half
// clone behind.
func TestTrackMissingBranch(t *testing.T) {
	k := newRepo(t)
	k.commit("one", map[string]*string{"a.hcl": text("1\n")})
	dir := filepath.Join(t.TempDir(), "repo")
	_, err := OpenTracker(t.Context(), TrackOptions{URL: fileURL(k.dir), Branch: "nope", Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "branch nope does not exist") || !strings.Contains(err.Error(), fileURL(k.dir)) {
		t.Fatalf("error = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed clone left %v", entries)
	}
	// The branch deleted after the clone.
	tr, _ := track(t, TrackOptions{URL: fileURL(k.dir), Branch: "main"})
	wt, _ := k.repo.Worktree()
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("other"), Create: true}); err != nil {
		t.Fatal(err)
	}
	if err := k.repo.Storer.RemoveReference(plumbing.NewBranchReferenceName("main")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.Sync(t.Context()); err == nil || !strings.Contains(err.Error(), "branch main does not exist") {
		t.Errorf("Sync of a deleted branch: %v", err)
	}
}

// A force-pushed branch, its history rewritten, is followed.
func TestTrackForcePush(t *testing.T) {
	k := newRepo(t)
	base := k.commit("base", map[string]*string{"a.hcl": text("base\n")})
	k.commit("wrong", map[string]*string{"a.hcl": text("wrong\n"), "wrong.csv": text("w\n")})
	tr, _ := track(t, TrackOptions{URL: fileURL(k.dir), Branch: "main"})
	wt, _ := k.repo.Worktree()
	if err := wt.Reset(&git.ResetOptions{Commit: plumbing.NewHash(base), Mode: git.HardReset}); err != nil {
		t.Fatal(err)
	}
	right := k.commit("right", map[string]*string{"a.hcl": text("right\n")})
	rev, changed := mustSync(t, tr)
	if !changed || rev.Commit != right {
		t.Fatalf("after a force push: %s, %v; want %s", rev.Commit, changed, right)
	}
	if got := readFile(t, filepath.Join(rev.Dir, "a.hcl")); got != "right\n" {
		t.Errorf("a.hcl = %q", got)
	}
	if _, err := os.Stat(filepath.Join(rev.Dir, "wrong.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("wrong.csv of the rewritten commit: %v", err)
	}
}

// A clone on disk is opened again, not cloned again: opening needs no
// remote at all; the next Sync does, and says so.
func TestTrackReopen(t *testing.T) {
	k := newRepo(t)
	first := k.commit("one", map[string]*string{"a.hcl": text("1\n")})
	dir := filepath.Join(t.TempDir(), "repo")
	o := TrackOptions{URL: fileURL(k.dir), Branch: "main", Dir: dir}
	track(t, o)
	marker := filepath.Join(dir, ".git", "accord-test-marker")
	writeFile(t, marker, "x")

	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(k.dir, moved); err != nil {
		t.Fatal(err)
	}
	tr, err := OpenTracker(t.Context(), o)
	if err != nil {
		t.Fatalf("reopen without the remote: %v", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the clone was made again: %v", err)
	}
	if _, _, err := tr.Sync(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "fetch "+fileURL(k.dir)) {
		t.Errorf("Sync without the remote: %v", err)
	}
	if err := os.Rename(moved, k.dir); err != nil {
		t.Fatal(err)
	}
	if rev, changed := mustSync(t, tr); !changed || rev.Commit != first {
		t.Errorf("Sync once the remote is back: %s, %v", rev.Commit, changed)
	}

	// Another repository's clone, or a directory with other things in it,
	// is not taken over.
	other := newRepo(t)
	other.commit("x", map[string]*string{"x": text("x\n")})
	if _, err := OpenTracker(t.Context(), TrackOptions{URL: fileURL(other.dir), Dir: dir}); err == nil || !strings.Contains(err.Error(), "holds a clone of") {
		t.Errorf("a clone of another repository: %v", err)
	}
	busy := t.TempDir()
	writeFile(t, filepath.Join(busy, "file"), "x")
	if _, err := OpenTracker(t.Context(), TrackOptions{URL: fileURL(k.dir), Dir: busy}); err == nil || !strings.Contains(err.Error(), "neither empty nor a git clone") {
		t.Errorf("a directory with files: %v", err)
	}
}

// A remote that cannot serve a shallow clone is cloned in full, and
// fetched incrementally after. go-git's own in-process server is such a
// remote (it refuses shallow requests), here behind a scheme of the test's.
func TestTrackWithoutShallow(t *testing.T) {
	client.InstallProtocol("accordtest-noshallow", noShallow{server.DefaultServer})
	k := newRepo(t)
	first := k.commit("one", map[string]*string{"a.hcl": text("1\n")})
	u := "accordtest-noshallow://" + filepath.ToSlash(filepath.Join(k.dir, ".git"))
	tr, rev := track(t, TrackOptions{URL: u, Branch: "main"})
	if rev.Commit != first || tr.shallow() {
		t.Fatalf("commit %s (want %s), shallow %v", rev.Commit, first, tr.shallow())
	}
	second := k.commit("two", map[string]*string{"a.hcl": text("2\n")})
	if rev, changed := mustSync(t, tr); !changed || rev.Commit != second || readFile(t, filepath.Join(rev.Dir, "a.hcl")) != "2\n" {
		t.Errorf("after a commit: %s, %v", rev.Commit, changed)
	}
}

// noShallow is go-git's in-process server, refusing any request with a
// depth as a server without the shallow capability would.
type noShallow struct{ transport.Transport }

func (n noShallow) NewUploadPackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.UploadPackSession, error) {
	s, err := n.Transport.NewUploadPackSession(ep, auth)
	if err != nil {
		return nil, err
	}
	return noShallowSession{s}, nil
}

type noShallowSession struct{ transport.UploadPackSession }

func (s noShallowSession) UploadPack(ctx context.Context, req *packp.UploadPackRequest) (*packp.UploadPackResponse, error) {
	if !req.Depth.IsZero() {
		return nil, errors.New("shallow not supported")
	}
	return s.UploadPackSession.UploadPack(ctx, req)
}

// A password in the URL authenticates over http and appears nowhere: not
// in the clone's configuration, not in an error. The remote is git's own
// http-backend behind basic authentication.
func TestTrackPasswordInURL(t *testing.T) {
	backend, err := exec.CommandContext(t.Context(), "git", "--exec-path").Output()
	if err != nil {
		t.Skipf("no git to serve http: %v", err)
	}
	k := newRepo(t)
	first := k.commit("one", map[string]*string{"a.hcl": text("1\n")})
	const password = "s3cr/t+pw" //nolint:gosec // G101: the test's own, for a server it starts
	cgiHandler := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(backend)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(k.dir), "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pw, ok := r.BasicAuth(); !ok || user != "ana" || pw != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	remote := strings.Replace(srv.URL, "http://", "http://ana:"+url.PathEscape(password)+"@", 1) + "/" + filepath.Base(k.dir) + "/.git"
	if !strings.Contains(remote, "%2F") {
		t.Fatalf("the password is not escaped in %s", remote)
	}

	tr, rev := track(t, TrackOptions{URL: remote, Branch: "main"})
	if rev.Commit != first {
		t.Fatalf("commit %s, want %s", rev.Commit, first)
	}
	cfg := readFile(t, filepath.Join(tr.dir, ".git", "config"))
	if strings.Contains(cfg, "s3cr") || !strings.Contains(cfg, "ana@") {
		t.Errorf("the clone's configuration:\n%s", cfg)
	}
	leaks := func(err error) bool {
		return err == nil || strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "%2F")
	}
	if _, err := OpenTracker(t.Context(), TrackOptions{URL: remote, Branch: "nope", Dir: t.TempDir()}); leaks(err) {
		t.Errorf("a missing branch: %v", err)
	}
	wrong := strings.Replace(remote, url.PathEscape(password), "wr0ng", 1)
	if _, err := OpenTracker(t.Context(), TrackOptions{URL: wrong, Dir: t.TempDir()}); err == nil || strings.Contains(err.Error(), "wr0ng") || !errors.Is(err, transport.ErrAuthenticationRequired) {
		t.Errorf("a wrong password: %v", err)
	}
	if _, err := OpenTracker(t.Context(), TrackOptions{URL: remote, Branch: "main", Path: "nowhere", Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	nowhere, err := OpenTracker(t.Context(), TrackOptions{URL: remote, Branch: "main", Path: "nowhere", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := nowhere.Sync(t.Context()); !errors.Is(err, ErrNoSpecDir) || leaks(err) {
		t.Errorf("a commit without the spec directory: %v", err)
	}
}

// BenchmarkSyncUnchanged is the cost of a Sync that finds nothing new,
// which the daemon pays at every poll: a fetch that asks the remote for its
// references and finds the commit it has, and no checkout.
func BenchmarkSyncUnchanged(b *testing.B) {
	dir := b.TempDir()
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		b.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		name := filepath.Join("spec", "data", strconv.Itoa(i)+".csv")
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o750); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("sku,qty\n", 100)), 0o600); err != nil {
			b.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := wt.Commit("spec", &git.CommitOptions{Author: &object.Signature{Name: "Ana", Email: "ana@example.com", When: time.Now()}}); err != nil {
		b.Fatal(err)
	}
	for _, remote := range []struct{ name, url string }{{"file-url", fileURL(dir)}, {"path", dir}} {
		b.Run(remote.name, func(b *testing.B) {
			tr, err := OpenTracker(b.Context(), TrackOptions{URL: remote.url, Branch: "main", Path: "spec", Dir: filepath.Join(b.TempDir(), "repo")})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := tr.Sync(b.Context()); err != nil {
				b.Fatal(err)
			}
			checkouts := tr.checkouts
			for b.Loop() {
				if _, changed, err := tr.Sync(b.Context()); err != nil || changed {
					b.Fatalf("Sync = changed %v, %v", changed, err)
				}
			}
			if tr.checkouts != checkouts {
				b.Fatalf("%d checkouts by Syncs that found nothing new", tr.checkouts-checkouts)
			}
		})
	}
}
