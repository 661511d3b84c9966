package clustertest

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"

	"github.com/quarrydata/quarry/internal/testenv"
)

// BuildQuarry builds cmd/quarry into dir and returns the binary's path. A
// test binary calls it once in TestMain and starts every child from it.
func BuildQuarry(dir string) (string, error) {
	root, ok := testenv.RepoRoot()
	if !ok {
		return "", errors.New("build quarry: repository root (go.mod) not found")
	}
	bin := filepath.Join(dir, "quarry")
	// go test puts its own GOROOT/bin first on PATH.
	build := exec.Command("go", "build", "-o", bin, "./cmd/quarry")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build quarry: %w\n%s", err, out)
	}
	return bin, nil
}
