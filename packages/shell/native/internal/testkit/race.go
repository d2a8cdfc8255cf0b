//go:build race

package testkit

// Race makes RunWithBinary build the binary with the race detector too.
const Race = true

// RaceEnv makes a race in the binary fail its test (exit status 66), without the
// detector's usual second of sleep at every exit.
var RaceEnv = []string{"GORACE=atexit_sleep_ms=0 halt_on_error=1"}
