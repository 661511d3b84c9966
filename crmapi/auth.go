package crmapi

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
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
const MinTokenLength = 16

// TokensEnv is the environment variable the commands read tokens from, in
// the format of ParseTokens (entries separated by newlines or ";").
const TokensEnv = "QUARRY_CRM_TOKENS"

// Tokens is an immutable set of bearer tokens, each with a name and
// scopes. It keeps only the SHA-256 of each token, never the token
// itself, so neither printing nor logging a Tokens can reveal one.
type Tokens struct {
	entries []tokenEntry
}

// tokenEntry is one token: the SHA-256 of its secret, its name (the only
// thing logged about it) and its scopes.
type tokenEntry struct {
	hash   [sha256.Size]byte
	name   string
	scopes Scope
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
	var t Tokens
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		for entry := range strings.SplitSeq(sc.Text(), ";") {
			n++
			if err := t.parseEntry(entry, n); err != nil {
				return nil, fmt.Errorf("crmapi tokens: entry %d: %w", n, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("crmapi tokens: %w", err)
	}
	if len(t.entries) == 0 {
		return nil, errors.New("crmapi tokens: no token")
	}
	return &t, nil
}

// ReadTokensFile reads a token file in the format of ParseTokens.
func ReadTokensFile(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("crmapi tokens: %w", err)
	}
	defer f.Close()
	t, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// parseEntry adds the entry number n.
func (t *Tokens) parseEntry(entry string, n int) error {
	fields := strings.Fields(entry)
	if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
		return nil
	}
	if len(fields) < 2 || len(fields) > 3 {
		return fmt.Errorf("got %d fields; want: token scope[,scope] [name]", len(fields))
	}
	var scopes Scope
	for s := range strings.SplitSeq(fields[1], ",") {
		switch s {
		case "read":
			scopes |= ScopeRead
		case "admin":
			scopes |= ScopeAdmin | ScopeRead
		default:
			return fmt.Errorf("unknown scope %q; want read or admin", s)
		}
	}
	name := fmt.Sprintf("token-%d", n)
	if len(fields) == 3 {
		name = fields[2]
	}
	return t.add(fields[0], name, scopes)
}

// add adds a token, refusing short and duplicate ones.
func (t *Tokens) add(secret, name string, scopes Scope) error {
	if len(secret) < MinTokenLength {
		return fmt.Errorf("token shorter than %d bytes", MinTokenLength)
	}
	if strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("token holds a space or control character")
	}
	h := sha256.Sum256([]byte(secret))
	for _, e := range t.entries {
		if e.name == name {
			return fmt.Errorf("name %q given twice", name)
		}
		if e.hash == h {
			return fmt.Errorf("same token as %q", e.name)
		}
	}
	t.entries = append(t.entries, tokenEntry{hash: h, name: name, scopes: scopes})
	return nil
}

// Len returns the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Names returns the tokens' names in order.
func (t *Tokens) Names() []string {
	if t == nil {
		return nil
	}
	out := make([]string, len(t.entries))
	for i, e := range t.entries {
		out[i] = e.name
	}
	return out
}

// String describes the tokens by their names and scopes.
func (t *Tokens) String() string {
	if t == nil {
		return "no tokens"
	}
	parts := make([]string, len(t.entries))
	for i, e := range t.entries {
		parts[i] = e.name + ":" + e.scopes.String()
	}
	return fmt.Sprintf("%d tokens (%s)", len(t.entries), strings.Join(parts, " "))
}

// LogValue logs the tokens' names and scopes.
func (t *Tokens) LogValue() slog.Value { return slog.StringValue(t.String()) }

// lookup returns the index of the token secret, or -1. It hashes secret
// and compares the hash with every token's in constant time, without
// stopping at a match, so its time depends on neither the length nor a
// prefix of any token.
func (t *Tokens) lookup(secret string) int {
	var buf [128]byte // spares a copy on the heap for tokens up to its size
	in := buf[:0]
	if len(secret) > len(buf) {
		in = make([]byte, 0, len(secret))
	}
	h := sha256.Sum256(append(in, secret...))
	found := -1
	for i := range t.entries {
		eq := subtle.ConstantTimeCompare(h[:], t.entries[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	return found
}

// Lookup returns the name and scopes of the token secret, and whether it
// is one of t's.
func (t *Tokens) Lookup(secret string) (name string, scopes Scope, ok bool) {
	if t == nil {
		return "", 0, false
	}
	i := t.lookup(secret)
	if i < 0 {
		return "", 0, false
	}
	return t.entries[i].name, t.entries[i].scopes, true
}
