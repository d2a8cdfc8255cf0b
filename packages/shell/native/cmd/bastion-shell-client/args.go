package main

import "errors"

// options is what the command line asks for.
type options struct {
	socket  string  // the broker's socket; the installed wrapper always passes it
	command *string // nil for an interactive login
	help    bool
}

var errUsage = errors.New("usage")

// parseArgs accepts exactly the forms sshd and the wrapper use:
// [--socket PATH] ( | -c COMMAND | -h | --help ). Anything else is a usage error, so
// that a new form is a decision rather than an accident.
func parseArgs(args []string) (options, error) {
	var opts options
	if len(args) >= 2 && args[0] == "--socket" {
		opts.socket = args[1]
		args = args[2:]
	}
	switch {
	case len(args) == 1 && (args[0] == "-h" || args[0] == "--help"):
		opts.help = true
		return opts, nil
	case len(args) == 0:
	case len(args) == 2 && args[0] == "-c":
		command := args[1]
		opts.command = &command
	default:
		return opts, errUsage
	}
	if opts.socket == "" {
		return opts, errUsage
	}
	return opts, nil
}
