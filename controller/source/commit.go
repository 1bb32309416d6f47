package source

import (
	"bytes"
	"errors"
	"fmt"
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

// ErrBranchExists is returned by CommitOnBranch when the branch is there
// already.
var ErrBranchExists = errors.New("the branch exists already")

// ErrNoIdentity is returned by Identity when neither the environment nor
// git's configuration says who commits.
var ErrNoIdentity = errors.New("git does not know who you are: set user.name and user.email (git config user.name \"Ana Ops\"; git config user.email ana@example.com)")

// Signature is who made a commit, and when.
type Signature struct {
	Name, Email string
	When        time.Time
}

// NewCommit is a commit to make on a new branch.
type NewCommit struct {
	// Branch is the new branch's short name ("accord/adopt-3-A-1").
	Branch string
	// Parent is the commit the branch starts from.
	Parent *Commit
	// Files holds the new content of each file changed, by its path in the
	// repository (forward slashes). A file that Parent lacks is added as a
	// regular file; one it has keeps its mode.
	Files   map[string][]byte
	Message string
	Author  Signature
}

// Head is the commit HEAD points at, and the branch checked out ("" when
// HEAD is detached).
func (r *Repo) Head() (*Commit, string, error) {
	ref, err := r.r.Head()
	if err != nil {
		return nil, "", fmt.Errorf("read HEAD: %w", err)
	}
	c, err := r.r.CommitObject(ref.Hash())
	if err != nil {
		return nil, "", fmt.Errorf("read HEAD's commit: %w", err)
	}
	branch := ""
	if ref.Name().IsBranch() {
		branch = ref.Name().Short()
	}
	return commitOf(c), branch, nil
}

// HasBranch reports whether a local branch of that short name exists.
func (r *Repo) HasBranch(name string) bool {
	_, err := r.r.Reference(plumbing.NewBranchReferenceName(name), false)
	return err == nil
}

// CommitOnBranch makes c's commit on top of c.Parent and points a new
// branch at it. It writes git objects and that one reference, nothing
// else: the working tree, the index and HEAD stay as they are, so whoever
// works in the checkout does not see it move. It refuses a branch that
// exists (ErrBranchExists) and a commit that would change nothing.
func (r *Repo) CommitOnBranch(c NewCommit) (*Commit, error) {
	ref := plumbing.NewBranchReferenceName(c.Branch)
	if err := ref.Validate(); err != nil {
		return nil, fmt.Errorf("branch %q: %w", c.Branch, err)
	}
	if r.HasBranch(c.Branch) {
		return nil, fmt.Errorf("branch %s: %w", c.Branch, ErrBranchExists)
	}
	if c.Parent == nil || c.Parent.c == nil {
		return nil, errors.New("commit: no parent commit")
	}
	tree, err := c.Parent.c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read the tree of %s: %w", c.Parent.Short(), err)
	}
	root := tree.Hash
	names := make([]string, 0, len(c.Files))
	for name := range c.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		clean := path.Clean(name)
		if clean == "." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
			return nil, fmt.Errorf("commit: %q is not a path inside the repository", name)
		}
		blob, err := r.writeBlob(c.Files[name])
		if err != nil {
			return nil, err
		}
		if root, err = r.replace(root, strings.Split(clean, "/"), blob); err != nil {
			return nil, fmt.Errorf("commit %s: %w", name, err)
		}
	}
	if root == tree.Hash {
		return nil, errors.New("commit: the files are as the parent has them; there is nothing to commit")
	}
	sig := object.Signature{Name: c.Author.Name, Email: c.Author.Email, When: c.Author.When}
	commit := &object.Commit{
		Author:       sig,
		Committer:    sig,
		Message:      c.Message,
		TreeHash:     root,
		ParentHashes: []plumbing.Hash{c.Parent.c.Hash},
	}
	obj := r.r.Storer.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	hash, err := r.r.Storer.SetEncodedObject(obj)
	if err != nil {
		return nil, fmt.Errorf("commit: write: %w", err)
	}
	// Set the branch only where there is none: another process may have
	// made one of that name since the check above.
	if err := r.r.Storer.CheckAndSetReference(plumbing.NewHashReference(ref, hash), nil); err != nil {
		return nil, fmt.Errorf("branch %s: %w", c.Branch, err)
	}
	made, err := r.r.CommitObject(hash)
	if err != nil {
		return nil, fmt.Errorf("commit: read back: %w", err)
	}
	return commitOf(made), nil
}

