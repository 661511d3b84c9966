package quarryv1_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

// TestGeneratedCodeInSync regenerates the code into a scratch folder with
// scripts/proto.sh --check and fails when the committed *.pb.go files differ.
// It needs the pinned generators in bin/ (installed by `make proto`) and skips
// without them, so plain `go test` never builds buf.
func TestGeneratedCodeInSync(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: not regenerating the protocol code")
	}
	root, ok := testenv.RepoRoot()
	if !ok {
		t.Skip("repository root not found")
	}
	for _, tool := range []string{"buf", "protoc-gen-go", "protoc-gen-go-grpc"} {
		if _, err := os.Stat(filepath.Join(root, "bin", tool)); err != nil {
			t.Skipf("bin/%s not installed; run make proto to install the generators", tool)
		}
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "proto.sh"), "--check")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/proto.sh --check: %v\n%s", err, out)
	}
}
