package crmapi

import (
	"encoding/base64"
	"strings"
	"testing"
)

const (
	secretRead  = "read-token-0123456789abcdef"
	secretAdmin = "admin-token-0123456789abcdef"
)

func TestParseTokens(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // Tokens.String()
	}{
		{"no trailing comments", "# tokens\n\n" + secretRead + " read shop\n  " + secretAdmin + "\tadmin ops # ignored?\n", ""},
		{"names default", secretRead + " read\n" + secretAdmin + " read,admin\n", "2 tokens (token-1:read token-2:read,admin)"},
		{"env separators", secretRead + " read shop;" + secretAdmin + " admin ops; ;#x", "2 tokens (shop:read ops:read,admin)"},
		{"admin implies read", secretAdmin + " admin ops", "1 tokens (ops:read,admin)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, err := ParseTokens(strings.NewReader(tt.in))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("got %v; want an error (four fields)", toks)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := toks.String(); got != tt.want {
				t.Errorf("got %s; want %s", got, tt.want)
			}
		})
	}
}

func TestParseTokensErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "# nothing\n\n", "no token"},
		{"short", "abc read", "shorter than 16"},
		{"one field", secretRead, "got 1 fields"},
		{"four fields", secretRead + " read a b", "got 4 fields"},
		{"unknown scope", secretRead + " write", `unknown scope "write"`},
		{"empty scope", secretRead + " read,", `unknown scope ""`},
		{"duplicate token", secretRead + " read a\n" + secretRead + " admin b", `entry 2: token "b" is the same as "a"`},
		{"duplicate name", secretRead + " read a\n" + secretAdmin + " admin a", `entry 2: name "a" given twice`},
		{"control character", "read-token-0123\x01456789 read", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, err := ParseTokens(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, %v; want an error with %q", toks, err, tt.want)
			}
			for _, s := range []string{secretRead, secretAdmin, "read-token-0123"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q reveals a token", err)
				}
			}
		})
	}
}

func TestGenerateToken(t *testing.T) {
	a, err := GenerateToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateToken()
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 || len(a) != 43 {
		t.Errorf("got %q (%d bytes decoded, %v); want 43 base64url characters of 32 bytes", a, len(raw), err)
	}
	if a == b {
		t.Errorf("two tokens equal: %q", a)
	}
	toks, err := AdminToken(a, "")
	if err != nil {
		t.Fatal(err)
	}
	if name, sc, ok := toks.Lookup(a); !ok || name != "admin" || sc != ScopeRead|ScopeAdmin {
		t.Errorf("got %q %v %v; want admin read,admin true", name, sc, ok)
	}
	if _, err := AdminToken("short", "dev"); err == nil {
		t.Error("AdminToken accepted a 5-byte token")
	}
}

func TestLookup(t *testing.T) {
	toks, err := ParseTokens(strings.NewReader(secretRead + " read shop\n" + secretAdmin + " admin ops\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		secret, name string
		scopes       Scope
	}{
		{secretRead, "shop", ScopeRead},
		{secretAdmin, "ops", ScopeRead | ScopeAdmin},
		{"", "", 0},
		{secretRead[:len(secretRead)-1], "", 0},
		{secretRead + "x", "", 0},
		{strings.ToUpper(secretRead), "", 0},
		{" " + secretRead, "", 0},
	}
	for _, tt := range tests {
		name, sc, ok := toks.Lookup(tt.secret)
		if name != tt.name || sc != tt.scopes || ok != (tt.name != "") {
			t.Errorf("Lookup(%q) = %q, %v, %v; want %q, %v", tt.secret, name, sc, ok, tt.name, tt.scopes)
		}
	}
	var none *Tokens
	if _, _, ok := none.Lookup(secretRead); ok || none.Len() != 0 {
		t.Error("nil Tokens found a token")
	}
	if s := toks.String(); strings.Contains(s, secretRead) || strings.Contains(s, secretAdmin) {
		t.Errorf("String %q reveals a token", s)
	}
}
