// Package spec is accord's language: it loads a spec directory (every *.hcl
// file in it, merged, plus the CSV data files they name), decodes every block
// of the contract into typed values that keep their source ranges, resolves
// references between blocks (channels, pools, SKU lists, promotions), and
// returns all mistakes at once as hcl.Diagnostics.
//
// spec represents what was written; package derive evaluates it into the
// desired listings at an instant. Rendering diagnostics (colour, snippets) is
// the command layer's job.
package spec
