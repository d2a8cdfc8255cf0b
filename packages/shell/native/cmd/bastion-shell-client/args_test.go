package main

import (
	"strings"
	"testing"
)

func TestBadArgumentsPrintTheUsageMessageAndExit125(t *testing.T) {
	socket := "/nonexistent/broker.sock" // never reached: arguments are checked first
	for _, args := range [][]string{
		{"--socket", socket, "-x"},
		{"--socket", socket, "-c"},
		{"--socket", socket, "-c", "ls", "extra"},
		{"--socket", socket, "ls"},
		{"--socket", socket, "--", "-c", "ls"},
		{"--socket", socket, "-l"},
		{"-c", "ls", "--socket", socket},
		{"--socket"},
		{"--socket", "", "-c", "ls"},
		{"-c", "ls"},
		{},
	} {
		code, stdout, stderr := runClient(t, args, nil)
		if code != 125 || stdout != "" || stderr != msgUsage {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestUsageMessageIsTheDocumentedOne(t *testing.T) {
	want := "bastion: This login shell only runs interactive sessions and `-c COMMAND`. (BASTION_SHELL_USAGE)\n"
	if msgUsage != want {
		t.Fatalf("msgUsage %q", msgUsage)
	}
}

func TestHelpPrintsUsageOnStdoutAndExits0(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"--socket", "/x", "--help"}} {
		code, stdout, stderr := runClient(t, args, nil)
		if code != 0 || !strings.HasPrefix(stdout, "usage: ") || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}
