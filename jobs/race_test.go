//go:build race

package jobs

// raceEnabled is true under the race detector, which slows the dense
// mushroom cases tenfold; they run in the plain test.
const raceEnabled = true
