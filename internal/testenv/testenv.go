// Package testenv finds the data that tests read: the repository's own
// testdata/ folder, which a fresh clone always has, and the shared real
// datasets that sit beside the repository on development and CI machines.
package testenv

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// EnvDatasets names the variable that points at the shared datasets folder.
const EnvDatasets = "QUARRY_DATASETS"

// RepoRoot returns the repository root: the nearest ancestor of the working
// directory that holds go.mod.
func RepoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// FindSharedDatasets returns the shared datasets folder: $QUARRY_DATASETS, or
// shared/datasets beside the repository root. ok is false when neither exists.
func FindSharedDatasets() (dir string, ok bool) {
	if d := os.Getenv(EnvDatasets); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, true
		}
		return "", false
	}
	root, found := RepoRoot()
	if !found {
		return "", false
	}
	d := filepath.Join(filepath.Dir(root), "shared", "datasets")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d, true
	}
	return "", false
}

// SharedDatasets returns the shared datasets folder or skips the test with a
// message saying how to provide it.
func SharedDatasets(t testing.TB) string {
	t.Helper()
	d, ok := FindSharedDatasets()
	if !ok {
		t.Skip("shared datasets not found beside the repository; set " + EnvDatasets + " to run this test")
	}
	return d
}

// Shared returns the path of one shared dataset file, skipping the test when
// the shared folder or the file is absent.
func Shared(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(SharedDatasets(t), name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared dataset %s not found: %v", name, err)
	}
	return p
}

// Path returns the path of a file in the repository's own testdata/ folder.
// It fails the test when the file is missing: a clean clone always has it.
func Path(t testing.TB, name string) string {
	t.Helper()
	root, ok := RepoRoot()
	if !ok {
		t.Fatal("repository root (go.mod) not found from the working directory")
	}
	p := filepath.Join(root, "testdata", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testdata file %s: %v", name, err)
	}
	return p
}

// ReadFIMI reads a FIMI basket file for tests and benchmarks in packages
// that cannot import the project's parsers (algorithms/ imports nothing of
// storage/): one transaction per line, item ids separated by blanks, an
// empty line an empty transaction, items in file order. It fails the test
// on a malformed line. Commands use storage/format.ReadFIMI instead.
func ReadFIMI(tb testing.TB, path string) [][]uint32 {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var txs [][]uint32
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<26)
	for sc.Scan() {
		tx := []uint32{}
		for _, w := range strings.Fields(sc.Text()) {
			v, err := strconv.ParseUint(w, 10, 32)
			if err != nil {
				tb.Fatalf("%s:%d: item %q: %v", path, len(txs)+1, w, err)
			}
			tx = append(tx, uint32(v))
		}
		txs = append(txs, tx)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s:%d: %v", path, len(txs)+1, err)
	}
	return txs
}
