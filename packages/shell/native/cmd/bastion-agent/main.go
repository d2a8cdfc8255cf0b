// bastion-agent is the main process of every user's container: it serves the sessions
// the broker hands it, starting each command itself instead of a `docker exec` per
// session. It runs as root in the container, with only CAP_SETUID, CAP_SETGID and
// CAP_KILL, out of the reach of the user's processes, and starts every command as the
// user (credentials.go, docs/shell/agent-trust.md). docs/shell/protocol.md, "Broker and
// agent", is the contract.
//
// Its own failures must never take the container down with it (Docker stops a
// container whose main process exits), so it exits only when it cannot watch its
// directory; everything else is one session's problem.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	flags := flag.NewFlagSet("bastion-agent", flag.ContinueOnError)
	flags.SetOutput(stderr)
	dir := flags.String("dir", "/run/bastion-agent", "the directory the broker puts session sockets in")
	// The broker starts a root agent with this flag: an agent too old to run commands
	// as the user each request names does not know it and exits, so its container
	// never runs a user's command as root (credentials.go).
	_ = flags.Bool("as-requested-user", false, "run each command as the user its request names (the broker's containers always pass it)")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // asked for: install.sh checks that the binary runs this way
		}
		return 2
	}
	if flags.NArg() != 0 {
		fmt.Fprintf(stderr, "bastion-agent: unexpected arguments: %q\n", flags.Args())
		return 2
	}
	// Docker's log pipe could break; a broken fd 2 must not kill the agent. Notify,
	// not Ignore: an ignored signal stays ignored in every command the agent starts.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	closeOnExecInherited()
	reserveThreads()

	logger := log.New(stderr, "bastion-agent: ", 0)
	a := &agent{dir: *dir, log: logger, reaper: startReaper()}
	err := watch(*dir, logger, func(name string) { go a.serve(name) })
	logger.Printf("cannot watch %s: %v", *dir, err)
	return 1
}
