package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
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
it. show, ack and resolve act on one by its ID.`,
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
	cmd.AddCommand(a.exceptionShow(), a.exceptionAck(), a.exceptionResolve())
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
