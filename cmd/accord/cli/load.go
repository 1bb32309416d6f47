package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/adapters/builtin"
	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// load loads the spec at --dir without printing anything.
func (a *app) load() (*spec.Spec, hcl.Diagnostics, error) {
	vars, err := a.varMap()
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	s, diags := spec.LoadDir(a.dir, spec.Options{Types: a.registry(), Vars: vars, LookupEnv: a.env.LookupEnv, Campaigns: a.campaignFS()})
	if s != nil {
		a.log.Debug("spec loaded", slog.String("dir", a.dir), slog.Int("products", len(s.Products)), slog.Int("channels", len(s.Channels)), slog.Duration("duration", time.Since(start)))
	}
	return s, diags, nil
}

// loadSpec loads the spec at --dir and prints its diagnostics. A nil spec
// means the command must stop; the error carries exit status 1.
func (a *app) loadSpec() (*spec.Spec, error) {
	s, diags, err := a.load()
	if err != nil {
		return nil, err
	}
	var sources map[string][]byte
	if s != nil {
		sources = s.Sources
	}
	a.printDiags(diags, sources)
	if diags.HasErrors() {
		return nil, exitError{ExitError}
	}
	return s, nil
}

// readStock reads on-hand stock for the spec's pools.
func (a *app) readStock(ctx context.Context, s *spec.Spec) (stock.Levels, error) {
	start := time.Now()
	levels, read, diags := stock.Read(ctx, a.registry(), s, a.dir, a.env.Now)
	sources := make(map[string][]byte, len(s.Sources)+len(read))
	for k, v := range s.Sources {
		sources[k] = v
	}
	for k, v := range read {
		sources[k] = v
	}
	a.printDiags(diags, sources)
	if diags.HasErrors() {
		return nil, exitError{ExitError}
	}
	a.log.Debug("stock read", slog.Int("sources", len(levels)), slog.Duration("duration", time.Since(start)))
	return levels, nil
}

// printDiags writes diagnostics to stderr with source snippets, and, when
// any is an error, a compact file:line:col list at the end.
func (a *app) printDiags(diags hcl.Diagnostics, sources map[string][]byte) {
	if len(diags) == 0 {
		return
	}
	// Diagnostics that cannot be written to stderr have nowhere left to go;
	// the command's exit status still reports the errors.
	_ = writeDiags(a.env.Stderr, diags, sources, termWidth(a.env.Stderr), a.colorOn(a.env.Stderr))
}

