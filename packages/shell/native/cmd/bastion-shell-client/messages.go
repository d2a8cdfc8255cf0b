package main

// What the user can see from the client itself: the protocol's short messages, byte
// for byte (docs/shell/protocol.md), the --help text, and the reason prompt. Nothing else
// is ever printed.

const (
	msgBrokerUnavailable = "bastion: The session service is not running. Please tell the operators. (BASTION_SHELL_BROKER_UNAVAILABLE)\n"
	msgUsage             = "bastion: This login shell only runs interactive sessions and `-c COMMAND`. (BASTION_SHELL_USAGE)\n"
	msgInternal          = "bastion: Something went wrong on the bastion. Please tell the operators. (BASTION_SHELL_INTERNAL)\n"
	msgReasonTimeout     = "bastion: No reason for this session was given in time. (BASTION_SHELL_REASON_TIMEOUT)\n"
)

// The prompt for the reason (shell.reason), on the terminal, before the session.
const (
	reasonPromptRequired = "Reason for this session (ticket or a few words): "
	reasonPromptOptional = "Reason for this session (ticket or a few words), Enter to skip: "
)

// Exit codes of the client's own, as opposed to the session's.
const (
	codeBrokerUnavailable = 125
	codeUsage             = 125
	codeReasonTimeout     = 125
	codeInternal          = 255
	// codeOutputBroken is what a shell reports for a process that SIGPIPE killed.
	codeOutputBroken = 128 + 13
)

const helpText = `usage: bastion-shell [-c COMMAND]

The login shell of the bastion: it runs your session in your own container.
Without arguments it starts an interactive login; with -c it runs COMMAND
(this is how ssh host COMMAND, scp, sftp and rsync reach it).
`
