package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/accordhq/accord/controller/plan"
	"github.com/accordhq/accord/controller/source"
	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
	"github.com/accordhq/accord/spec/edit"
)

func (a *app) exceptionsCommand() *cobra.Command {
	var status, channel, code string
	cmd := &cobra.Command{
		Use:   "exceptions",
		Short: "List the exceptions accord recorded: drift, oversell risk, failed changes…",
		Long: `exceptions lists what needs a person: drift, oversell risk, parity and MAP breaches,
listings missing or unmanaged, changes that failed. An exception opens when a
reconcile first sees its condition, is refreshed (LAST SEEN) while it lasts, and
resolves itself when a reconcile that looked at its channel and SKU no longer sees
it. show, ack and resolve act on one by its ID; adopt keeps a drifted price in
the spec, on a new git branch.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.storeTable(cmd.Context(), "ID\tSTATUS\tCODE\tCHANNEL\tSKU\tFIELD\tLAST SEEN\tMESSAGE",
				func(ctx context.Context, st *store.Store, row func(format string, args ...any)) error {
					ex, err := st.Exceptions(ctx, store.ExceptionFilter{Status: status, Channel: channel, Code: code})
					for _, e := range ex {
						row("%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", e.ID, e.Status, e.Code, e.Channel, dashIfEmpty(e.SKU), dashIfEmpty(e.Field),
							e.LastSeen.UTC().Format(time.RFC3339), e.Message)
					}
					return err
				})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "open, acknowledged, resolved or all (default: open and acknowledged)")
	cmd.Flags().StringVar(&channel, "channel", "", "only this channel")
	cmd.Flags().StringVar(&code, "code", "", "only this code")
	cmd.AddCommand(a.exceptionShow(), a.exceptionAck(), a.exceptionResolve(), a.exceptionAdopt())
	return cmd
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// exceptionID reads an exception's ID argument.
func exceptionID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("exception ID %q: give the number accord exceptions lists", arg)
	}
	return id, nil
}

// withStore runs fn with the existing state store open; without one there
// is nothing to act on, and nothing is created.
func (a *app) withStore(ctx context.Context, fn func(*store.Store) error) (err error) {
	st, err := a.existingState(ctx)
	if err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("no state yet at %s: nothing has been applied with this spec (accord apply records it there)", a.statePath())
	}
	defer closeWith(&err, st)
	return fn(st)
}

// existingState opens the state store for a command that reads it, or
// returns nil when there is none yet: such commands never create it. With
// the default --state, the spec directory must exist, as for every command.
func (a *app) existingState(ctx context.Context) (*store.Store, error) {
	if a.state == "" {
		if diags := spec.CheckDir(a.dir); diags.HasErrors() {
			a.printDiags(diags, nil)
			return nil, exitError{ExitError}
		}
	}
	st, err := store.OpenExisting(ctx, a.statePath(), a.env.Now)
	if errors.Is(err, store.ErrNoState) {
		return nil, nil
	}
	return st, err
}

func (a *app) exceptionShow() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one exception whole: its values, revision, when it was seen, its note",
		Args:  argsExactly("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := exceptionID(args[0])
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				e, err := st.Exception(cmd.Context(), id)
				if err != nil {
					return notFound(err, id)
				}
				pr := newPrinter(a.env.Stdout)
				t := pr.table()
				row := func(k, v string) {
					if v != "" {
						t.printf("%s\t%s\n", k, v)
					}
				}
				stamp := func(at time.Time) string {
					if at.IsZero() {
						return ""
					}
					return at.UTC().Format(time.RFC3339)
				}
				row("exception", strconv.FormatInt(e.ID, 10))
				row("status", e.Status)
				row("code", e.Code)
				row("channel", e.Channel)
				row("sku", e.SKU)
				row("field", e.Field)
				if e.Observed.Set || e.Expected.Set {
					row("observed", e.Observed.String())
					row("expected", e.Expected.String())
				}
				row("action", e.Action)
				row("message", e.Message)
				row("revision", e.Revision)
				row("first seen", stamp(e.FirstSeen))
				row("last seen", stamp(e.LastSeen))
				row("acknowledged", stamp(e.AcknowledgedAt))
				row("resolved", stamp(e.ResolvedAt))
				row("note", e.Note)
				t.flush()
				return pr.err
			})
		},
	}
}

func (a *app) exceptionAck() *cobra.Command {
	return a.exceptionSettle("ack", "Acknowledge an exception: a person has seen it; it stays while its condition lasts",
		"what you found or did, kept with the exception", "acknowledged", (*store.Store).Acknowledge)
}

func (a *app) exceptionResolve() *cobra.Command {
	return a.exceptionSettle("resolve", "Resolve an exception by hand; should its condition be seen again, a new one opens",
		"why it is resolved, kept with the exception", "resolved", (*store.Store).Resolve)
}

// exceptionSettle is a command that moves one exception on, with a note.
func (a *app) exceptionSettle(verb, short, noteHelp, done string, settle func(*store.Store, context.Context, int64, string) error) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   verb + " ID",
		Short: short,
		Args:  argsExactly("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := exceptionID(args[0])
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				if err := settle(st, cmd.Context(), id, note); err != nil {
					return notFound(err, id)
				}
				_, err := fmt.Fprintf(a.env.Stdout, "Exception %d %s.\n", id, done)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", noteHelp)
	return cmd
}

// notFound words the store's errors about one exception for people.
func notFound(err error, id int64) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no exception %d (accord exceptions --status all lists them)", id)
	case errors.Is(err, store.ErrResolved):
		return fmt.Errorf("exception %d is resolved already", id)
	}
	return err
}

func (a *app) exceptionAdopt() *cobra.Command {
	var at string
	var noCommit bool
	cmd := &cobra.Command{
		Use:   "adopt ID",
		Short: "Keep a drifted price in the spec: write it as an override, on a new git branch",
		Long: `adopt keeps a drift the team wants: the value a channel holds, changed there by
hand, becomes the spec's. For a drift exception on a price or a compare-at price
it writes the channel's value as an override of the price matrix that holds the
SKU, in the file that holds the matrix (the rest of the file is left as written),
then checks that the edited spec loads and derives that value, and nothing else
new, for the listing at --at (default now); otherwise it changes nothing.

When the spec directory is in a git repository, it commits the file on a new
branch, accord/adopt-ID-SKU, from HEAD, without touching your checkout (HEAD,
the index and the working tree stay as they are), and prints the branch to push
for a pull request. A file with changes that are not committed is refused. With
--no-commit, or outside a repository, it edits the file in place.

The exception is acknowledged with a note naming the branch and commit. It
resolves itself once the adopted spec is applied and the channel agrees with it.
Quantities and listing fields cannot be adopted: pools derive every quantity from
stock, and the language has no per-SKU listing field.`,
		Args: argsExactly("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := exceptionID(args[0])
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				e, err := st.Exception(cmd.Context(), id)
				if err != nil {
					return notFound(err, id)
				}
				switch {
				case e.Status == store.StatusResolved:
					return fmt.Errorf("exception %d is resolved already", id)
				case e.Code != plan.CodeDrift:
					return fmt.Errorf("exception %d is %s, not drift: only a value changed on a channel can be adopted", id, e.Code)
				}
				note, err := a.adopt(cmd.Context(), e, at, noCommit)
				if err != nil {
					return err
				}
				if e.Action == string(spec.DriftCorrect) {
					a.note("The drift policy corrects the %s on %s: until this is merged and applied, the next apply sets %s back.\n", e.Field, e.Channel, e.Expected)
				}
				kept := note
				if e.Note != "" {
					kept = e.Note + "; " + note // an earlier acknowledgement's words stay
				}
				if err := st.Acknowledge(cmd.Context(), id, kept); err != nil {
					return fmt.Errorf("%w (the spec was %s all the same)", notFound(err, id), note)
				}
				_, err = fmt.Fprintf(a.env.Stdout, "Exception %d acknowledged: %s.\n", id, note)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "check the edited spec at this time (RFC 3339, or local to the spec's time zone); default now")
	cmd.Flags().BoolVar(&noCommit, "no-commit", false, "edit the spec file in place; make no branch and no commit")
	return cmd
}

// adopt writes the drift e into the spec, commits it on a branch when the
// spec is in a git repository (unless noCommit), and returns the note that
// says where it went.
func (a *app) adopt(ctx context.Context, e store.Exception, at string, noCommit bool) (string, error) {
	vars, err := a.varMap()
	if err != nil {
		return "", err
	}
	opts := spec.Options{Dir: a.dir, Types: a.registry(), Vars: vars, LookupEnv: a.env.LookupEnv, Campaigns: a.campaignFS()}
	var repo *source.Repo
	why := "--no-commit"
	if !noCommit {
		repo, err = source.Open(a.dir)
		switch {
		case errors.Is(err, source.ErrNoRepository):
			why = "the spec directory is not in a git repository"
		case err != nil:
			return "", err
		}
	}
	var (
		fsys   fs.FS
		head   *source.Commit
		branch string
		rel    string
	)
	if repo != nil {
		if rel, err = repo.Rel(a.dir); err != nil {
			return "", err
		}
		if head, branch, err = repo.Head(); err != nil {
			return "", fmt.Errorf("%w: adopt commits on top of HEAD; make a first commit, or adopt with --no-commit", err)
		}
		if fsys, err = head.FS(rel); err != nil {
			return "", fmt.Errorf("the spec directory is not committed at HEAD (%w): commit it, or adopt with --no-commit", err)
		}
	} else {
		if diags := spec.CheckDir(a.dir); diags.HasErrors() {
			a.printDiags(diags, nil)
			return "", exitError{ExitError}
		}
		fsys = os.DirFS(a.dir)
	}
	base, diags := spec.Load(fsys, opts)
	if diags.HasErrors() {
		a.printDiags(diags, sourcesOf(base))
		if repo != nil {
			return "", fmt.Errorf("the spec at HEAD (%s) does not load; adopt edits it as committed", head.Short())
		}
		return "", exitError{ExitError}
	}
	t, err := a.instant(at, base.Settings.Timezone)
	if err != nil {
		return "", err
	}
	d := edit.Drift{Channel: e.Channel, SKU: e.SKU, Field: e.Field, Observed: e.Observed, Expected: e.Expected}
	ad, err := edit.Keep(ctx, base, fsys, opts, d, t)
	var le *edit.LoadError
	if errors.As(err, &le) {
		a.printDiags(le.Diags, le.Sources)
		return "", errors.New("the edited spec would not load; nothing was changed")
	}
	if err != nil {
		return "", fmt.Errorf("exception %d: %w; nothing was changed", e.ID, err)
	}

	inRepo := path.Join(rel, ad.File.Name)
	var name, email, newBranch string
	if repo != nil {
		// Every reason to refuse before anything is said or written.
		if same, err := repo.Unchanged(head, inRepo); err != nil {
			return "", err
		} else if !same {
			return "", fmt.Errorf("%s has changes that are not committed: commit or stash them first (adopt commits on top of HEAD and leaves your working tree as it is), or adopt with --no-commit to edit the file in place; nothing was changed", ad.File.Display)
		}
		if name, email, err = repo.Identity(a.env.LookupEnv); err != nil {
			return "", err
		}
		newBranch = adoptBranch(e.ID, e.SKU)
		if repo.HasBranch(newBranch) {
			return "", fmt.Errorf("branch %s exists already: exception %d was adopted before (git branch -D %s to adopt it again); nothing was changed", newBranch, e.ID, newBranch)
		}
	}

	pr := newPrinter(a.env.Stdout)
	pr.printf("Exception %d: the %s of %s on %s was changed on the channel to %s; the spec derived %s.\n", e.ID, e.Field, e.SKU, e.Channel, e.Observed, e.Expected)
	pr.printf("%s:%d: %s.\n", ad.File.Display, ad.File.Line, ad.File.What)
	for _, m := range ad.Also {
		pr.printf("  This also moves %s.\n", m)
	}
	if pr.err != nil {
		return "", pr.err
	}
	if repo == nil {
		file := filepath.Join(a.dir, filepath.FromSlash(ad.File.Name))
		info, err := os.Stat(file)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(file, ad.File.After, info.Mode().Perm()); err != nil {
			return "", fmt.Errorf("write %s: %w", file, err)
		}
		pr.printf("Edited %s in place, not committed (%s).\n", file, why)
		return fmt.Sprintf("adopted in %s, not committed", ad.File.Display), pr.err
	}
	c, err := repo.CommitOnBranch(source.NewCommit{
		Branch:  newBranch,
		Parent:  head,
		Files:   map[string][]byte{inRepo: ad.File.After},
		Message: adoptMessage(e, ad, inRepo),
		Author:  source.Signature{Name: name, Email: email, When: a.env.Now()},
	})
	if err != nil {
		return "", err
	}
	from := branch
	if from == "" {
		from = "a detached HEAD"
	}
	pr.printf("Committed %s on the new branch %s, from %s (%s); your checkout is as it was.\n", c.Short(), newBranch, from, head.Short())
	pr.printf("Ready for a pull request:\n  git push -u origin %s\n", newBranch)
	return fmt.Sprintf("adopted in %s %s", newBranch, c.Short()), pr.err
}

// adoptBranch is the branch an adopted exception is committed on:
// accord/adopt-ID-SKU, with what a git branch name cannot hold in the SKU
// made a dash.
func adoptBranch(id int64, sku string) string {
	var b strings.Builder
	for _, r := range sku {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return fmt.Sprintf("accord/adopt-%d-%s", id, strings.Trim(b.String(), "-"))
}

// adoptMessage is the commit message of an adoption: what was kept and
// why, then the exception's particulars, one a line.
func adoptMessage(e store.Exception, ad *edit.Adoption, file string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Keep the %s of %s on %s that was set on the channel: %s\n\n", e.Field, e.SKU, e.Channel, e.Observed)
	fmt.Fprintf(&b, "The %s of %s on %s was changed outside accord, from the spec's %s to %s,\n", e.Field, e.SKU, e.Channel, e.Expected, e.Observed)
	fmt.Fprintf(&b, "and the team keeps it: %s now holds %s.\n", file, ad.File.What)
	if len(ad.Also) > 0 {
		b.WriteString("\nThis also moves:\n")
		for _, m := range ad.Also {
			fmt.Fprintf(&b, "  %s\n", m)
		}
	}
	fmt.Fprintf(&b, "\nException: %d\nCode: %s\nChannel: %s\nSKU: %s\nField: %s\nObserved: %s\nExpected: %s\n",
		e.ID, e.Code, e.Channel, e.SKU, e.Field, e.Observed, e.Expected)
	b.WriteString("\nAdopted with accord exceptions adopt.\n")
	return b.String()
}

// sourcesOf is a spec's sources, for diagnostics' snippets; nil for no spec.
func sourcesOf(s *spec.Spec) map[string][]byte {
	if s == nil {
		return nil
	}
	return s.Sources
}

func (a *app) forceUnlockCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "force-unlock LEASE_ID",
		Short: "Remove the state's lease held by an apply that is gone",
		Long: `force-unlock removes the lease an apply holds on the state, for a process that
ended without releasing it on another machine (on the same machine, a lease
whose process has ended is taken over at once). The ID is in the message of the
apply that was refused. Removing the lease of an apply that is still running
makes it stop sending at its next renewal.`,
		Args: argsExactly("LEASE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(st *store.Store) error {
				l, err := st.CurrentLease(cmd.Context())
				if err != nil {
					return err
				}
				if err := st.ForceUnlock(cmd.Context(), args[0]); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						if l == nil {
							return fmt.Errorf("no lease %s: the state is not locked", args[0])
						}
						return fmt.Errorf("no lease %s: the state is locked by %s as lease %s", args[0], l.Owner, l.ID)
					}
					return err
				}
				_, err = fmt.Fprintf(a.env.Stdout, "Lease %s of %s removed.\n", l.ID, l.Owner)
				return err
			})
		},
	}
}
