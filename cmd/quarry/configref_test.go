package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the code")

// TestConfigReference regenerates the configuration reference and fails
// when docs/configuration.md differs: run with -update after changing a
// flag.
func TestConfigReference(t *testing.T) {
	// Defaults come from these variables: the reference shows the code's.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "QUARRY_") || strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "MINIO_") {
			t.Setenv(k, "")
		}
	}
	var got bytes.Buffer
	if err := writeConfigReference(&got, newRootCmd()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "configuration.md")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it: go test ./cmd/quarry -run TestConfigReference -update)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("docs/configuration.md is out of date with the flags: go test ./cmd/quarry -run TestConfigReference -update")
	}
}
