package main

import "testing"

func TestExitCodeOfTheCommandComesBackInX(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	if got := runSession(t, dir, sh("exit 42")).code; got != 42 {
		t.Fatalf("code %d, want 42", got)
	}
}

func TestCommandKilledBySignal9ExitsWith137(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	if got := runSession(t, dir, sh("kill -9 $$")).code; got != 137 {
		t.Fatalf("code %d, want 137", got)
	}
}
