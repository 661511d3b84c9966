package crmapi

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/quarrydata/quarry/internal/tokens"
)

// Scope is a set of permissions a token grants.
type Scope uint8

// The scopes. ScopeAdmin implies ScopeRead.
const (
	// ScopeRead allows every GET /v1 route and POST /v1/recommendations.
	ScopeRead Scope = 1 << iota
	// ScopeAdmin allows the /v1/admin routes, and everything ScopeRead does.
	ScopeAdmin
)

// String names the scope as the token file does ("read", "admin",
// "read,admin"; "" for none).
func (sc Scope) String() string {
	var names []string
	if sc&ScopeRead != 0 {
		names = append(names, "read")
	}
	if sc&ScopeAdmin != 0 {
		names = append(names, "admin")
	}
	return strings.Join(names, ",")
}

// MinTokenLength is the shortest token accepted, in bytes. GenerateToken
// makes 43.
const MinTokenLength = tokens.MinLength

// TokensEnv is the environment variable the commands read tokens from, in
// the format of ParseTokens (entries separated by newlines or ";").
const TokensEnv = "QUARRY_CRM_TOKENS"

// Tokens is an immutable set of bearer tokens, each with a name and
// scopes. It keeps only the SHA-256 of each token, never the token
// itself, so neither printing nor logging a Tokens can reveal one.
type Tokens struct {
	s tokens.Set[Scope]
}

// scopeVocabulary is the scopes' names in token files.
var scopeVocabulary = tokens.Vocabulary[Scope]{Kind: "scope", Want: "read or admin", Parse: parseScope}

// parseScope returns the scopes named s: admin implies read.
func parseScope(s string) (Scope, bool) {
	switch s {
	case "read":
		return ScopeRead, true
	case "admin":
		return ScopeAdmin | ScopeRead, true
	}
	return 0, false
}

// GenerateToken returns a new random token: 32 bytes from crypto/rand,
// base64url without padding (43 characters).
func GenerateToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("crmapi: generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// AdminToken returns Tokens holding the single token secret, named name
// ("admin" when empty), with scope admin (and so read). It is what
// `quarry dev` serves with.
func AdminToken(secret, name string) (*Tokens, error) {
	if name == "" {
		name = "admin"
	}
	var t Tokens
	if err := t.add(secret, name, ScopeAdmin|ScopeRead); err != nil {
		return nil, fmt.Errorf("crmapi: token %q: %w", name, err)
	}
	return &t, nil
}

// ParseTokens reads tokens, one entry per line or ";"-separated:
//
//	token scope[,scope] [name]
//
// Scopes are read and admin (admin implies read). The name, used in logs
// and rate limiting in place of the token, defaults to "token-N" with N
// the entry's number (from 1). Blank entries and entries starting with
// "#" are ignored. Tokens must be at least MinTokenLength bytes; a token or
// name given twice is an error. Errors name the entry, never the token.
func ParseTokens(r io.Reader) (*Tokens, error) {
	set, err := tokens.Parse(r, scopeVocabulary)
	if err != nil {
		return nil, fmt.Errorf("crmapi tokens: %w", err)
	}
	return &Tokens{s: *set}, nil
}

// ReadTokensFile reads a token file in the format of ParseTokens.
func ReadTokensFile(path string) (*Tokens, error) {
	set, err := tokens.ReadFile(path, scopeVocabulary)
	if err != nil {
		return nil, fmt.Errorf("crmapi tokens: %w", err)
	}
	return &Tokens{s: *set}, nil
}

// add adds a token, refusing short and duplicate ones.
func (t *Tokens) add(secret, name string, scopes Scope) error {
	return t.s.Add(secret, name, scopes)
}

// Len returns the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return t.s.Len()
}

// Names returns the tokens' names in order.
func (t *Tokens) Names() []string {
	if t == nil {
		return nil
	}
	out := make([]string, t.s.Len())
	for i := range out {
		out[i], _ = t.s.Entry(i)
	}
	return out
}

// String describes the tokens by their names and scopes.
func (t *Tokens) String() string {
	if t == nil {
		return "no tokens"
	}
	return t.s.Describe(Scope.String)
}

// LogValue logs the tokens' names and scopes.
func (t *Tokens) LogValue() slog.Value { return slog.StringValue(t.String()) }

// lookup returns the index of the token secret, or -1, comparing in
// constant time (tokens.Set.Index).
func (t *Tokens) lookup(secret string) int { return t.s.Index(secret) }

// Lookup returns the name and scopes of the token secret, and whether it
// is one of t's.
func (t *Tokens) Lookup(secret string) (name string, scopes Scope, ok bool) {
	if t == nil {
		return "", 0, false
	}
	return t.s.Lookup(secret)
}
