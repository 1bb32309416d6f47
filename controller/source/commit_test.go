package source

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// TestCommitOnBranch commits an edited file and a new one on a new branch
// and checks that the branch holds them on top of HEAD while the checkout
// (HEAD, index, working tree, an uncommitted edit) is left as it was.
func TestCommitOnBranch(t *testing.T) {
	k := newRepo(t)
	k.commit("Add the spec", map[string]*string{
		"spec/accord.hcl":   text("channel \"shop\" {}\n"),
		"spec/products.csv": text("sku,price\nA,10\n"),
		"other/notes.txt":   text("keep\n"),
	})
	// Someone is in the middle of something else.
	dirty := filepath.Join(k.dir, "other", "notes.txt")
	if err := os.WriteFile(dirty, []byte("half done\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(filepath.Join(k.dir, "spec"))
	if err != nil {
		t.Fatal(err)
	}
	head, branch, err := r.Head()
	if err != nil || branch != "main" {
		t.Fatalf("Head = %v, %q, %v", head, branch, err)
	}
	statusBefore := status(t, k.repo)
	when := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	c, err := r.CommitOnBranch(NewCommit{
		Branch: "accord/adopt-3-A",
		Parent: head,
		Files: map[string][]byte{
			"spec/accord.hcl":       []byte("channel \"shop\" {}\n# adopted\n"),
			"spec/sub/new.hcl":      []byte("# new\n"),
			"spec/products.csv.bak": []byte("x\n"),
		},
		Message: "Adopt A\n\nBecause.\n",
		Author:  Signature{Name: "Ana Ops", Email: "ana@example.com", When: when},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject() != "Adopt A" || c.Author != "Ana Ops" || !c.When.Equal(when) {
		t.Errorf("commit %+v", c)
	}
	onBranch, err := r.Resolve("accord/adopt-3-A")
	if err != nil || onBranch.Hash != c.Hash {
		t.Fatalf("the branch is at %v (%v), want %s", onBranch, err, c.Hash)
	}
	if got, err := r.Resolve("accord/adopt-3-A~1"); err != nil || got.Hash != head.Hash {
		t.Errorf("the commit's parent is %v (%v), want HEAD %s", got, err, head.Hash)
	}
	fsys, err := c.FS("spec")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"accord.hcl":       "channel \"shop\" {}\n# adopted\n",
		"products.csv":     "sku,price\nA,10\n",
		"sub/new.hcl":      "# new\n",
		"products.csv.bak": "x\n",
	} {
		if b, err := fs.ReadFile(fsys, name); err != nil || string(b) != want {
			t.Errorf("%s on the branch = %q, %v; want %q", name, b, err, want)
		}
	}
	if other, _ := c.FS("other"); other != nil {
		if b, _ := fs.ReadFile(other, "notes.txt"); string(b) != "keep\n" {
			t.Errorf("other/notes.txt on the branch = %q: an uncommitted edit went in", b)
		}
	}
	// The checkout has not moved.
	if now, branch, err := r.Head(); err != nil || now.Hash != head.Hash || branch != "main" {
		t.Errorf("HEAD is now %v on %q (%v)", now, branch, err)
	}
	if b, _ := os.ReadFile(filepath.Join(k.dir, "spec", "accord.hcl")); string(b) != "channel \"shop\" {}\n" {
		t.Errorf("the working tree's accord.hcl is now %q", b)
	}
	if after := status(t, k.repo); after != statusBefore {
		t.Errorf("git status moved from\n%s\nto\n%s", statusBefore, after)
	}
	// git itself finds the objects sound.
	if gitBin, err := exec.LookPath("git"); err == nil {
		out, err := exec.CommandContext(t.Context(), gitBin, "-C", k.dir, "fsck", "--strict").CombinedOutput() //nolint:gosec // the test's own repository
		if err != nil {
			t.Errorf("git fsck: %v\n%s", err, out)
		}
	}

	_, err = r.CommitOnBranch(NewCommit{Branch: "accord/adopt-3-A", Parent: head, Files: map[string][]byte{"spec/accord.hcl": []byte("x\n")}})
	if !errors.Is(err, ErrBranchExists) {
		t.Errorf("a second commit on the branch: %v, want ErrBranchExists", err)
	}
	_, err = r.CommitOnBranch(NewCommit{Branch: "accord/same", Parent: head, Files: map[string][]byte{"spec/accord.hcl": []byte("channel \"shop\" {}\n")}})
	if err == nil || !strings.Contains(err.Error(), "nothing to commit") || r.HasBranch("accord/same") {
		t.Errorf("a commit that changes nothing: %v", err)
	}
	for _, bad := range []string{"accord/adopt..x", "accord/a b", "accord/x.lock"} {
		if _, err := r.CommitOnBranch(NewCommit{Branch: bad, Parent: head, Files: map[string][]byte{"spec/accord.hcl": []byte("y\n")}}); !errors.Is(err, plumbing.ErrInvalidReferenceName) {
			t.Errorf("branch %q: %v, want ErrInvalidReferenceName", bad, err)
		}
	}
	if _, err := r.CommitOnBranch(NewCommit{Branch: "accord/up", Parent: head, Files: map[string][]byte{"../x": []byte("y\n")}}); err == nil {
		t.Error("a file outside the repository was committed")
	}
}

func status(t *testing.T, repo *git.Repository) string {
	t.Helper()
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	st, err := wt.Status()
	if err != nil {
		t.Fatal(err)
	}
	return st.String()
}

func TestUnchanged(t *testing.T) {
	k := newRepo(t)
	k.commit("Add", map[string]*string{"spec/accord.hcl": text("a\n"), "spec/pricing.hcl": text("p\n")})
	if err := os.WriteFile(filepath.Join(k.dir, "spec", "pricing.hcl"), []byte("p edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(k.dir, "spec", "new.hcl"), []byte("n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(k.dir)
	if err != nil {
		t.Fatal(err)
	}
	head, _, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		want bool
	}{
		{"spec/accord.hcl", true},
		{"spec/pricing.hcl", false}, // edited
		{"spec/new.hcl", false},     // not committed
		{"spec/gone.hcl", false},    // nowhere
	} {
		if got, err := r.Unchanged(head, tt.name); err != nil || got != tt.want {
			t.Errorf("Unchanged(%s) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestIdentity(t *testing.T) {
	k := newRepo(t)
	k.commit("Add", map[string]*string{"a": text("a\n")})
	r, err := Open(k.dir)
	if err != nil {
		t.Fatal(err)
	}
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	name, email, err := r.Identity(env(map[string]string{"GIT_AUTHOR_NAME": "Env Person", "GIT_AUTHOR_EMAIL": "env@example.com"}))
	if err != nil || name != "Env Person" || email != "env@example.com" {
		t.Errorf("from the environment: %q %q %v", name, email, err)
	}
	cfg, err := k.repo.Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.User.Name, cfg.User.Email = "Repo Person", "repo@example.com"
	if err := k.repo.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	name, email, err = r.Identity(env(map[string]string{"GIT_AUTHOR_NAME": "Env Person"}))
	if err != nil || name != "Env Person" || email != "repo@example.com" {
		t.Errorf("the environment over the configuration: %q %q %v", name, email, err)
	}
	name, email, err = r.Identity(env(nil))
	if err != nil || name != "Repo Person" || email != "repo@example.com" {
		t.Errorf("from the repository's configuration: %q %q %v", name, email, err)
	}
}
