package main

import (
	"regexp"
	"strings"
)

// request is R as the client sends it (docs/shell/protocol.md, "Client and broker").
type request struct {
	Command       *string           `json:"command"`
	TTY           bool              `json:"tty"`
	Cols          int               `json:"cols"`
	Rows          int               `json:"rows"`
	Env           map[string]string `json:"env"`
	SSHConnection *string           `json:"sshConnection"`
	// The person's reason for the session, from BASTION_REASON or the prompt; the
	// broker checks it.
	Reason *string `json:"reason,omitempty"`
}

// reasonVar is the one variable, besides the locale, that sshd accepts from ssh's
// SetEnv (the shipped drop-in's AcceptEnv): `ssh -o SetEnv=BASTION_REASON=INC-123`.
const reasonVar = "BASTION_REASON"

// localeVar is LC_ALL, LC_CTYPE and the rest of the LC_* family.
var localeVar = regexp.MustCompile(`^LC_[A-Z_]+$`)

func newRequest(command *string, environ []string, term terminal) request {
	env := lookup(environ)
	req := request{
		Command: command,
		TTY:     term.tty,
		Cols:    int(term.size.Cols),
		Rows:    int(term.size.Rows),
		Env:     forwardedEnv(environ),
	}
	if req.Command == nil {
		// ForceCommand-style setups pass the user's command this way, with no -c.
		if original := env["SSH_ORIGINAL_COMMAND"]; original != "" {
			req.Command = &original
		}
	}
	if conn, ok := env["SSH_CONNECTION"]; ok {
		req.SSHConnection = &conn
	}
	if reason := env[reasonVar]; reason != "" {
		req.Reason = &reason
	}
	return req
}

// forwardedEnv keeps only the terminal type and the locale. Everything else in the
// login environment stays on the host: the broker filters again, but nothing that
// could load code (LD_PRELOAD, NODE_OPTIONS) or claim an identity should even travel.
func forwardedEnv(environ []string) map[string]string {
	env := map[string]string{}
	for name, value := range lookup(environ) {
		if name != "TERM" && name != "LANG" && !localeVar.MatchString(name) {
			continue
		}
		if strings.ContainsRune(value, '\n') {
			continue
		}
		env[name] = value
	}
	return env
}

// lookup turns KEY=VALUE entries into a map; as getenv(3) does, the first entry wins.
func lookup(environ []string) map[string]string {
	env := map[string]string{}
	for _, entry := range environ {
		name, value, ok := strings.Cut(entry, "=")
		if !ok {
			continue
		}
		if _, seen := env[name]; !seen {
			env[name] = value
		}
	}
	return env
}
