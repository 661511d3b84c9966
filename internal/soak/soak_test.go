package soak

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/clustertest"
	"github.com/quarrydata/quarry/internal/miniotest"
)

// quarryBin is the quarry binary built once by TestMain.
var quarryBin string

// TestMain builds cmd/quarry into a temporary folder, runs the tests and
// removes it.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "quarry-soak-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if quarryBin, err = clustertest.BuildQuarry(dir); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 1
	}
	return m.Run()
}

// needMinIO skips outside CI when bin/minio is not installed (make test
// installs it first); in CI a missing server fails in miniotest.Start.
func needMinIO(t *testing.T) {
	if miniotest.Binary() == "" && os.Getenv("CI") == "" {
		t.Skip("bin/minio not installed: run `make deps` to run the soak (skipped outside CI)")
	}
}

// TestSoak is the fault-injection suite (issue 7): SOAK_SECONDS of jobs
// of every type under a seeded schedule of every fault, then the
// invariants. It fails on any violation, naming the job and what differs;
// the table and the seed are printed either way.
func TestSoak(t *testing.T) {
	needMinIO(t)
	cfg, err := FromEnv(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(t, quarryBin, cfg)
	table := rep.Table()
	t.Log("\n" + table)
	fmt.Print(table)
	if len(rep.Violations) > 0 {
		t.Errorf("%d violations (replay with %s=%d):\n%s", len(rep.Violations), EnvSeed, rep.Seed, strings.Join(rep.Violations, "\n"))
	}
}

// TestSoakCatchesBrokenRetry shows that the suite can fail: with the
// coordinators' test fault switch dropping every retry, a short run of
// busy-worker kills must end with a violation (jobs that never end).
func TestSoakCatchesBrokenRetry(t *testing.T) {
	needMinIO(t)
	cfg, err := FromEnv(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Duration = 15 * time.Second
	cfg.Faults = []FaultKind{KillWorker}
	cfg.Gap = [2]time.Duration{2 * time.Second, 3 * time.Second}
	// Dead past the lease, so the leader loses its attempts for good.
	cfg.WorkerDown = [2]time.Duration{leaseTTL + 3*time.Second, leaseTTL + 4*time.Second}
	cfg.Stall = 15 * time.Second
	cfg.CoordinatorEnv = []string{coordinator.EnvTestFault + "=" + coordinator.TestFaultSkipRetry}
	rep := Run(t, quarryBin, cfg)
	t.Log("\n" + rep.Table())
	if len(rep.Violations) == 0 {
		t.Fatalf("violations with %s=%s: got none; want the suite to catch the broken retry path", coordinator.EnvTestFault, coordinator.TestFaultSkipRetry)
	}
	caught := false
	for _, v := range rep.Violations {
		caught = caught || strings.Contains(v, "did not end")
	}
	if !caught {
		t.Errorf("violations: got %q; want a job that did not end", rep.Violations)
	}
}
