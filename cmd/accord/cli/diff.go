package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/adapters"
	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/review"
	"github.com/accordhq/accord/controller/source"
	"github.com/accordhq/accord/controller/stock"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/derive"
)

// ExitReview is diff's exit status when a --fail-on condition holds: the
// change needs a person's review.
const ExitReview = 3

func (a *app) diffCommand() *cobra.Command {
	var base, head, at, format string
	var window time.Duration
	var failOn []string
	var detailed bool
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Say what a change to the spec does, before it is merged: prices, quantities, fields, findings, partners, guards",
		Long: `diff reads the spec at two git revisions (the base, by default where the branch
left the default branch, and the head, by default the working tree) straight from
git's objects, derives both now and at every promotion start or end inside the
window, and says what the change does in business terms, channel by channel and
from which instant. It calls no channel and needs no credentials, so a pull
request from a fork can run it. Both sides get the same stock, read from the
working tree when it can be.

--format markdown is ready to post as a pull-request comment (under 60,000
characters whatever the size of the change). --fail-on guard|partner|new-error
exits 3 when the change trips a guard, moves a partner's funded prices, or
introduces an error, so CI can require a review; otherwise exit 0, or 2 with
--detailed-exitcode when the change does anything.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "text", "json", "markdown":
			default:
				return fmt.Errorf("--format %q: use text, json or markdown", format)
			}
			for _, f := range failOn {
				if f != "guard" && f != "partner" && f != "new-error" {
					return fmt.Errorf("--fail-on %q: use guard, partner or new-error", f)
				}
			}
			if window < 0 {
				return fmt.Errorf("--window %s: give a duration ahead of now", window)
			}
			if diags := spec.CheckDir(a.dir); diags.HasErrors() {
				a.printDiags(diags, nil)
				return exitError{ExitError}
			}
			repo, err := source.Open(a.dir)
			if err != nil {
				return err
			}
			rel, err := repo.Rel(a.dir)
			if err != nil {
				return err
			}
			headSpec, headRev, headCommit, err := a.diffSide(repo, rel, head, "head")
			if err != nil {
				return err
			}
			if base == "" {
				def, err := repo.DefaultBranch()
				if err != nil {
					return err
				}
				defCommit, err := repo.Resolve(def)
				if err != nil {
					return err
				}
				if headCommit == nil {
					if headCommit, err = repo.Resolve("HEAD"); err != nil {
						return err
					}
				}
				mb, err := repo.MergeBase(defCommit, headCommit)
				if err != nil {
					return err
				}
				base = mb.Hash
			}
			baseSpec, baseRev, _, err := a.diffSide(repo, rel, base, "base")
			if err != nil {
				return err
			}
			now, err := a.instant(at, headSpec.Settings.Timezone)
			if err != nil {
				return err
			}
			in := review.Input{Base: baseSpec, Head: headSpec, BaseRev: baseRev, HeadRev: headRev, At: now, Window: window}
			levels, _, diags := stock.Read(cmd.Context(), a.registry(), headSpec, a.dir, a.env.Now)
			if !diags.HasErrors() {
				in.Stock = levels
			} else {
				a.log.Info("no stock for the diff: quantities are not compared", slog.String("why", diags.Error()))
			}
			rep, err := review.Compare(cmd.Context(), in)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(a.env.Stdout)
			switch format {
			case "json":
				err = writeReviewJSON(w, rep)
			case "markdown":
				err = writeReviewMarkdown(w, headSpec, rep, markdownBudget)
			default:
				err = writeReviewText(w, headSpec, rep)
			}
			if err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			for _, f := range failOn {
				if (f == "guard" && len(rep.Guards) > 0) || (f == "partner" && len(rep.Partners) > 0) || (f == "new-error" && introducesError(rep)) {
					return exitError{ExitReview}
				}
			}
			if detailed && !rep.Empty() {
				return exitError{ExitChanges}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&base, "base", "", "the revision the change is compared with (default: the merge base with the default branch)")
	f.StringVar(&head, "head", "", "the revision of the change (default: the working tree)")
	f.StringVar(&at, "at", "", "compare as of this time (RFC 3339, or local to the spec's time zone); default now")
	f.DurationVar(&window, "window", 30*24*time.Hour, "look this far ahead for promotions starting or ending")
	f.StringVar(&format, "format", "text", "output format: text, json or markdown")
	f.StringArrayVar(&failOn, "fail-on", nil, "exit 3 when the change trips a guard, moves a partner's prices, or introduces an error: guard, partner or new-error (repeatable)")
	f.BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when the change does anything")
	return cmd
}

// diffSide loads one side of a diff: a revision read from git's objects, or
// ("" for the head) the working tree. A side that does not load is an error
// with its diagnostics.
func (a *app) diffSide(repo *source.Repo, rel, rev, which string) (*spec.Spec, review.Revision, *source.Commit, error) {
	vars, err := a.varMap()
	if err != nil {
		return nil, review.Revision{}, nil, err
	}
	opts := spec.Options{Dir: a.dir, Types: a.registry(), Vars: vars, LookupEnv: a.env.LookupEnv, Campaigns: a.campaignFS()}
	var (
		s      *spec.Spec
		diags  hcl.Diagnostics
		r      review.Revision
		commit *source.Commit
	)
	if rev == "" {
		r = review.Revision{Label: "working tree"}
		s, diags = spec.LoadDir(a.dir, opts)
	} else {
		if commit, err = repo.Resolve(rev); err != nil {
			return nil, r, nil, fmt.Errorf("--%s: %w", which, err)
		}
		r = review.Revision{Label: rev, Commit: commit.Hash, Author: commit.Author, Subject: commit.Subject()}
		fsys, err := commit.FS(rel)
		if err != nil {
			return nil, r, nil, fmt.Errorf("the %s revision %s: %w", which, commit.Short(), err)
		}
		s, diags = spec.Load(fsys, opts)
	}
	if diags.HasErrors() {
		var sources map[string][]byte
		if s != nil {
			sources = s.Sources
		}
		a.printDiags(diags, sources)
		return nil, r, nil, fmt.Errorf("the spec at the %s (%s) does not load; accord validate lists its errors", which, r.Label)
	}
	return s, r, commit, nil
}

func introducesError(r *review.Report) bool {
	return slices.ContainsFunc(r.Introduced, func(f derive.TimedFinding) bool { return f.Severity == derive.Error })
}

// revLine names a revision for people: "main (0123456789ab, "Raise A")".
func revLine(r review.Revision) string {
	if r.Commit == "" {
		return r.Label
	}
	short := r.Commit
	if len(short) > 12 {
		short = short[:12]
	}
	if r.Label == r.Commit || strings.HasPrefix(r.Commit, r.Label) {
		return fmt.Sprintf("%s %q", short, r.Subject)
	}
	return fmt.Sprintf("%s (%s %q)", r.Label, short, r.Subject)
}

func stepTime(s *spec.Spec, t time.Time) string { return t.In(s.Settings.Timezone).Format(calTime) }

// deltaRows are a step's channels as table rows.
func deltaRows(st review.Step) [][]string {
	rows := [][]string{{"CHANNEL", "LISTINGS", "PRICES", "QUANTITIES", "COMPARE-AT", "FIELDS", "ADDED", "DROPPED"}}
	for _, d := range st.Channels {
		prices := "-"
		var parts []string
		if d.PriceDown > 0 {
			parts = append(parts, fmt.Sprintf("%d down (max -%s%%)", d.PriceDown, d.MaxCut.Shift(2).StringFixed(1)))
		}
		if d.PriceUp > 0 {
			parts = append(parts, fmt.Sprintf("%d up (max +%s%%)", d.PriceUp, d.MaxRise.Shift(2).StringFixed(1)))
		}
		if len(parts) > 0 {
			prices = strings.Join(parts, ", ")
		}
		rows = append(rows, []string{d.Channel, fmt.Sprint(d.Listings), prices, dash(d.Quantity), dash(d.CompareAt), dash(d.Fields), dash(d.Added), dash(d.Dropped)})
	}
	return rows
}

// reviewChange renders one change: "amazon_us HP-01 price 43.99 -> 37.39".
func reviewChange(c *plan.Change) string {
	if c.Kind == adapters.KindCreate {
		if c.Listing == nil {
			return fmt.Sprintf("%s %s: no longer listed", c.Channel, c.SKU)
		}
		return fmt.Sprintf("%s %s: newly listed", c.Channel, c.SKU)
	}
	from, to := c.From.String(), c.To.String()
	if c.Kind == adapters.KindField {
		from, to = quoteValue(c.From), quoteValue(c.To)
	}
	return fmt.Sprintf("%s %s %s %s -> %s", c.Channel, c.SKU, c.Name(), from, to)
}

func findingLineAt(s *spec.Spec, f derive.TimedFinding, first time.Time) string {
	who := strings.TrimSpace(f.Channel + " " + f.SKU)
	line := fmt.Sprintf("%s %s %s: %s", f.Severity, f.Code, who, f.Message)
	if !f.At.Equal(first) {
		line += " (from " + stepTime(s, f.At) + ")"
	}
	if f.Range.Filename != "" {
		line += fmt.Sprintf("  (%s:%d)", f.Range.Filename, f.Range.Start.Line)
	}
	return line
}

// writeReviewText is diff's text view.
func writeReviewText(w io.Writer, s *spec.Spec, r *review.Report) error {
	pr := newPrinter(w)
	pr.printf("accord diff %s -> %s\n", revLine(r.Base), revLine(r.Head))
	pr.printf("at %s, promotions up to %s\n", stepTime(s, r.At), stepTime(s, r.At.Add(r.Window)))
	if r.NoStock {
		pr.printf("(no stock could be read: quantities are not compared)\n")
	}
	if r.Empty() && len(r.Introduced) == 0 && len(r.Cleared) == 0 {
		pr.printf("\nNo change: every listing's desired state is the same on both sides.\n")
		return pr.err
	}
	for i, st := range r.Steps {
		if len(st.Changes) == 0 {
			continue
		}
		when := "Now (" + stepTime(s, st.At) + ")"
		if i > 0 {
			when = "From " + stepTime(s, st.At)
		}
		pr.printf("\n%s:\n", when)
		rows := deltaRows(st)
		for j := range rows {
			rows[j][0] = "  " + rows[j][0]
		}
		pr.columns(rows, 2, 0, false)
		byCh := map[string]int{}
		for j := range st.Changes {
			c := &st.Changes[j]
			if byCh[c.Channel] == maxDetail {
				pr.printf("    … and more on %s (--format json lists them all)\n", c.Channel)
			}
			byCh[c.Channel]++
			if byCh[c.Channel] <= maxDetail {
				pr.printf("    %s\n", reviewChange(c))
			}
		}
	}
	for _, sec := range []struct {
		title string
		fs    []derive.TimedFinding
	}{{"Findings the change introduces", r.Introduced}, {"Findings the change clears", r.Cleared}} {
		if len(sec.fs) == 0 {
			continue
		}
		pr.printf("\n%s: %d\n", sec.title, len(sec.fs))
		for _, f := range sec.fs {
			pr.printf("  %s\n", findingLineAt(s, f, r.At))
		}
	}
	if len(r.Partners) > 0 {
		pr.printf("\nPartners whose funded prices move:\n")
		for _, p := range r.Partners {
			pr.printf("  %s (%s): %s\n", p.Name, strings.Join(p.Promotions, ", "), plural(p.Listings, "listing"))
		}
	}
	if len(r.Guards) > 0 {
		pr.printf("\nGuards the change trips when applied (accord apply refuses it without --force):\n")
		for _, g := range r.Guards {
			pr.printf("  - %s\n", g)
		}
	}
	return pr.err
}

// markdownBudget is what a pull-request comment may take: GitHub refuses
// comments over 65,536 characters; the rest is room for the summary.
const markdownBudget = 60000

// writeReviewMarkdown is diff's view for a pull-request comment: a summary
// table first, then details in collapsible sections, cut to stay within
// budget characters (what was left out is counted).
func writeReviewMarkdown(w io.Writer, s *spec.Spec, r *review.Report, budget int) error {
	var head strings.Builder
	fmt.Fprintf(&head, "### accord diff\n\n`%s` → `%s`, at %s, promotions up to %s.\n\n", mdCode(revLine(r.Base)), mdCode(revLine(r.Head)), stepTime(s, r.At), stepTime(s, r.At.Add(r.Window)))
	if r.NoStock {
		head.WriteString("> No stock could be read: quantities are not compared.\n\n")
	}
	if r.Empty() && len(r.Introduced) == 0 && len(r.Cleared) == 0 {
		head.WriteString("**No change**: every listing's desired state is the same on both sides.\n")
		_, err := io.WriteString(w, head.String())
		return err
	}
	head.WriteString("| from | channel | listings | prices | quantities | compare-at | fields | added | dropped |\n|---|---|---|---|---|---|---|---|---|\n")
	for i, st := range r.Steps {
		when := "now"
		if i > 0 {
			when = stepTime(s, st.At)
		}
		for _, row := range deltaRows(st)[1:] {
			fmt.Fprintf(&head, "| %s | %s |\n", when, strings.Join(mdCells(row), " | "))
		}
	}
	head.WriteString("\n")
	if n := countErrors(untimed(r.Introduced)); n > 0 {
		fmt.Fprintf(&head, "> [!CAUTION]\n> The change introduces %s.\n\n", plural(n, "error"))
	}
	if len(r.Guards) > 0 {
		head.WriteString("> [!WARNING]\n> Guards the change trips when applied (`accord apply` refuses it without `--force`):\n")
		for _, g := range r.Guards {
			fmt.Fprintf(&head, "> - %s\n", mdEscape(g))
		}
		head.WriteString("\n")
	}
	if len(r.Partners) > 0 {
		head.WriteString("**Partners whose funded prices move:** ")
		var ps []string
		for _, p := range r.Partners {
			ps = append(ps, fmt.Sprintf("%s (%s, %s)", mdEscape(p.Name), mdEscape(strings.Join(p.Promotions, ", ")), plural(p.Listings, "listing")))
		}
		head.WriteString(strings.Join(ps, "; ") + ".\n\n")
	}
	out := head.String()
	room := budget - len(out) - 400 // the closing note
	omitted := 0
	section := func(title string, lines []string) {
		var b strings.Builder
		fmt.Fprintf(&b, "<details><summary>%s</summary>\n\n", title)
		shown := 0
		for _, l := range lines {
			if b.Len()+len(l)+20 > room {
				break
			}
			b.WriteString(l)
			b.WriteString("\n")
			shown++
		}
		if shown < len(lines) {
			fmt.Fprintf(&b, "\n…and %d more.\n", len(lines)-shown)
			omitted += len(lines) - shown
		}
		b.WriteString("\n</details>\n\n")
		if b.Len() > room {
			omitted += shown
			return
		}
		out += b.String()
		room -= b.Len()
	}
	for _, sec := range []struct {
		title string
		fs    []derive.TimedFinding
	}{{"Findings the change introduces", r.Introduced}, {"Findings the change clears", r.Cleared}} {
		if len(sec.fs) == 0 {
			continue
		}
		lines := make([]string, len(sec.fs))
		for i, f := range sec.fs {
			lines[i] = "- " + mdEscape(findingLineAt(s, f, r.At))
		}
		section(fmt.Sprintf("<b>%s</b>: %d", sec.title, len(sec.fs)), lines)
	}
	for i, st := range r.Steps {
		if len(st.Changes) == 0 {
			continue
		}
		when := "Now"
		if i > 0 {
			when = "From " + stepTime(s, st.At)
		}
		lines := make([]string, len(st.Changes))
		for j := range st.Changes {
			lines[j] = "- " + strings.Replace(mdEscape(reviewChange(&st.Changes[j])), " -&gt; ", " → ", 1)
		}
		section(fmt.Sprintf("<b>%s</b>: %s", when, plural(len(st.Changes), "change")), lines)
	}
	if omitted > 0 {
		out += fmt.Sprintf("_%d lines left out to keep this comment short; `accord diff --format json` has them all._\n", omitted)
	}
	_, err := io.WriteString(w, out)
	return err
}

func mdCells(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = mdEscape(c)
	}
	return out
}

func mdCode(s string) string { return strings.ReplaceAll(s, "`", "'") }

func untimed(fs []derive.TimedFinding) []derive.Finding {
	out := make([]derive.Finding, len(fs))
	for i, f := range fs {
		out[i] = f.Finding
	}
	return out
}

// The JSON shape of accord diff.
type (
	reviewJSON struct {
		Base       reviewRevJSON     `json:"base"`
		Head       reviewRevJSON     `json:"head"`
		At         time.Time         `json:"at"`
		Until      time.Time         `json:"until"`
		Stock      bool              `json:"stock"`
		Steps      []reviewStepJSON  `json:"steps"`
		Introduced []findingAtJSON   `json:"introduced"`
		Cleared    []findingAtJSON   `json:"cleared"`
		Partners   []reviewPartner   `json:"partners"`
		Guards     []string          `json:"guards"`
		Summary    reviewSummaryJSON `json:"summary"`
	}
	reviewRevJSON struct {
		Label   string `json:"label"`
		Commit  string `json:"commit,omitempty"`
		Author  string `json:"author,omitempty"`
		Subject string `json:"subject,omitempty"`
	}
	reviewStepJSON struct {
		At       time.Time          `json:"at"`
		Channels []reviewDeltaJSON  `json:"channels"`
		Changes  []reviewChangeJSON `json:"changes"`
	}
	reviewDeltaJSON struct {
		Channel   string `json:"channel"`
		Listings  int    `json:"listings"`
		PriceUp   int    `json:"price_rises"`
		MaxRise   string `json:"max_rise"`
		PriceDown int    `json:"price_cuts"`
		MaxCut    string `json:"max_cut"`
		Quantity  int    `json:"quantities"`
		CompareAt int    `json:"compare_at"`
		Fields    int    `json:"fields"`
		Added     int    `json:"added"`
		Dropped   int    `json:"dropped"`
	}
	reviewChangeJSON struct {
		Channel string  `json:"channel"`
		SKU     string  `json:"sku"`
		Field   string  `json:"field"`
		From    *string `json:"from"`
		To      *string `json:"to"`
	}
	findingAtJSON struct {
		findingJSON
		At time.Time `json:"at"`
	}
	reviewPartner struct {
		Partner    string   `json:"partner"`
		Promotions []string `json:"promotions"`
		Listings   int      `json:"listings"`
	}
	reviewSummaryJSON struct {
		Changes    int `json:"changes"`
		Introduced int `json:"introduced"`
		Cleared    int `json:"cleared"`
		Errors     int `json:"errors_introduced"`
	}
)

func optValue(v adapters.Value) *string {
	if !v.Set {
		return nil
	}
	return &v.Text
}

// writeReviewJSON is diff's JSON: everything, nothing left out.
func writeReviewJSON(w io.Writer, r *review.Report) error {
	rev := func(x review.Revision) reviewRevJSON {
		return reviewRevJSON{Label: x.Label, Commit: x.Commit, Author: x.Author, Subject: x.Subject}
	}
	out := reviewJSON{Base: rev(r.Base), Head: rev(r.Head), At: r.At.UTC(), Until: r.At.Add(r.Window).UTC(), Stock: !r.NoStock,
		Steps: []reviewStepJSON{}, Introduced: []findingAtJSON{}, Cleared: []findingAtJSON{}, Partners: []reviewPartner{}, Guards: r.Guards}
	if out.Guards == nil {
		out.Guards = []string{}
	}
	for _, st := range r.Steps {
		sj := reviewStepJSON{At: st.At.UTC(), Channels: []reviewDeltaJSON{}, Changes: make([]reviewChangeJSON, 0, len(st.Changes))}
		for _, d := range st.Channels {
			sj.Channels = append(sj.Channels, reviewDeltaJSON{Channel: d.Channel, Listings: d.Listings, PriceUp: d.PriceUp, MaxRise: pctOf(d.MaxRise),
				PriceDown: d.PriceDown, MaxCut: pctOf(d.MaxCut), Quantity: d.Quantity, CompareAt: d.CompareAt, Fields: d.Fields, Added: d.Added, Dropped: d.Dropped})
		}
		for i := range st.Changes {
			c := &st.Changes[i]
			cj := reviewChangeJSON{Channel: c.Channel, SKU: c.SKU, Field: c.Name(), From: optValue(c.From), To: optValue(c.To)}
			if c.Kind == adapters.KindCreate {
				listed, unlisted := "listed", "not listed"
				if c.Listing != nil {
					cj.From, cj.To = &unlisted, &listed
				} else {
					cj.From, cj.To = &listed, &unlisted
				}
			}
			sj.Changes = append(sj.Changes, cj)
		}
		out.Steps = append(out.Steps, sj)
		out.Summary.Changes += len(st.Changes)
	}
	for _, side := range []struct {
		fs   []derive.TimedFinding
		into *[]findingAtJSON
	}{{r.Introduced, &out.Introduced}, {r.Cleared, &out.Cleared}} {
		fjs := findingsJSON(untimed(side.fs))
		for i, f := range side.fs {
			*side.into = append(*side.into, findingAtJSON{findingJSON: fjs[i], At: f.At.UTC()})
		}
	}
	for _, p := range r.Partners {
		out.Partners = append(out.Partners, reviewPartner{Partner: p.Name, Promotions: p.Promotions, Listings: p.Listings})
	}
	out.Summary.Introduced, out.Summary.Cleared = len(r.Introduced), len(r.Cleared)
	out.Summary.Errors = countErrors(untimed(r.Introduced))
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func pctOf(d decimal.Decimal) string { return d.Shift(2).StringFixed(1) + "%" }
