// Package source is where a spec comes from: a git repository, read at any
// revision straight from its objects (no checkout, so a working tree is
// never touched), or the working tree itself. accord diff reads two
// revisions of a spec through it; the daemon follows a branch through it.
//
// It reads through go-git. A revision is anything git's rev-parse takes
// that go-git resolves: a branch, a tag, a commit hash (abbreviated too),
// HEAD~2, main^.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is a git repository on disk.
type Repo struct {
	r *git.Repository
	// root is the working tree's directory ("" for a bare repository).
	root string
}

// Open opens the repository that holds path (path itself or a parent).
func Open(path string) (*Repo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	r, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("open the git repository of %s: %w", path, err)
	}
	repo := &Repo{r: r}
	if wt, err := r.Worktree(); err == nil {
		repo.root = wt.Filesystem.Root()
	}
	return repo, nil
}

// Root is the working tree's directory.
func (r *Repo) Root() string { return r.root }

// Rel is dir's path inside the repository, with forward slashes ("." for
// the root).
func (r *Repo) Rel(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	// The working tree may be reached through a symbolic link.
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	root := r.root
	if resolved, err := filepath.EvalSymlinks(root); err == nil {
		root = resolved
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is not inside the git repository at %s", dir, r.root)
	}
	return filepath.ToSlash(rel), nil
}

// Commit is one commit: what accord records of it, and its tree.
type Commit struct {
	Hash    string
	Author  string
	Message string
	When    time.Time
	c       *object.Commit
}

// Short is the commit's hash cut to 12 characters.
func (c *Commit) Short() string {
	if len(c.Hash) > 12 {
		return c.Hash[:12]
	}
	return c.Hash
}

// Subject is the first line of the commit's message.
func (c *Commit) Subject() string {
	subject, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
	return subject
}

func commitOf(c *object.Commit) *Commit {
	return &Commit{Hash: c.Hash.String(), Author: c.Author.Name, Message: c.Message, When: c.Author.When, c: c}
}

// Resolve finds the commit a revision names.
func (r *Repo) Resolve(rev string) (*Commit, error) {
	h, err := r.r.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", rev, err)
	}
	c, err := r.r.CommitObject(*h)
	if err != nil {
		return nil, fmt.Errorf("revision %q: %w", rev, err)
	}
	return commitOf(c), nil
}

// MergeBase is the best common ancestor of two commits: where a branch
// left the one it will be merged into.
func (r *Repo) MergeBase(a, b *Commit) (*Commit, error) {
	bases, err := a.c.MergeBase(b.c)
	if err != nil {
		return nil, fmt.Errorf("merge base of %s and %s: %w", a.Short(), b.Short(), err)
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("%s and %s have no common ancestor", a.Short(), b.Short())
	}
	return commitOf(bases[0]), nil
}

// DefaultBranch is the branch pull requests merge into: the remote's HEAD
// when the clone recorded it (origin/HEAD), else main or master, local or
// remote, whichever exists.
func (r *Repo) DefaultBranch() (string, error) {
	if ref, err := r.r.Reference(plumbing.NewRemoteHEADReferenceName("origin"), false); err == nil && ref.Type() == plumbing.SymbolicReference {
		return strings.TrimPrefix(ref.Target().String(), "refs/remotes/"), nil
	}
	for _, name := range []string{"main", "master", "origin/main", "origin/master"} {
		if _, err := r.r.ResolveRevision(plumbing.Revision(name)); err == nil {
			return name, nil
		}
	}
	return "", errors.New("no default branch: neither origin/HEAD, main nor master exists; name the base with --base")
}

// FS is the directory dir (forward slashes, "." for the root) of the
// commit's tree, read-only.
func (c *Commit) FS(dir string) (fs.FS, error) {
	tree, err := c.c.Tree()
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", c.Short(), err)
	}
	if dir = path.Clean(dir); dir != "." {
		if tree, err = tree.Tree(dir); err != nil {
			return nil, fmt.Errorf("commit %s has no directory %s: %w", c.Short(), dir, err)
		}
	}
	return &treeFS{tree: tree}, nil
}

// Has reports whether the commit's tree has the directory dir.
func (c *Commit) Has(dir string) bool {
	_, err := c.FS(dir)
	return err == nil
}

// treeFS is a git tree as an fs.FS. It is read-only and reads each blob
// when it is opened.
type treeFS struct {
	tree *object.Tree
}

