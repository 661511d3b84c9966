package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
)

// devArgs are the arguments of quarry dev on free loopback ports over dir.
func devArgs(dir string, extra ...string) []string {
	return append([]string{"dev", "--data-dir", dir, "--etcd-client-addr", "0",
		"--grpc-addr", "127.0.0.1:0", "--raft-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--crm-addr", "127.0.0.1:0"}, extra...)
}

// TestDevDemo runs the demo twice on one data folder: the first run imports
// the sample and bootstraps raft, the second resumes both; each prints the
// jobs' progress, the top rules and the segment sizes.
func TestDevDemo(t *testing.T) {
	dir := t.TempDir()
	sample := testenv.Path(t, "online-retail-sample.csv.gz")
	for i, want := range []string{"retail v1: 15015 records in 4 partitions", "dataset retail v1 already present"} {
		start := time.Now()
		out := mustRun(t, devArgs(dir, "--demo", "--exit", "--demo-input", sample)...)
		t.Logf("run %d took %v:\n%s", i+1, time.Since(start), out)
		for _, w := range []string{
			want, "quarry dev: etcd http://127.0.0.1:", "2 workers",
			"submitted job demo-rules-", "submitted job demo-segments-", "submitted job demo-sequences-",
			"submitted job demo-model-", "sequential patterns; the longest:", "model published: models/retail/v", "CRM API serves it: curl -H 'Authorization: Bearer ", "token (admin): ",
			"stage 1 ", "succeeded after", "rules; top 5 by lift:", "} => {", "lift ",
			"SET/6 RED SPOTTY PAPER", // item descriptions from the catalogue
			"4 segments:", "segment 0: ", "customers", "results: " + dir,
		} {
			if !strings.Contains(out, w) {
				t.Errorf("run %d: got output without %q; want it", i+1, w)
			}
		}
		if got := strings.Count(out, "} => {"); got != 5 {
			t.Errorf("run %d: got %d rules printed; want 5", i+1, got)
		}
	}
}

// TestDevBadFlags checks that impossible flags are usage errors.
func TestDevBadFlags(t *testing.T) {
	_, err := runOut(t, devArgs(t.TempDir(), "--workers", "0")...)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("--workers 0: got %v; want a usage error", err)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDevServesUntilCancelled starts quarry dev without --demo and checks
// it serves until its context ends, then stops cleanly.
func TestDevServesUntilCancelled(t *testing.T) {
	cmd := newRootCmd()
	cmd.SetArgs(devArgs(t.TempDir(), "--workers", "1", "--log-level", "error"))
	var out syncBuffer
	cmd.SetOut(&out)
	cmd.SetErr(new(bytes.Buffer))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "serving; interrupt to stop") {
		select {
		case err := <-done:
			t.Fatalf("quarry dev returned before serving: %v; output %q", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("output after 30s: got %q; want the serving line", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "1 workers") {
		t.Errorf("output: got %q; want it to mention 1 workers", out.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("quarry dev after cancel: got %v; want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("quarry dev still running 30s after cancel")
	}
}