func writeDiags(w io.Writer, diags hcl.Diagnostics, sources map[string][]byte, width uint, color bool) error {
	pr := newPrinter(w)
	files := make(map[string]*hcl.File, len(sources))
	for name, data := range sources {
		files[name] = &hcl.File{Bytes: data}
	}
	wr := hcl.NewDiagnosticTextWriter(pr, files, width, color)
	for _, d := range diags {
		if d.Subject != nil && len(sources[d.Subject.Filename]) > condenseAbove {
			// HCL's writer scans a file from its first byte to find the
			// snippet: on a 10 MB catalog that is seconds per diagnostic.
			// Give it the line alone, at the same line number.
			file, rng := condensed(sources[d.Subject.Filename], *d.Subject)
			one := *d
			one.Subject, one.Context = &rng, nil
			pr.fail(hcl.NewDiagnosticTextWriter(pr, map[string]*hcl.File{rng.Filename: file}, width, color).WriteDiagnostic(&one))
			continue
		}
		pr.fail(wr.WriteDiagnostic(d))
	}
	errs, warns := 0, 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	// The compact list is an index of several diagnostics; one alone has
	// said everything already.
	if errs == 0 || len(diags) == 1 {
		return pr.err
	}
	pr.printf("%s, %s:\n", plural(errs, "error"), plural(warns, "warning"))
	for _, d := range diags {
		sev := "error"
		if d.Severity != hcl.DiagError {
			sev = "warning"
		}
		if d.Subject != nil {
			pr.printf("  %s:%d:%d: %s: %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, sev, d.Summary)
		} else {
			pr.printf("  %s: %s\n", sev, d.Summary)
		}
	}
	return pr.err
}

// condenseAbove is the source size past which a snippet is cut out of the
// file rather than found by scanning it.
const condenseAbove = 64 << 10

// condensed returns a stand-in for a large source: empty lines up to the
// subject's line, then that line, and the subject moved onto it. Line and
// column numbers are unchanged.
func condensed(src []byte, rng hcl.Range) (*hcl.File, hcl.Range) {
	start := rng.Start.Byte - (rng.Start.Column - 1)
	if start < 0 || start > len(src) {
		start = 0
	}
	end := bytes.IndexByte(src[start:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += start
	}
	line := src[start:end]
	buf := make([]byte, 0, rng.Start.Line+len(line))
	buf = append(buf, bytes.Repeat([]byte{'\n'}, rng.Start.Line-1)...)
	buf = append(buf, line...)
	shift := start - (rng.Start.Line - 1)
	out := rng
	out.Start.Byte -= shift
	out.End.Byte -= shift
	if out.End.Line != out.Start.Line || out.End.Byte > len(buf) {
		out.End = hcl.Pos{Line: out.Start.Line, Column: out.Start.Column + len(line) - (out.Start.Column - 1), Byte: len(buf)}
	}
	return &hcl.File{Bytes: buf}, out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// findingTitles are the diagnostic summaries of engine findings.
var findingTitles = map[string]string{
	derive.CodePromotionConflict:    "Promotions conflict",
	derive.CodePromotionClamped:     "Promotion price raised to its floor",
	derive.CodePromotionIneffective: "Promotion does not lower the price",
	derive.CodePromotionMinDiscount: "Promotion under its campaign's minimum discount",
	derive.CodeBelowFloor:           "Price under its floor",
	derive.CodeInvalidPrice:         "Price not above zero",
	derive.CodeParityUnresolvable:   "Parity cannot be met",
	derive.CodeParityViolation:      "Parity violated",
	derive.CodePriceDeviation:       "Price too far from the anchor",
	derive.CodeMaxLength:            "Field too long",
	derive.CodeTruncated:            "Field truncated",
	derive.CodeFieldError:           "Field cannot be evaluated",
	derive.CodeSharedField:          "Shared field differs between channels",
	derive.CodeStockMissing:         "No stock record",
}

// findingDiags turns engine findings into diagnostics, one per code and spec
// line, so that a rule that trips on 40,000 listings is one diagnostic with
// a count and examples, not 40,000.
func findingDiags(fs []derive.TimedFinding, now time.Time, loc *time.Location) hcl.Diagnostics {
	type group struct {
		first derive.TimedFinding
		items []derive.TimedFinding
	}
	groups := map[string]*group{}
	var order []string
	for _, f := range fs {
		// Findings caused by a spec line group by that line. Findings caused
		// by catalog data (a product's MAP) group by file, or a rule that
		// trips on 5,000 products would print 5,000 diagnostics.
		key := fmt.Sprintf("%s\x00%s\x00%s:%d:%d", f.Severity, f.Code, f.Range.Filename, f.Range.Start.Line, f.Range.Start.Column)
		if isDataFile(f.Range.Filename) {
			key = fmt.Sprintf("%s\x00%s\x00%s", f.Severity, f.Code, f.Range.Filename)
		}
		g, ok := groups[key]
		if !ok {
			g = &group{first: f}
			groups[key] = g
			order = append(order, key)
		}
		g.items = append(g.items, f)
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := groups[order[i]].first, groups[order[j]].first
		if a.Severity != b.Severity {
			return a.Severity == derive.Error
		}
		if a.Range.Filename != b.Range.Filename {
			return a.Range.Filename < b.Range.Filename
		}
		return a.Range.Start.Line < b.Range.Start.Line
	})
	var diags hcl.Diagnostics
	for _, key := range order {
		g := groups[key]
		f := g.first
		title := findingTitles[f.Code]
		if title == "" {
			title = f.Code
		}
		var b strings.Builder
		const shown = 5
		if len(g.items) > 1 {
			fmt.Fprintf(&b, "%d listings:\n", len(g.items))
		}
		for i, it := range g.items {
			if i == shown {
				fmt.Fprintf(&b, "  ... and %d more.\n", len(g.items)-shown)
				break
			}
			if len(g.items) > 1 {
				b.WriteString("  - ")
			}
			b.WriteString(findingLine(it, now, loc))
			if len(g.items) > 1 && isDataFile(it.Range.Filename) {
				fmt.Fprintf(&b, " (%s:%d)", it.Range.Filename, it.Range.Start.Line)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "(%s)", f.Code)
		sev := hcl.DiagError
		if f.Severity == derive.Warning {
			sev = hcl.DiagWarning
		}
		d := &hcl.Diagnostic{Severity: sev, Summary: title, Detail: b.String()}
		if f.Range.Filename != "" {
			d.Subject = f.Range.Ptr()
		}
		diags = append(diags, d)
	}
	return diags
}

// isDataFile reports a source that is data (a CSV), not spec text.
func isDataFile(name string) bool {
	return name != "" && !strings.HasSuffix(name, ".hcl")
}

func findingLine(f derive.TimedFinding, now time.Time, loc *time.Location) string {
	who := f.SKU
	if f.Channel != "" {
		who = f.Channel + " " + f.SKU
	}
	line := fmt.Sprintf("%s: %s", who, f.Message)
	if !f.At.IsZero() && !f.At.Equal(now) {
		line += fmt.Sprintf(" (from %s)", f.At.In(loc).Format(time.RFC3339))
	}
	return line
}

// registry is the set of channel and stock-source kinds of this build,
// built once per command.
func (a *app) registry() *adapters.Registry {
	if a.reg == nil {
		a.reg = builtin.Registry()
	}
	return a.reg
}
