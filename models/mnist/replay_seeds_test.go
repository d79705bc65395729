//go:build !fidelity

package mnist

// replaySeeds is how many of the kept runs of the original the classifier
// replay replays: the default go test ./... replays the first seed (about
// two minutes on two cores, most of it evaluation); go test -tags fidelity
// every kept seed.
const replaySeeds = 1
