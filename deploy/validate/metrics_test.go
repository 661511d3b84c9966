package validate

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the repository root, two folders up from deploy/validate.
var repoRoot = filepath.Join("..", "..")

// deployPath returns a path under deploy/.
func deployPath(p ...string) string {
	return filepath.Join(append([]string{repoRoot, "deploy"}, p...)...)
}

// readFile reads a file or fails the test.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var (
	catalogOnce sync.Once
	catalog     *Catalog
	catalogErr  error

	quarryOnce sync.Once
	quarryBin  string
	quarryErr  error
	quarryDir  string
)

// exported returns the catalog of exported metrics, built once.
func exported(t *testing.T) *Catalog {
	t.Helper()
	catalogOnce.Do(func() { catalog, catalogErr = ExportedMetrics(repoRoot) })
	if catalogErr != nil {
		t.Fatal(catalogErr)
	}
	return catalog
}

// quarry returns the path of the quarry binary built from this checkout
// (once, into a temporary folder), to check the deploy files' flags.
func quarry(t *testing.T) string {
	t.Helper()
	quarryOnce.Do(func() {
		quarryBin = filepath.Join(quarryDir, "quarry")
		cmd := exec.Command("go", "build", "-C", repoRoot, "-o", quarryBin, "./cmd/quarry")
		if out, err := cmd.CombinedOutput(); err != nil {
			quarryErr = fmt.Errorf("go build ./cmd/quarry: %w\n%s", err, out)
		}
	})
	if quarryErr != nil {
		t.Fatal(quarryErr)
	}
	return quarryBin
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quarry-validate-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	quarryDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestSourcesCoverRegistries checks that the source scan finds every
// quarry_* family the real registries export, so the families it adds
// (those a registry shows only after a first observation) are found the
// same way.
func TestSourcesCoverRegistries(t *testing.T) {
	c := exported(t)
	src, err := sourceFamilies(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	quarryNames := 0
	for _, n := range c.Names() {
		if !strings.HasPrefix(n, "quarry_") {
			continue
		}
		quarryNames++
		if _, ok := src[n]; !ok {
			t.Errorf("family %s is exported but not found in the sources", n)
		}
	}
	if quarryNames < 30 {
		t.Errorf("got %d quarry_ families; want at least 30", quarryNames)
	}
	for _, want := range []string{"go_goroutines", "process_resident_memory_bytes", "quarry_coordinator_task_duration_seconds"} {
		if !c.Has(want) {
			t.Errorf("catalog has no %s", want)
		}
	}
}

func TestCatalogHas(t *testing.T) {
	c := exported(t)
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"quarry_coordinator_queue_depth", true},
		{"quarry_coordinator_task_duration_seconds_bucket", true},
		{"quarry_coordinator_task_duration_seconds_sum", true},
		{"quarry_crmapi_requests_total", true},
		{"quarry_crmapi_requests_total_bucket", false},  // a counter has no buckets
		{"quarry_coordinator_queue_depth_count", false}, // nor a gauge
		{"quarry_coordinator_queue_depths", false},      // misspelt
		{"quarry_worker_lease_renewals", false},         // counter without _total
		{"go_gc_duration_seconds_count", true},          // a summary
		{"go_gc_duration_seconds_bucket", false},        // a summary has no buckets
		{"quarry_worker_read_throughput_bytes_per_second_bucket", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Has(tc.name); got != tc.want {
				t.Errorf("Has(%q): got %v; want %v", tc.name, got, tc.want)
			}
		})
	}
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr    string
		want    string
		wantErr bool
	}{
		{`sum(rate(a_total[$__rate_interval]))`, "a_total", false},
		{`histogram_quantile(0.9, sum by (le) (rate(b_bucket{route=~"$route"}[5m]))) / c`, "b_bucket c", false},
		{`{__name__="d", x="y"}`, "d", false},
		{`up == 0 and on () vector(1)`, "up", false},
		{`sum(rate(a_total[5m])`, "", true},
		{`rate(a_total)`, "", true},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := MetricNames(tc.expr)
			if (err != nil) != tc.wantErr {
				t.Fatalf("MetricNames(%q): got error %v; want error %v", tc.expr, err, tc.wantErr)
			}
			if g := strings.Join(got, " "); !tc.wantErr && g != tc.want {
				t.Errorf("MetricNames(%q): got %q; want %q", tc.expr, g, tc.want)
			}
		})
	}
}
