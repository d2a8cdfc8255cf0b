package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
)

// The broker forwards the client's input and its end as they come, so it may still be
// writing when the command has already exited. Those writes must succeed (the agent
// only half-closes after X), or the broker's socket would fail with EPIPE and could
// drop the output and the X it has not read yet.
func TestABrokerStillWritingAfterTheCommandExitedLosesNothing(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	b := offer(t, dir, sh("echo hi"))
	b.started()
	time.Sleep(300 * time.Millisecond) // the command is long gone, its X already sent
	for i := 0; i < 20; i++ {
		b.send(frame.Stdin, []byte("late input\n"))
	}
	b.send(frame.StdinEOF, nil)
	b.sendJSON(frame.Resize, frame.ResizePayload{Cols: 100, Rows: 30})
	r := b.collect()
	if string(r.stdout) != "hi\n" || r.code != 0 {
		t.Fatalf("stdout %q code %d, want \"hi\\n\" and 0", r.stdout, r.code)
	}
}

func TestHelpPrintsTheFlagsAndExitsZero(t *testing.T) {
	out, err := exec.Command(agentBinary, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v", err)
	}
	if !strings.Contains(string(out), "-dir") {
		t.Fatalf("--help printed %q, want the -dir flag", out)
	}
	if err := exec.Command(agentBinary, "--no-such-flag").Run(); err == nil {
		t.Fatal("an unknown flag must fail")
	}
}
