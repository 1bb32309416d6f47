// Package edit changes a spec's files as a person would: one block or one
// attribute at a time, in the file that holds the block it adds to, with
// everything else in that file left byte for byte as it was written
// (comments, layout, the order of blocks). What it writes is laid out as
// `accord fmt` lays it out.
//
// Keep is what `accord exceptions adopt` stands on: it turns a drifted value
// the team wants to keep into the spec, then loads and derives the edited
// spec to check that it now gives that value, and that it changes nothing
// else about the listing. edit reads and returns file contents; writing
// them to disk or committing them is the caller's.
package edit

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// File is one spec file's new content.
type File struct {
	// Name is the file's path relative to the spec directory, with
	// forward slashes.
	Name string
	// Display is the file's name as diagnostics show it (the spec
	// directory joined with Name).
	Display string
	// Before and After are the file's content before and after the edit.
	Before, After []byte
	// Line is the first line of what the edit wrote, in After.
	Line int
	// What says what the edit wrote, in a person's words:
	// `an override of A-1 on market in price matrix "default"`.
	What string
}

// Overlay is fsys with one file's content replaced (or added): a spec
// directory as it would be after an edit, read without writing anything.
// name is a path relative to fsys's root, with forward slashes.
func Overlay(fsys fs.FS, name string, data []byte) fs.FS {
	name = path.Clean(name)
	return &overlay{FS: fsys, name: name, dir: path.Dir(name), data: data}
}

type overlay struct {
	fs.FS
	name, dir string
	data      []byte
}

var (
	_ fs.ReadFileFS = (*overlay)(nil)
	_ fs.ReadDirFS  = (*overlay)(nil)
)

func (o *overlay) Open(name string) (fs.File, error) {
	if name == o.name {
		return &memFile{Reader: bytes.NewReader(o.data), info: o.info()}, nil
	}
	f, err := o.FS.Open(name)
	if err != nil || name != o.dir {
		return f, err
	}
	d, ok := f.(fs.ReadDirFile)
	if !ok {
		return f, nil
	}
	return &dirFile{ReadDirFile: d, o: o}, nil
}

func (o *overlay) ReadFile(name string) ([]byte, error) {
	if name == o.name {
		return bytes.Clone(o.data), nil
	}
	return fs.ReadFile(o.FS, name)
}

// ReadDir lists the directory as fsys does, with the overlaid file's entry
// in it.
func (o *overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(o.FS, name)
	if err != nil || name != o.dir {
		return entries, err
	}
	return o.patch(entries), nil
}

func (o *overlay) info() memInfo {
	return memInfo{name: path.Base(o.name), size: int64(len(o.data))}
}

// patch puts the overlaid file's entry among its directory's entries.
func (o *overlay) patch(entries []fs.DirEntry) []fs.DirEntry {
	own := fs.FileInfoToDirEntry(o.info())
	out := make([]fs.DirEntry, 0, len(entries)+1)
	for _, e := range entries {
		if e.Name() != own.Name() {
			out = append(out, e)
		}
	}
	out = append(out, own)
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// dirFile is the overlaid file's directory, open.
type dirFile struct {
	fs.ReadDirFile
	o       *overlay
	entries []fs.DirEntry
	listed  bool
}

// ReadDir reads the whole directory the first time, then pages through
// it as fs.ReadDirFile says.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.listed {
		all, err := d.ReadDirFile.ReadDir(-1)
		if err != nil {
			return nil, err
		}
		d.entries, d.listed = d.o.patch(all), true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n]
	d.entries = d.entries[n:]
	return out, nil
}

// memFile is the overlaid file, open.
type memFile struct {
	*bytes.Reader
	info memInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