func (r *Repo) writeBlob(data []byte) (plumbing.Hash, error) {
	obj := r.r.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := r.r.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	return h, nil
}

// replace writes the tree that is treeHash (zero: an empty tree) with the
// file at parts set to blob, and every tree on the way to it, and returns
// the new tree's hash.
func (r *Repo) replace(treeHash plumbing.Hash, parts []string, blob plumbing.Hash) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !treeHash.IsZero() {
		t, err := r.r.TreeObject(treeHash)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, t.Entries...)
	}
	i := -1
	for j, e := range entries {
		if e.Name == parts[0] {
			i = j
		}
	}
	if len(parts) == 1 {
		switch {
		case i < 0:
			entries = append(entries, object.TreeEntry{Name: parts[0], Mode: filemode.Regular, Hash: blob})
		case entries[i].Mode == filemode.Dir || entries[i].Mode == filemode.Submodule:
			return plumbing.ZeroHash, fmt.Errorf("%s is a directory", parts[0])
		default:
			entries[i].Hash = blob
		}
	} else {
		sub := plumbing.ZeroHash
		if i >= 0 {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%s is not a directory", parts[0])
			}
			sub = entries[i].Hash
		}
		h, err := r.replace(sub, parts[1:], blob)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if i < 0 {
			entries = append(entries, object.TreeEntry{Name: parts[0], Mode: filemode.Dir, Hash: h})
		} else {
			entries[i].Hash = h
		}
	}
	sort.Sort(object.TreeEntrySorter(entries))
	t := &object.Tree{Entries: entries}
	obj := r.r.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return r.r.Storer.SetEncodedObject(obj)
}

// Unchanged reports whether the working tree's file at name (a path in
// the repository, forward slashes) is byte for byte what the commit has:
// false when either lacks it or they differ.
func (r *Repo) Unchanged(c *Commit, name string) (bool, error) {
	if r.root == "" {
		return false, errors.New("the repository has no working tree")
	}
	tree, err := c.c.Tree()
	if err != nil {
		return false, err
	}
	f, err := tree.File(name)
	if errors.Is(err, object.ErrFileNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	committed, err := f.Contents()
	if err != nil {
		return false, err
	}
	onDisk, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(name)))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return bytes.Equal(onDisk, []byte(committed)), nil
}

// Identity is who commits, as git would say: GIT_AUTHOR_NAME and
// GIT_AUTHOR_EMAIL from lookupEnv, else user.name and user.email from the
// repository's configuration, the user's and the system's. Without a name
// and an email it returns ErrNoIdentity.
func (r *Repo) Identity(lookupEnv func(string) (string, bool)) (name, email string, err error) {
	if lookupEnv != nil {
		name, _ = lookupEnv("GIT_AUTHOR_NAME")
		email, _ = lookupEnv("GIT_AUTHOR_EMAIL")
	}
	if name == "" || email == "" {
		cfg, err := r.r.ConfigScoped(config.SystemScope)
		if err != nil {
			return "", "", fmt.Errorf("read git's configuration: %w", err)
		}
		if name == "" {
			name = cfg.User.Name
		}
		if email == "" {
			email = cfg.User.Email
		}
	}
	if name == "" || email == "" {
		return "", "", ErrNoIdentity
	}
	return name, email, nil
}

// ErrNoRepository is wrapped by Open's error when no git repository holds
// the path.
var ErrNoRepository = git.ErrRepositoryNotExists
