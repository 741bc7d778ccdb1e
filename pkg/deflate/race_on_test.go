//go:build race

package deflate

// raceEnabled shrinks the test inputs under the (slow) race detector.
const raceEnabled = true
