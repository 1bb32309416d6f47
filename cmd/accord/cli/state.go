package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/accordhq/accord/controller/store"
	"github.com/accordhq/accord/spec"
)

func (a *app) stateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Look after the state database: start a new one on purpose",
		Long: `The state database (--state, default .accord/state.db in the spec directory) is
accord's history: the value it last applied to each field, the apply journal, the
audit log and the exceptions. apply creates it the first time. Every command
refuses one that is empty or not accord's, and one that a killed process left
damaged, rather than start a new history silently: without it, drift on the
channels cannot be told from accord's own changes, and the next apply overwrites
it. init starts a new history when that is what you want.`,
	}
	cmd.AddCommand(a.stateInit())
	return cmd
}

func (a *app) stateInit() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a new state database on purpose: a new history",
		Long: `init creates a new, empty state database at --state (default .accord/state.db in
the spec directory): where there is none, or in place of an empty file. Where
there is one already, or any other file, it refuses unless --force is given; with
--force it first moves the file aside to PATH.bak-TIME (TIME in UTC, as
20260301T093000Z), with its -wal and -shm files when they are there, under names
that SQLite opens together again. A backup is never overwritten.

A new history knows nothing of what accord applied before: the next plan sets
every field that differs from the spec, as a change of the spec, whatever the
channels' drift policies say.`,
		Args: argsBetween(0, 0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// With the default --state, the spec directory must exist, as
			// for every command: a mistyped --dir creates nothing.
			if a.state == "" {
				if diags := spec.CheckDir(a.dir); diags.HasErrors() {
					a.printDiags(diags, nil)
					return exitError{ExitError}
				}
			}
			path := a.statePath()
			res, err := store.Init(cmd.Context(), path, a.env.Now, force)
			pr := newPrinter(a.env.Stdout)
			// What was moved is said even when what follows failed.
			if len(res.Moved) > 0 {
				pr.printf("Moved %s aside:\n", res.Found)
				for _, m := range res.Moved {
					pr.printf("  %s -> %s\n", m.From, m.To)
				}
			}
			if errors.Is(err, store.ErrExists) {
				return fmt.Errorf("%w; --force moves it aside to %s.bak-TIME and starts a new history", err, path)
			} else if err != nil {
				return err
			}
			if res.Found == store.FoundEmpty || res.Found == store.FoundBlank {
				pr.printf("Created a new state database at %s, in place of %s.\n", path, res.Found)
			} else {
				pr.printf("Created a new state database at %s.\n", path)
			}
			if res.Found != store.FoundNothing {
				pr.printf("It holds no history: the next plan sets every field that differs from the spec.\n")
			}
			return pr.err
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "move an existing database (or any other file at --state) aside to PATH.bak-TIME and start a new one")
	return cmd
}
