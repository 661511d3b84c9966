package coordinator

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestHCLogAdapter(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h := newHCLogger(l, "raft").Named("net").With("peer", "n1")
	h.Debug("hidden")
	h.Info("hello", "term", 3)
	h.Warn("careful")
	out := buf.String()
	for _, want := range []string{"level=INFO msg=hello", "logger=raft.net", "peer=n1", "term=3", "level=WARN msg=careful"} {
		if !strings.Contains(out, want) {
			t.Fatalf("got %q; want it to contain %q", out, want)
		}
	}
	if strings.Contains(out, "hidden") {
		t.Fatalf("got %q; want debug lines dropped below the handler's level", out)
	}
	if h.IsDebug() || !h.IsInfo() || !h.IsError() {
		t.Fatal("Is*: got levels that disagree with the handler")
	}
	h.SetLevel(hclog.Error)
	if h.IsWarn() || h.GetLevel() != hclog.Error {
		t.Fatal("SetLevel(Error): got warn still enabled")
	}
	if got := h.Name(); got != "raft.net" {
		t.Fatalf("name: got %q; want raft.net", got)
	}
	if got := h.ImpliedArgs(); len(got) != 2 {
		t.Fatalf("implied args: got %v; want [peer n1]", got)
	}
	h.StandardLogger(nil).Print("from the standard logger")
	if !strings.Contains(buf.String(), "from the standard logger") {
		t.Fatal("standard logger: got nothing written")
	}
}

func TestHCLogFormatsFmtValues(t *testing.T) {
	var b strings.Builder
	l := newHCLogger(slog.New(slog.NewTextHandler(&b, nil)), "raft")
	l.Info("initial configuration", "index", 1, "servers", hclog.Fmt("%+v", []int{7, 8}))
	if got := b.String(); !strings.Contains(got, `servers="[7 8]"`) {
		t.Errorf("got %q; want servers=\"[7 8]\"", got)
	}
}
