package source

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// OpenDir opens the repository in dir exactly (a bare repository or a
// working tree's root), without looking in parent directories.
func OpenDir(dir string) (*Repo, error) {
	r, err := git.PlainOpen(dir)
	if err != nil {
		return nil, fmt.Errorf("open the git repository in %s: %w", dir, err)
	}
	repo := &Repo{r: r}
	if wt, err := r.Worktree(); err == nil {
		repo.root = wt.Filesystem.Root()
	}
	return repo, nil
}

// Commits is the trees of every commit of some repositories as one
// read-only fs.FS: "HASH/dir/file" is dir/file in commit HASH (a full,
// 40-digit hash), whichever repository holds it. The top level lists
// nothing, since commits cannot be listed cheaply. accord reads the
// campaigns a spec imports through it, at the commits its lock file names.
func Commits(repos ...*Repo) fs.FS {
	return &commitsFS{repos: repos, trees: map[string]*treeFS{}}
}

type commitsFS struct {
	repos []*Repo
	mu    sync.Mutex
	trees map[string]*treeFS
}

func (c *commitsFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &emptyDir{}, nil
	}
	hash, rest, _ := strings.Cut(name, "/")
	if rest == "" {
		rest = "."
	}
	t, err := c.tree(hash)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := t.Open(rest)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.Unwrap(err)}
	}
	return f, nil
}

// tree finds the commit's tree in one of the repositories.
func (c *commitsFS) tree(hash string) (*treeFS, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.trees[hash]; ok {
		return t, nil
	}
	if len(hash) != 40 || strings.Trim(strings.ToLower(hash), "0123456789abcdef") != "" {
		return nil, fs.ErrNotExist
	}
	for _, r := range c.repos {
		commit, err := r.r.CommitObject(plumbing.NewHash(hash))
		if err != nil {
			continue
		}
		tree, err := commit.Tree()
		if err != nil {
			return nil, fmt.Errorf("commit %.12s: %w", hash, err)
		}
		t := &treeFS{tree: tree}
		c.trees[hash] = t
		return t, nil
	}
	return nil, fs.ErrNotExist
}

// emptyDir is the top level of a Commits file system.
type emptyDir struct{}

func (emptyDir) Stat() (fs.FileInfo, error) { return rootInfo{}, nil }
func (emptyDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: errors.New("is a directory")}
}
func (emptyDir) Close() error                       { return nil }
func (emptyDir) ReadDir(int) ([]fs.DirEntry, error) { return nil, nil }

type rootInfo struct{}

func (rootInfo) Name() string       { return "." }
func (rootInfo) Size() int64        { return 0 }
func (rootInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (rootInfo) ModTime() time.Time { return time.Time{} }
func (rootInfo) IsDir() bool        { return true }
func (rootInfo) Sys() any           { return nil }