var (
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.ReadDirFS  = (*treeFS)(nil)
)

func (t *treeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &treeDir{fsys: t, name: ".", tree: t.tree}, nil
	}
	entry, err := t.tree.FindEntry(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if entry.Mode == filemode.Dir {
		sub, err := t.tree.Tree(name)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &treeDir{fsys: t, name: name, tree: sub}, nil
	}
	f, err := t.tree.File(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	rc, err := f.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &treeFile{rc: rc, info: entryInfo{name: path.Base(name), size: f.Size, mode: entry.Mode}}, nil
}

func (t *treeFS) ReadFile(name string) ([]byte, error) {
	f, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // a blob reader: Close cannot lose data
	if _, ok := f.(*treeDir); ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	return io.ReadAll(f)
}

func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	d, ok := f.(*treeDir)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return d.ReadDir(-1)
}

// treeFile is an open blob.
type treeFile struct {
	rc   io.ReadCloser
	info entryInfo
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *treeFile) Read(b []byte) (int, error) { return f.rc.Read(b) }
func (f *treeFile) Close() error               { return f.rc.Close() }

// treeDir is an open tree.
type treeDir struct {
	fsys    *treeFS
	name    string
	tree    *object.Tree
	entries []fs.DirEntry // read on the first ReadDir
	listed  bool
	offset  int
}

func (d *treeDir) Stat() (fs.FileInfo, error) {
	return entryInfo{name: path.Base(d.name), mode: filemode.Dir}, nil
}

func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}

func (d *treeDir) Close() error { return nil }

// ReadDir returns the tree's entries sorted by name, n at a time (n <= 0:
// all that are left), as fs.ReadDirFile says.
func (d *treeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.listed {
		d.listed = true
		d.entries = make([]fs.DirEntry, 0, len(d.tree.Entries))
		for _, e := range d.tree.Entries {
			info := entryInfo{name: e.Name, mode: e.Mode}
			if e.Mode != filemode.Dir {
				if f, err := d.tree.TreeEntryFile(&e); err == nil {
					info.size = f.Size
				}
			}
			d.entries = append(d.entries, fs.FileInfoToDirEntry(info))
		}
		sort.Slice(d.entries, func(i, j int) bool { return d.entries[i].Name() < d.entries[j].Name() })
	}
	left := d.entries[d.offset:]
	if n <= 0 {
		d.offset = len(d.entries)
		return left, nil
	}
	if len(left) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(left))
	d.offset += n
	return left[:n], nil
}

// entryInfo is a tree entry as fs.FileInfo.
type entryInfo struct {
	name string
	size int64
	mode filemode.FileMode
}

func (i entryInfo) Name() string { return i.name }
func (i entryInfo) Size() int64  { return i.size }
func (i entryInfo) Mode() fs.FileMode {
	if i.mode == filemode.Dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i entryInfo) ModTime() time.Time { return time.Time{} }
func (i entryInfo) IsDir() bool        { return i.mode == filemode.Dir }
func (i entryInfo) Sys() any           { return nil }

// WorkingTree is the working tree's directory dir as an fs.FS: the spec as
// it is on disk now, committed or not.
func WorkingTree(dir string) fs.FS { return os.DirFS(dir) }

// Mirror is a bare clone of a remote repository kept on disk (never in
// memory: a clone held in memory costs many times the repository's size),
// fetched again on demand.
type Mirror struct {
	Repo
	url string
}

// OpenMirror opens the mirror of url in dir, cloning it there the first
// time. url is anything go-git clones: https://, ssh://, file:// or a local
// path.
func OpenMirror(ctx context.Context, dir, url string) (*Mirror, error) {
	r, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.PlainCloneContext(ctx, dir, true, &git.CloneOptions{URL: url, Tags: git.AllTags})
		if err != nil {
			_ = os.RemoveAll(dir) // a half-made clone would be mistaken for one later
			return nil, fmt.Errorf("clone %s: %w", url, err)
		}
		return &Mirror{Repo: Repo{r: r}, url: url}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open the mirror of %s in %s: %w", url, dir, err)
	}
	return &Mirror{Repo: Repo{r: r}, url: url}, nil
}

// Fetch brings the mirror up to date with its remote: branches and tags,
// moved tags included.
func (m *Mirror) Fetch(ctx context.Context) error {
	err := m.r.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
		Tags:     git.AllTags,
		Force:    true,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetch %s: %w", m.url, err)
	}
	return nil
}
