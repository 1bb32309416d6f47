package spec

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
)

var nameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// suggest returns the candidate closest to name, or "" when none is close
// enough to be a likely typo.
// A candidate is close when it is at most two edits away, when one name is
// the start of the other ("amazon" for "amazon_us"), or when the name is one
// edit from the candidate's start ("amazn" for "amazon_us").
func suggest(name string, candidates []string) string {
	best, bestDist := "", 1<<30
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		prefix := len(name) >= 3 && len(c) >= 3 && (strings.HasPrefix(c, name) || strings.HasPrefix(name, c))
		if !prefix && len(name) >= 4 && len(c) > len(name) {
			prefix = levenshtein.Distance(name, c[:len(name)+1], nil) <= 1
		}
		if (d < 3 || prefix) && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean returns " Did you mean "x"?" for a likely typo, else "".
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// quoteList writes names as "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return "none"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// sampleList writes at most n of the names, then how many more there are.
func sampleList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SuggestSKU returns the catalog SKU a mistyped one most likely meant, or
// "" when none is close.
func (s *Spec) SuggestSKU(sku string) string {
	var cands []string
	for _, p := range s.Products {
		if p.SKU != "" && sku != "" && p.SKU[0] == sku[0] && len(p.SKU) <= len(sku)+2 && len(p.SKU)+2 >= len(sku) {
			cands = append(cands, p.SKU)
			if len(cands) > 5000 {
				break
			}
		}
	}
	return suggest(sku, cands)
}

// Suggest returns the candidate a mistyped name most likely meant, or "",
// by the rules the loader's "Did you mean" follows.
func Suggest(name string, candidates []string) string { return suggest(name, candidates) }
