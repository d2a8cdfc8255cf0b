// bastion-shell-client is every bastion user's login shell. sshd starts it as the user
// (through a small sh wrapper that passes --socket first); it proves the user's uid to
// the root-owned broker, hands over the session request, and then only relays bytes
// and signals until the broker sends the exit status. docs/shell/protocol.md, "Client
// and broker", is the contract.
//
// It must never print anything but the protocol's short messages, and it must put the
// user's terminal back on every way out, so every exit goes through client.exit.
package main

import (
	"net"
	"os"
	"sync"
)

func main() {
	c := &client{}
	c.run(os.Args[1:]) // argv[0] may be "-bastion-shell" (a login shell); it means nothing here
}

// client is the state every way out has to undo.
type client struct {
	mu      sync.Mutex
	restore func() error // puts the terminal back; nil until raw mode is on
	conn    net.Conn     // closed on exit so that the broker ends the session at once
}

func (c *client) run(args []string) {
	dieWithParent(c)
	exitOnSignals(c)
	opts, err := parseArgs(args)
	if err != nil {
		c.exit(codeUsage, msgUsage)
	}
	if opts.help {
		if _, err := os.Stdout.WriteString(helpText); err != nil {
			c.exit(codeOutputBroken, "")
		}
		c.exit(0, "")
	}
	conn, reasonMode := c.connect(opts.socket)
	term := openTerminal()
	req := newRequest(opts.command, os.Environ(), term)
	if askReason(reasonMode, req) {
		reason, answered := promptReason(os.Stdin, os.Stdout, reasonMode, reasonPromptTimeout)
		if !answered {
			_, _ = os.Stdout.WriteString("\n")
			c.exit(codeReasonTimeout, msgReasonTimeout)
		}
		req.Reason = reason
		size := currentSize() // the terminal may have been resized meanwhile
		req.Cols, req.Rows = int(size.Cols), int(size.Rows)
	}
	session := newSession(c, conn, term)
	session.start(req)
	session.relayOutput()
}

func (c *client) setConn(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = conn
}

func (c *client) setRestore(restore func() error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.restore = restore
}

// exit is the only way the client ends: terminal first (so that the message is not
// printed in raw mode), then the connection, then the message. It holds the lock until
// the process is gone, so a signal racing a normal exit cannot interleave with it.
func (c *client) exit(code int, message string) {
	c.mu.Lock()
	if c.restore != nil {
		_ = c.restore() // nothing better to do if the terminal is already gone
	}
	if c.conn != nil {
		_ = c.conn.Close()
	}
	if message != "" {
		_, _ = os.Stderr.WriteString(message)
	}
	os.Exit(code)
}
