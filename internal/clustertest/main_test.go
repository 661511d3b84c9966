package clustertest

import (
	"fmt"
	"os"
	"testing"
)

// quarryBin is the quarry binary built for this test binary by TestMain.
var quarryBin string

// TestMain builds cmd/quarry once into a temporary folder, runs the tests
// and removes it.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "quarry-clustertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clustertest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if quarryBin, err = BuildQuarry(dir); err != nil {
		fmt.Fprintln(os.Stderr, "clustertest:", err)
		return 1
	}
	return m.Run()
}
