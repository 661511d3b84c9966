package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCRMTokens checks where quarry crmapi takes its tokens from and that
// it refuses to start without any unless told --no-auth.
func TestCRMTokens(t *testing.T) {
	t.Setenv("QUARRY_CRM_TOKENS", "")
	var ue usageError
	if _, err := crmTokens("", false); !errors.As(err, &ue) {
		t.Errorf("no tokens: got %v; want a usage error", err)
	}
	if tok, err := crmTokens("", true); tok != nil || err != nil {
		t.Errorf("--no-auth: got %v, %v; want no tokens", tok, err)
	}
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("# ops\nread-0123456789abcdef read app\nadmin-0123456789abcdef admin ops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := crmTokens(file, false); err != nil || tok.Len() != 2 {
		t.Errorf("--tokens-file: got %v, %v; want 2 tokens", tok, err)
	}
	if _, err := crmTokens(file, true); !errors.As(err, &ue) {
		t.Errorf("--no-auth with a tokens file: got %v; want a usage error", err)
	}
	t.Setenv("QUARRY_CRM_TOKENS", "short read")
	_, err := crmTokens("", false)
	if err == nil || strings.Contains(err.Error(), "short read") {
		t.Errorf("a short token in QUARRY_CRM_TOKENS: got %v; want an error that does not echo it", err)
	}
	t.Setenv("QUARRY_CRM_TOKENS", "env-0123456789abcdef read")
	if tok, err := crmTokens("", false); err != nil || tok.Len() != 1 {
		t.Errorf("QUARRY_CRM_TOKENS: got %v, %v; want 1 token", tok, err)
	}
}
