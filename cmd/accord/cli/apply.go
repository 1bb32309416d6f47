package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/accordhq/accord/controller"
	"github.com/accordhq/accord/controller/plan"
)

func (a *app) applyCommand() *cobra.Command {
	var at string
	var autoApprove, force bool
	var maxAttempts int
	var backoff time.Duration
	var sel filter
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Push the plan's changes to the channels",
		Long: `apply makes the channels hold what the spec asks for. Without PLANFILE it plans
first, shows the plan and asks for "yes" (on a terminal; --auto-approve elsewhere).
With PLANFILE (from accord plan --out) it applies exactly that plan, and refuses it
when the spec has changed since or when a value one of its changes touches has
moved on the channel.

Changes go out in a safe order, in batches of each channel's size, paced to its
rate limit and retried with backoff; every batch is journaled before and after,
so an apply that was killed is completed by the next one without sending
anything twice. The spec's guard block stops large or drastic plans unless
--force is given. Exit status 1 if any change failed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, done, err := a.controller(ctx)
			if err != nil {
				return err
			}
			defer done()
			if r, err := c.Recover(ctx); err != nil {
				return fmt.Errorf("settle an interrupted apply: %w", err)
			} else if r.Batches > 0 {
				batches := fmt.Sprintf("%d batches", r.Batches)
				if r.Batches == 1 {
					batches = "1 batch"
				}
				a.note("Settled an interrupted apply: %s journaled, %d found on the channels and recorded, %d not found (planned again).\n",
					batches, r.Landed, r.Lost)
			}
			var p *plan.Plan
			if len(args) == 1 {
				if at != "" || len(sel.channels) > 0 || len(sel.skus) > 0 {
					return errors.New("a saved plan is applied as it is: --at, --channel and --sku belong to accord plan")
				}
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				p, err = plan.ReadJSON(f)
				if err = errors.Join(err, f.Close()); err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				if err := c.CheckSaved(ctx, p); err != nil {
					return err
				}
			} else {
				if p, err = a.makePlan(ctx, c, at, sel); err != nil {
					return err
				}
			}
			out := bufio.NewWriter(a.env.Stdout)
			if err := writePlanText(out, c.Spec, p, a.colorOn(a.env.Stdout)); err != nil {
				return err
			}
			if err := out.Flush(); err != nil {
				return err
			}
			if p.Empty() {
				return c.RecordExceptions(ctx, p)
			}
			if len(p.Blocked) > 0 && !force {
				return fmt.Errorf("refusing to apply: the plan breaks the spec's guards (see above); review it, then apply --force to go ahead")
			}
			if len(args) == 0 && !autoApprove {
				ok, err := a.confirm()
				if err != nil {
					return err
				}
				if !ok {
					if _, err := fmt.Fprintln(a.env.Stdout, "Apply cancelled."); err != nil {
						return err
					}
					return exitError{ExitError}
				}
			}
			progress, finish := a.progress(len(p.Changes))
			rep, err := c.Apply(ctx, p, controller.ApplyOptions{Force: force, Progress: progress, MaxAttempts: maxAttempts, InitialBackoff: backoff})
			finish()
			if rep != nil {
				pr := newPrinter(a.env.Stdout)
				pr.printf("\n%s%s.\n", strings.ToUpper(rep.Summary()[:1]), rep.Summary()[1:])
				for i, f := range rep.Failed {
					if i == 10 {
						pr.printf("  … and %d more (accord exceptions lists them as apply_failed)\n", len(rep.Failed)-10)
						break
					}
					pr.printf("  ! %s %s %s: %s: %s\n", f.Change.Channel, f.Change.SKU, f.Change.Field, f.Kind, f.Reason)
				}
				err = errors.Join(err, pr.err)
			}
			if err != nil {
				return err
			}
			if len(rep.Failed) > 0 {
				return exitError{ExitError}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "plan for this time (RFC 3339, or local to the spec's time zone), for rehearsals against the sandbox; default now")
	f.BoolVar(&autoApprove, "auto-approve", false, "apply without asking")
	f.BoolVar(&force, "force", false, "apply a plan that breaks the spec's guards")
	f.IntVar(&maxAttempts, "max-attempts", 8, "send a failing change at most this many times")
	f.DurationVar(&backoff, "backoff", 500*time.Millisecond, "first wait before a retry; it doubles, with jitter, up to 30s (a longer Retry-After wins)")
	sel.flags(cmd)
	return cmd
}

// confirm asks for "yes" on a terminal.
func (a *app) confirm() (bool, error) {
	in, ok := a.env.Stdin.(*os.File)
	if !ok || !isTerminal(in) {
		return false, errors.New("apply asks for confirmation on a terminal; pass --auto-approve to apply without one")
	}
	if _, err := fmt.Fprint(a.env.Stdout, "\nApply these changes? Only 'yes' is accepted: "); err != nil {
		return false, err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	return strings.TrimSpace(line) == "yes", nil
}

// progress returns a progress callback that draws a bar on a terminal.
func (a *app) progress(total int) (func(int), func()) {
	if !isTerminal(a.env.Stderr) || total < 1 {
		return nil, func() {}
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(a.env.Stderr),
		progressbar.OptionSetDescription("applying"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionEnableColorCodes(a.colorOn(a.env.Stderr)),
	)
	var mu sync.Mutex
	return func(n int) {
			mu.Lock()
			_ = bar.Add(n)
			mu.Unlock()
		}, func() {
			_ = bar.Finish()
		}
}
