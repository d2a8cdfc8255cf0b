package frame

// The JSON payloads whose shape is the same on every hop. The request (R) is not here:
// the client's and the agent's differ, and each program declares the one it speaks.

// HelloPayload is H: the uid the client claims.
type HelloPayload struct {
	V   int `json:"v"`
	UID int `json:"uid"`
}

// ProvePayload is P: the one-time socket that proves the client's uid, and whether
// the client is to ask the person for their reason (shell.reason: "off", "optional" or
// "required"; empty, from an older broker, means off).
type ProvePayload struct {
	Path   string `json:"path"`
	Reason string `json:"reason,omitempty"`
}

// StartedPayload is S: the command's pid in the container.
type StartedPayload struct {
	PID int `json:"pid"`
}

// FailedPayload is F: why the command could not start. Errno is the error's C name,
// such as "EAGAIN" (the container's PID limit) or "ENOENT".
type FailedPayload struct {
	Error string `json:"error"`
	Errno string `json:"errno"`
}

// ResizePayload is W: the terminal's new size.
type ResizePayload struct {
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}

// ExitPayload is X: the session's exit status.
type ExitPayload struct {
	Code int `json:"code"`
}
