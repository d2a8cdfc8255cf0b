package main

import (
	"reflect"
	"testing"
)

// requestFor runs a login with args and env and returns the R the broker got.
func requestFor(t *testing.T, args []string, env []string) clientRequest {
	t.Helper()
	b := newFakeBroker(t)
	c := startClient(t, append([]string{"--socket", b.socket}, args...), env)
	session, req := b.login()
	session.exit(0)
	c.wait(t)
	return req
}

func TestOnlyTermLangAndLocaleTravelInEnv(t *testing.T) {
	req := requestFor(t, nil, []string{
		"TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=en_US.UTF-8", "LC_TIME=C",
		"LD_PRELOAD=/tmp/evil.so", "NODE_OPTIONS=--require /tmp/evil.js", "IAM_ROLE=admin",
		"PATH=/usr/bin", "HOME=/root", "LC_ctype=lower", "LC_=empty", "XLC_ALL=x",
		"LC_MESSAGES=two\nlines", "LCALL=x",
	})
	want := map[string]string{"TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "en_US.UTF-8", "LC_TIME": "C"}
	if !reflect.DeepEqual(req.Env, want) {
		t.Fatalf("env %v, want %v", req.Env, want)
	}
}

func TestEnvIsAnEmptyObjectWhenNothingQualifies(t *testing.T) {
	if req := requestFor(t, nil, []string{"PATH=/bin"}); req.Env == nil || len(req.Env) != 0 {
		t.Fatalf("env %v, want {}", req.Env)
	}
}

func TestDashCSendsTheCommand(t *testing.T) {
	req := requestFor(t, []string{"-c", "ls -l 'a b'"}, []string{"SSH_ORIGINAL_COMMAND=other"})
	if req.Command == nil || *req.Command != "ls -l 'a b'" {
		t.Fatalf("command %v", req.Command)
	}
}

func TestSSHOriginalCommandIsUsedWithoutArguments(t *testing.T) {
	req := requestFor(t, nil, []string{"SSH_ORIGINAL_COMMAND=rsync --server ."})
	if req.Command == nil || *req.Command != "rsync --server ." {
		t.Fatalf("command %v", req.Command)
	}
}

func TestEmptySSHOriginalCommandMeansAnInteractiveLogin(t *testing.T) {
	if req := requestFor(t, nil, []string{"SSH_ORIGINAL_COMMAND="}); req.Command != nil {
		t.Fatalf("command %q, want null", *req.Command)
	}
}

func TestSSHConnectionIsSentOrNull(t *testing.T) {
	req := requestFor(t, nil, []string{"SSH_CONNECTION=10.0.0.5 51234 10.0.0.1 22"})
	if req.SSHConnection == nil || *req.SSHConnection != "10.0.0.5 51234 10.0.0.1 22" {
		t.Fatalf("sshConnection %v", req.SSHConnection)
	}
	if req := requestFor(t, nil, nil); req.SSHConnection != nil {
		t.Fatalf("sshConnection %q, want null", *req.SSHConnection)
	}
}
