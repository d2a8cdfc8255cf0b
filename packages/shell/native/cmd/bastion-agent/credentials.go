package main

import (
	"fmt"
	"runtime"
	"syscall"
)

// The agent runs as root in the container, with only CAP_SETUID, CAP_SETGID and
// CAP_KILL, so that the user's own processes can neither signal, ptrace nor read it,
// nor reach its sockets (docs/shell/agent-trust.md). Every command it starts runs as
// the user the broker names in R, never as root: setuid from root clears every
// capability, and no-new-privileges keeps the command from gaining any back.

// credentialFor is how the command of req runs: as the requested user when the agent
// is root, and as the agent itself otherwise (an agent run as the user, as in tests),
// which then must be the user requested, if any.
func credentialFor(req request, euid int) (*syscall.Credential, error) {
	if euid != 0 {
		if req.UID != nil && *req.UID != euid {
			return nil, fmt.Errorf("the request names uid %d, but the agent runs as uid %d: %w", *req.UID, euid, syscall.EPERM)
		}
		return nil, nil
	}
	if req.UID == nil || req.GID == nil {
		return nil, fmt.Errorf("the request names no user: %w", syscall.EPERM)
	}
	if *req.UID <= 0 || *req.GID < 0 {
		return nil, fmt.Errorf("the request names uid %d gid %d; commands never run as root: %w", *req.UID, *req.GID, syscall.EPERM)
	}
	groups := make([]uint32, 0, len(req.Groups))
	for _, g := range req.Groups {
		if g < 0 {
			return nil, fmt.Errorf("the request names group %d: %w", g, syscall.EINVAL)
		}
		groups = append(groups, uint32(g))
	}
	return &syscall.Credential{Uid: uint32(*req.UID), Gid: uint32(*req.GID), Groups: groups}, nil
}

// asOwner runs open (which makes the command's pty or pipes) so that what it makes
// belongs to the command's user, as sshd's are: devpts gives a new pty, and pipefs a
// new pipe, the fsuid of its creator, and the user could not reopen their own stdin
// (/dev/stdin, /proc/self/fd/0) or terminal if root owned them. fsuid is per thread,
// so the thread is locked meanwhile. Setting it back to 0 cannot fail with CAP_SETUID,
// which is not among the fs capabilities a nonzero fsuid drops.
func asOwner(cred *syscall.Credential, open func() error) error {
	if cred == nil {
		return open()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_ = syscall.Setfsuid(int(cred.Uid)) // the kernel returns the old fsuid, never an error
	defer func() { _ = syscall.Setfsuid(0) }()
	return open()
}
