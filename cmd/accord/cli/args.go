package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// The checks of a command's positional arguments: each names what is
// missing or too many, with the usage line, instead of cobra's "accepts 1
// arg(s), received 0".

// argsExactly wants exactly the named arguments.
func argsExactly(names ...string) cobra.PositionalArgs {
	return argsBetween(len(names), len(names), names...)
}

// argsBetween wants from min to max arguments (max < 0: any number), named
// by names (the last name repeats when max < 0).
func argsBetween(minimum, maximum int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < minimum:
			missing := names[len(args):minimum]
			return fmt.Errorf("missing %s\nUsage: %s", strings.Join(missing, " and "), cmd.UseLine())
		case maximum >= 0 && len(args) > maximum:
			if maximum == 0 {
				return unknownCommand(cmd, args[0])
			}
			return fmt.Errorf("%q is one argument too many: %s takes %s\nUsage: %s", args[maximum], cmd.CommandPath(), strings.Join(names[:maximum], " "), cmd.UseLine())
		}
		return nil
	}
}

// unknownCommand refuses an argument where a command takes none, or a
// subcommand that does not exist, with a did-you-mean.
func unknownCommand(cmd *cobra.Command, arg string) error {
	if !cmd.HasSubCommands() {
		return fmt.Errorf("%s takes no arguments, and %q was given\nUsage: %s", cmd.CommandPath(), arg, cmd.UseLine())
	}
	msg := fmt.Sprintf("unknown command %q for %q", arg, cmd.CommandPath())
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	} else {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		msg += "; its commands are " + strings.Join(names, ", ")
	}
	return fmt.Errorf("%s\nRun '%s --help' for usage", msg, cmd.CommandPath())
}

// tidy goes over the command tree: a command with subcommands refuses an
// unknown one (exit 1, with did-you-mean) instead of printing its help and
// exiting 0, so that a script never believes a mistyped command ran; a
// command without its own argument check takes none.
func tidy(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		tidy(c)
	}
	if cmd.Args == nil {
		cmd.Args = argsBetween(0, 0)
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra sets it on the root alone
	}
	if cmd.HasSubCommands() && cmd.RunE == nil && cmd.Run == nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return c.Help()
			}
			return unknownCommand(c, args[0])
		}
	}
}
