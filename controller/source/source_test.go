package source

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// repoKit is a real git repository in a temporary directory.
type repoKit struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	when time.Time
}

func newRepo(t *testing.T) *repoKit {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	return &repoKit{t: t, dir: dir, repo: r, when: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
}

// commit writes files (a nil content removes the file) and commits them.
func (k *repoKit) commit(msg string, files map[string]*string) string {
	k.t.Helper()
	wt, err := k.repo.Worktree()
	if err != nil {
		k.t.Fatal(err)
	}
	for name, data := range files {
		path := filepath.Join(k.dir, name)
		if data == nil {
			if _, err := wt.Remove(name); err != nil {
				k.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			k.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(*data), 0o600); err != nil {
			k.t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			k.t.Fatal(err)
		}
	}
	k.when = k.when.Add(time.Hour)
	h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "Ana Ops", Email: "ana@example.com", When: k.when}})
	if err != nil {
		k.t.Fatal(err)
	}
	return h.String()
}

func text(s string) *string { return &s }

func TestReadAtRevisions(t *testing.T) {
	k := newRepo(t)
	first := k.commit("Add the spec", map[string]*string{
		"README":              text("top\n"),
		"spec/accord.hcl":     text("channel \"shop\" {}\n"),
		"spec/products.csv":   text("sku,price\nA,10\n"),
		"spec/data/extra.csv": text("x\n"),
		"other/unrelated.txt": text("no\n"),
	})
	k.commit("Raise A\n\nThe brand asked.", map[string]*string{
		"spec/products.csv":   text("sku,price\nA,12\n"),
		"spec/data/extra.csv": nil,
	})
	r, err := Open(filepath.Join(k.dir, "spec"))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := r.Rel(filepath.Join(k.dir, "spec"))
	if err != nil || rel != "spec" {
		t.Fatalf("Rel = %q, %v", rel, err)
	}
	head, err := r.Resolve("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if head.Subject() != "Raise A" || head.Author != "Ana Ops" || len(head.Short()) != 12 {
		t.Errorf("head %+v", head)
	}
	prev, err := r.Resolve("HEAD~1")
	if err != nil || prev.Hash != first {
		t.Fatalf("HEAD~1 = %v, %v; want %s", prev, err, first)
	}
	for _, tt := range []struct {
		c     *Commit
		price string
		files []string
	}{
		{prev, "sku,price\nA,10\n", []string{"accord.hcl", "data/extra.csv", "products.csv"}},
		{head, "sku,price\nA,12\n", []string{"accord.hcl", "products.csv"}},
	} {
		fsys, err := tt.c.FS(rel)
		if err != nil {
			t.Fatal(err)
		}
		// The standard library's own check of an fs.FS implementation.
		if err := fstest.TestFS(fsys, tt.files...); err != nil {
			t.Errorf("commit %s: %v", tt.c.Short(), err)
		}
		b, err := fs.ReadFile(fsys, "products.csv")
		if err != nil || string(b) != tt.price {
			t.Errorf("commit %s: products.csv = %q, %v", tt.c.Short(), b, err)
		}
	}
	if _, err := r.Resolve("no-such-branch"); err == nil {
		t.Error("an unknown revision resolved")
	}
	if _, err := head.FS("nowhere"); err == nil || head.Has("nowhere") || !head.Has("spec") {
		t.Error("a directory the commit lacks opened")
	}
	if _, err := r.Rel(t.TempDir()); err == nil {
		t.Error("a directory outside the repository has a path in it")
	}
}

func TestMergeBaseAndDefaultBranch(t *testing.T) {
	k := newRepo(t)
	base := k.commit("Base", map[string]*string{"spec/accord.hcl": text("a\n")})
	wt, err := k.repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("feature"), Create: true}); err != nil {
		t.Fatal(err)
	}
	k.commit("Feature", map[string]*string{"spec/accord.hcl": text("b\n")})
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("main")}); err != nil {
		t.Fatal(err)
	}
	k.commit("Main moves on", map[string]*string{"spec/other.hcl": text("c\n")})

	r, err := Open(k.dir)
	if err != nil {
		t.Fatal(err)
	}
	def, err := r.DefaultBranch()
	if err != nil || def != "main" {
		t.Fatalf("DefaultBranch = %q, %v", def, err)
	}
	feature, _ := r.Resolve("feature")
	main, _ := r.Resolve(def)
	mb, err := r.MergeBase(feature, main)
	if err != nil || mb.Hash != base {
		t.Errorf("merge base = %v, %v; want %s", mb, err, base)
	}
}

// A mirror of a local repository, made with go-git alone: cloned once onto
// disk, fetched again when the remote moves, a tag read at its commit.
func TestMirror(t *testing.T) {
	k := newRepo(t)
	k.commit("v1", map[string]*string{"holiday/campaign.hcl": text("one\n")})
	head, _ := k.repo.Head()
	if _, err := k.repo.CreateTag("v1", head.Hash(), nil); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "mirror")
	m, err := OpenMirror(ctx, dir, k.dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Resolve("v1")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := c.FS("holiday")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "campaign.hcl"); err != nil || string(b) != "one\n" {
		t.Fatalf("campaign.hcl at v1 = %q, %v", b, err)
	}
	k.commit("v2", map[string]*string{"holiday/campaign.hcl": text("two\n")})
	head, _ = k.repo.Head()
	if _, err := k.repo.CreateTag("v2", head.Hash(), nil); err != nil {
		t.Fatal(err)
	}
	again, err := OpenMirror(ctx, dir, k.dir) // the clone on disk, not a new one
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Resolve("v2"); err == nil {
		t.Fatal("v2 resolved before the mirror was fetched")
	}
	if err := again.Fetch(ctx); err != nil {
		t.Fatal(err)
	}
	c2, err := again.Resolve("v2")
	if err != nil || c2.Hash == c.Hash {
		t.Fatalf("v2 after fetch = %v, %v", c2, err)
	}
	if err := again.Fetch(ctx); err != nil {
		t.Errorf("a fetch with nothing new: %v", err)
	}
}

// Commits reads any commit of several repositories by its hash, and only
// by a full one.
func TestCommits(t *testing.T) {
	a, b := newRepo(t), newRepo(t)
	a.commit("a", map[string]*string{"holiday/campaign.hcl": text("a\n"), "holiday/notes/x.txt": text("x\n")})
	ha, _ := a.repo.Head()
	b.commit("b", map[string]*string{"summer/campaign.hcl": text("b\n")})
	hb, _ := b.repo.Head()
	ra, err := OpenDir(a.dir)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := OpenDir(b.dir)
	if err != nil {
		t.Fatal(err)
	}
	fsys := Commits(ra, rb)
	sub, err := fs.Sub(fsys, ha.Hash().String()+"/holiday")
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(sub, "campaign.hcl", "notes/x.txt"); err != nil {
		t.Error(err)
	}
	if got, err := fs.ReadFile(fsys, hb.Hash().String()+"/summer/campaign.hcl"); err != nil || string(got) != "b\n" {
		t.Errorf("summer/campaign.hcl = %q, %v", got, err)
	}
	for _, name := range []string{ha.Hash().String()[:12] + "/holiday/campaign.hcl", strings.Repeat("0", 40) + "/holiday/campaign.hcl", ha.Hash().String() + "/nothing"} {
		if _, err := fs.Stat(fsys, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%s) = %v, want not exist", name, err)
		}
	}
}
