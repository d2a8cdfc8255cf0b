//go:build !race

package testkit

// Race is false: the binary is built without the race detector, like the tests.
const Race = false

// RaceEnv is empty without the race detector.
var RaceEnv []string
