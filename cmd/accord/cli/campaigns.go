package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/controller/source"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/money"
)

func (a *app) campaignsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "campaigns",
		Short: "Fetch, upgrade and check the partner campaigns a spec imports",
		Long: `A partner (a manufacturer, a distributor, a marketplace) publishes a campaign in
its own git repository; a spec imports it with a campaign block and opts in with
a promotion that names it. get fetches each import at its ref and records the
commit in accord.lock.hcl; upgrade moves a lock to where its ref points now;
validate checks a campaign directory as its partner publishes it.

Only get and upgrade reach the network. Every other command reads the locked
commit from the copies in .accord/campaigns.`,
		Args: argsBetween(0, 0),
	}
	cmd.AddCommand(a.campaignsGet(), a.campaignsUpgrade(), a.campaignsValidate())
	return cmd
}

func (a *app) campaignsGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get",
		Short: "Fetch every imported campaign: at its locked commit, or at its ref when not locked yet",
		Long: `get makes the spec's campaigns readable offline. A campaign already in
accord.lock.hcl is fetched at its locked commit, even when its ref has moved since
(upgrade moves it); a new one, or one whose source changed, is fetched at its ref
and its commit recorded. Locks of campaigns no longer imported are dropped.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.syncCampaigns(cmd.Context(), nil)
		},
	}
}

func (a *app) campaignsUpgrade() *cobra.Command {
	return &cobra.Command{
		Use:   "upgrade NAME...",
		Short: "Move campaigns' locks to the commit their ref points at now, and say what the partner changed",
		Long: `upgrade fetches each named campaign and moves its lock to the commit its ref
names now, keeping the commit it leaves as previous (diagnostics then name both
when the partner moved the window). Review what the upgrade does to prices with
accord diff before committing accord.lock.hcl.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, names []string) error {
			return a.syncCampaigns(cmd.Context(), names)
		},
	}
}

func (a *app) campaignsValidate() *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check a campaign directory as its partner publishes it (--dir D)",
		Long: `validate reads the campaign block of the *.hcl files in --dir, as a seller's
accord reads it from the partner's repository, and reports every error in it.`,
		Args: argsBetween(0, 0),
		RunE: func(*cobra.Command, []string) error {
			if diags := spec.CheckDir(a.dir); diags.HasErrors() {
				a.printDiags(diags, nil)
				return exitError{ExitError}
			}
			sources := map[string][]byte{}
			def, diags := spec.LoadCampaign(os.DirFS(a.dir), a.dir, sources)
			a.printDiags(diags, sources)
			if diags.HasErrors() {
				return exitError{ExitError}
			}
			_, err := fmt.Fprintf(a.env.Stdout, "The campaign is valid: %s.\n", describeCampaign(def))
			return err
		},
	}
}

// describeCampaign is a campaign in one line.
func describeCampaign(d *spec.CampaignDef) string {
	parts := []string{"partner " + d.Partner}
	if d.Theme != "" {
		parts = append(parts, "theme "+d.Theme)
	}
	parts = append(parts, fmt.Sprintf("%s to %s", d.Starts.UTC().Format(calTime), d.Ends.UTC().Format(calTime)))
	if b := campaignBounds(d); b != "-" {
		parts = append(parts, b+" off")
	}
	if d.Funding.Valid {
		parts = append(parts, "partner funds "+money.FormatPercent(d.Funding.Decimal))
	}
	if d.Channels != nil {
		parts = append(parts, "on "+strings.Join(d.Channels, ", "))
	}
	parts = append(parts, campaignEligible(d))
	return strings.Join(parts, ", ")
}

