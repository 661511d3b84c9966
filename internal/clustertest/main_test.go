package clustertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

// quarryBin is the quarry binary built for this test binary by TestMain.
var quarryBin string

// TestMain builds cmd/quarry once into a temporary folder, runs the tests
// and removes it.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, ok := testenv.RepoRoot()
	if !ok {
		fmt.Fprintln(os.Stderr, "clustertest: repository root (go.mod) not found")
		return 1
	}
	dir, err := os.MkdirTemp("", "quarry-clustertest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clustertest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	quarryBin = filepath.Join(dir, "quarry")
	// go test puts its own GOROOT/bin first on PATH.
	build := exec.Command("go", "build", "-o", quarryBin, "./cmd/quarry")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "clustertest: build quarry: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}
