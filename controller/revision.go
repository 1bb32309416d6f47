package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/accordhq/accord/spec"
)

// Revision is the content hash of a spec's own files (its HCL and the data
// files it names), each by its path relative to the spec directory: the
// same spec has the same revision whether --dir was written as a relative
// path, "." or an absolute one, and stock data, which moves all day, is not
// part of it. It is what a saved plan is checked against.
func Revision(s *spec.Spec) string {
	type file struct {
		rel  string
		data []byte
	}
	files := make([]file, 0, len(s.Files))
	for display, rel := range s.Files {
		files = append(files, file{rel: rel, data: s.Sources[display]})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	h := sha256.New()
	for _, f := range files {
		// A hash.Hash never returns an error from Write.
		_, _ = fmt.Fprintf(h, "%s\x00%d\x00", f.rel, len(f.data))
		h.Write(f.data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}