// campaignBounds is a campaign's discount range: "5%-25%", "up to 25%",
// "at least 5%" or "-".
func campaignBounds(d *spec.CampaignDef) string {
	switch {
	case d.MinDiscount.Valid && d.MaxDiscount.Valid:
		return money.FormatPercent(d.MinDiscount.Decimal) + "-" + money.FormatPercent(d.MaxDiscount.Decimal)
	case d.MaxDiscount.Valid:
		return "up to " + money.FormatPercent(d.MaxDiscount.Decimal)
	case d.MinDiscount.Valid:
		return "at least " + money.FormatPercent(d.MinDiscount.Decimal)
	}
	return "-"
}

func campaignEligible(d *spec.CampaignDef) string {
	var parts []string
	for _, l := range []struct {
		name string
		list []string
	}{{"brand", d.Brands}, {"GTIN", d.GTINs}, {"category", d.Categories}, {"SKU", d.SKUs}} {
		if len(l.list) > 0 {
			parts = append(parts, plural(len(l.list), l.name))
		}
	}
	if len(parts) == 0 {
		return "every product eligible"
	}
	return "eligible by " + strings.Join(parts, " or ")
}

// syncCampaigns is get (upgrade nil) and upgrade (the names to move).
func (a *app) syncCampaigns(ctx context.Context, upgrade []string) error {
	if diags := spec.CheckDir(a.dir); diags.HasErrors() {
		a.printDiags(diags, nil)
		return exitError{ExitError}
	}
	sources, diags := spec.CampaignSources(os.DirFS(a.dir), a.dir)
	if diags.HasErrors() {
		a.printDiags(diags, nil)
		return exitError{ExitError}
	}
	lockPath := filepath.Join(a.dir, spec.LockFile)
	locks := map[string]spec.Lock{}
	if data, err := os.ReadFile(lockPath); err == nil {
		var d hcl.Diagnostics
		if locks, d = spec.ParseLocks(data, lockPath); d.HasErrors() {
			a.printDiags(d, map[string][]byte{lockPath: data})
			return exitError{ExitError}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", spec.LockFile, err)
	}
	for _, n := range upgrade {
		if _, ok := sources[n]; !ok {
			hint := ""
			if near := spec.Suggest(n, mapKeys(sources)); near != "" {
				hint = fmt.Sprintf("; did you mean %q?", near)
			}
			return fmt.Errorf("campaign %q: the spec imports no campaign of that name%s", n, hint)
		}
		if _, ok := locks[n]; !ok {
			return fmt.Errorf("campaign %q is not locked yet: accord campaigns get fetches it at its ref", n)
		}
	}
	if len(sources) == 0 {
		a.note("The spec imports no campaign.\n")
	}
	next := map[string]spec.Lock{}
	pr := newPrinter(a.env.Stdout)
	t := pr.table()
	if len(sources) > 0 {
		t.println("CAMPAIGN\tCOMMIT\tSTATUS\tCAMPAIGN TERMS")
	}
	var failed bool
	for _, name := range mapKeys(sources) {
		text := sources[name]
		lock, status, def, err := a.syncCampaign(ctx, name, text, locks[name], slices.Contains(upgrade, name))
		if err != nil {
			var dErr diagsError
			if errors.As(err, &dErr) {
				a.printDiags(dErr.diags, dErr.sources)
			} else {
				a.note("Error: campaign %s: %v\n", name, err)
			}
			failed = true
			if old, ok := locks[name]; ok {
				next[name] = old
			}
			continue
		}
		next[name] = lock
		t.printf("%s\t%.12s\t%s\t%s\n", name, lock.Commit, status, describeCampaign(def))
	}
	t.flush()
	if pr.err != nil {
		return pr.err
	}
	if !sameLocks(locks, next) {
		if len(next) == 0 {
			if err := os.Remove(lockPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove %s: %w", spec.LockFile, err)
			}
		} else if err := writeFileAtomic(lockPath, func(w io.Writer) error {
			_, err := w.Write(spec.FormatLocks(next))
			return err
		}); err != nil {
			return err
		}
		a.note("Wrote %s: commit it with the spec.\n", spec.LockFile)
	}
	if failed {
		return exitError{ExitError}
	}
	return nil
}

// diagsError carries diagnostics out of a campaign's sync.
type diagsError struct {
	diags   hcl.Diagnostics
	sources map[string][]byte
}

func (e diagsError) Error() string { return e.diags.Error() }

// syncCampaign fetches one campaign and returns its lock: kept when it is
// locked from the same source (and not upgraded), else at its ref now.
func (a *app) syncCampaign(ctx context.Context, name, text string, old spec.Lock, upgrade bool) (spec.Lock, string, *spec.CampaignDef, error) {
	src, err := spec.ParseCampaignSource(text)
	if err != nil {
		return old, "", nil, err
	}
	m, fresh, err := a.openMirror(ctx, src.URL)
	if err != nil {
		return old, "", nil, err
	}
	lock := spec.Lock{Name: name, Source: text}
	var commit *source.Commit
	status := "fetched"
	switch {
	case old.Commit != "" && old.Source == text && !upgrade:
		// Keep the lock; fetch only when the mirror lacks its commit.
		if commit, err = m.Resolve(old.Commit); err != nil {
			if err := m.Fetch(ctx); err != nil {
				return old, "", nil, err
			}
			if commit, err = m.Resolve(old.Commit); err != nil {
				return old, "", nil, fmt.Errorf("the locked commit %.12s is no longer in %s (was its history rewritten?); accord campaigns upgrade %s locks where %s points now", old.Commit, src.URL, name, refName(src.Ref))
			}
		}
		lock.Previous = old.Previous
		status = "locked"
	default:
		if !fresh {
			if err := m.Fetch(ctx); err != nil {
				return old, "", nil, err
			}
		}
		rev := src.Ref
		if rev == "" {
			rev = "HEAD"
		}
		if commit, err = m.Resolve(rev); err != nil {
			return old, "", nil, fmt.Errorf("%s in %s: %w", refName(src.Ref), src.URL, err)
		}
		if upgrade {
			if commit.Hash == old.Commit {
				status = "up to date"
				lock.Previous = old.Previous
			} else {
				lock.Previous = old.Commit
				status = fmt.Sprintf("upgraded from %.12s", old.Commit)
			}
		}
	}
	lock.Commit = commit.Hash
	def, err := a.campaignAt(commit, src.Dir, name)
	if err != nil {
		return old, "", nil, err
	}
	if upgrade && lock.Previous != "" && lock.Previous != old.Previous {
		if prevCommit, err := m.Resolve(lock.Previous); err == nil {
			if prev, err := a.campaignAt(prevCommit, src.Dir, name); err == nil {
				for _, c := range campaignChanges(prev, def) {
					a.note("%s: %s\n", name, c)
				}
			}
		}
	}
	return lock, status, def, nil
}

// campaignAt reads a campaign's definition at a commit of its mirror.
func (a *app) campaignAt(commit *source.Commit, dir, name string) (*spec.CampaignDef, error) {
	fsys, err := commit.FS(dir)
	if err != nil {
		return nil, err
	}
	sources := map[string][]byte{}
	def, diags := spec.LoadCampaign(fsys, fmt.Sprintf("%s@%.12s:%s", name, commit.Hash, dir), sources)
	if diags.HasErrors() {
		return nil, diagsError{diags: diags, sources: sources}
	}
	return def, nil
}

// campaignChanges says what a partner changed between two versions of a
// campaign, in the terms a seller checks.
func campaignChanges(old, cur *spec.CampaignDef) []string {
	var out []string
	if !old.Starts.Equal(cur.Starts) || !old.Ends.Equal(cur.Ends) {
		out = append(out, fmt.Sprintf("window moved from %s to %s, to %s to %s",
			old.Starts.UTC().Format(calTime), old.Ends.UTC().Format(calTime), cur.Starts.UTC().Format(calTime), cur.Ends.UTC().Format(calTime)))
	}
	if o, c := campaignBounds(old), campaignBounds(cur); o != c {
		out = append(out, fmt.Sprintf("discount bounds %s, were %s", c, o))
	}
	pct := func(d *spec.CampaignDef) string {
		if !d.Funding.Valid {
			return "none"
		}
		return money.FormatPercent(d.Funding.Decimal)
	}
	if o, c := pct(old), pct(cur); o != c {
		out = append(out, fmt.Sprintf("partner funding %s, was %s", c, o))
	}
	if o, c := strings.Join(old.Channels, ","), strings.Join(cur.Channels, ","); o != c {
		out = append(out, fmt.Sprintf("channel types %s, were %s", dashIfEmpty(c), dashIfEmpty(o)))
	}
	if o, c := campaignEligible(old), campaignEligible(cur); o != c || !slices.Equal(old.SKUs, cur.SKUs) || !slices.Equal(old.Brands, cur.Brands) ||
		!slices.Equal(old.GTINs, cur.GTINs) || !slices.Equal(old.Categories, cur.Categories) {
		out = append(out, "eligible products changed: "+c)
	}
	if old.Partner != cur.Partner {
		out = append(out, fmt.Sprintf("partner %s, was %s", cur.Partner, old.Partner))
	}
	if len(out) == 0 {
		out = append(out, "no change to the campaign's terms")
	}
	return out
}

func refName(ref string) string {
	if ref == "" {
		return "the default branch"
	}
	return "ref " + ref
}

// openMirror opens (cloning the first time) the mirror of a campaign
// repository in .accord/campaigns. fresh reports a clone made now. A local
// path is taken relative to the spec directory.
func (a *app) openMirror(ctx context.Context, url string) (*source.Mirror, bool, error) {
	dir := filepath.Join(a.campaignsDir(), mirrorName(url))
	_, statErr := os.Stat(dir)
	fresh := errors.Is(statErr, fs.ErrNotExist)
	remote := url
	if !strings.Contains(url, "://") && !isSCPLike(url) && !filepath.IsAbs(url) {
		abs, err := filepath.Abs(filepath.Join(a.dir, url))
		if err != nil {
			return nil, false, err
		}
		remote = abs
	}
	if err := os.MkdirAll(a.campaignsDir(), 0o750); err != nil {
		return nil, false, fmt.Errorf("make %s: %w", a.campaignsDir(), err)
	}
	m, err := source.OpenMirror(ctx, dir, remote)
	return m, fresh, err
}

// isSCPLike reports git's user@host:path form.
func isSCPLike(url string) bool {
	at, colon := strings.Index(url, "@"), strings.Index(url, ":")
	return at > 0 && colon > at
}

// mirrorName is the directory of a repository's mirror: a hash of its URL
// as the spec writes it, so that two specs naming one repository alike
// share it.
func mirrorName(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:8])
}

func (a *app) campaignsDir() string { return filepath.Join(a.dir, ".accord", "campaigns") }

// campaignFS is what spec.Load reads imported campaigns through: the
// commits of every mirror in .accord/campaigns, opened on first use (a spec
// that imports none never opens them).
func (a *app) campaignFS() fs.FS { return &mirrorsFS{dir: a.campaignsDir()} }

type mirrorsFS struct {
	dir  string
	once sync.Once
	fsys fs.FS
}

func (m *mirrorsFS) Open(name string) (fs.File, error) {
	m.once.Do(func() {
		var repos []*source.Repo
		entries, _ := os.ReadDir(m.dir) // none yet: every commit is missing, which the loader reports
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			if r, err := source.OpenDir(filepath.Join(m.dir, e.Name())); err == nil {
				repos = append(repos, r)
			}
		}
		m.fsys = source.Commits(repos...)
	})
	return m.fsys.Open(name)
}

func sameLocks(a, b map[string]spec.Lock) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
