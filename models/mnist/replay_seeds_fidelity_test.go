//go:build fidelity

package mnist

// replaySeeds: every kept run of the original (see replay_seeds_test.go).
const replaySeeds = 1 << 30
