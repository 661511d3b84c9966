package tokens

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MinLength is the shortest token accepted, in bytes.
const MinLength = 16

// Perms is a permission bit set: a server's roles or scopes.
type Perms interface{ ~uint8 }

// Set is an immutable set of tokens, each with a name and permissions P.
// It keeps only the SHA-256 of each token, never the token itself, so
// neither printing nor logging a Set can reveal one.
type Set[P Perms] struct {
	entries []entry[P]
}

// entry is one token: the hash of its secret, its name (the only thing
// logged about it) and its permissions.
type entry[P Perms] struct {
	hash  [sha256.Size]byte
	name  string
	perms P
}

// Vocabulary is a server's permission names in token files.
type Vocabulary[P Perms] struct {
	// Kind is what a name is called in errors: "role", "scope".
	Kind string
	// Want lists the names for errors: "read or admin".
	Want string
	// Parse returns the permissions of one name of a token file's second
	// field, and false for an unknown name.
	Parse func(name string) (P, bool)
}

// Parse reads a token file: one entry per line or ";"-separated,
//
//	token perm[,perm] [name]
//
// with the permission names of v. The name, logged in place of the token, defaults to "token-N"
// with N the entry's number (from 1). Blank entries and entries starting
// with "#" are ignored. A token must be at least MinLength bytes with no
// space or control character; a token or name given twice is an error.
// Errors name the entry, never a token, even one written in the wrong
// field.
func Parse[P Perms](r io.Reader, v Vocabulary[P]) (*Set[P], error) {
	var s Set[P]
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		for e := range strings.SplitSeq(sc.Text(), ";") {
			n++
			if err := s.parseEntry(e, n, v); err != nil {
				return nil, fmt.Errorf("entry %d: %w", n, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(s.entries) == 0 {
		return nil, errors.New("no token")
	}
	return &s, nil
}

// ReadFile reads the token file path in the format of Parse; errors name
// the file.
func ReadFile[P Perms](path string, v Vocabulary[P]) (*Set[P], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := Parse(f, v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// parseEntry adds entry number n.
func (s *Set[P]) parseEntry(e string, n int, v Vocabulary[P]) error {
	fields := strings.Fields(e)
	if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
		return nil
	}
	if len(fields) < 2 || len(fields) > 3 {
		return fmt.Errorf("got %d fields; want: token %s[,%s] [name]", len(fields), v.Kind, v.Kind)
	}
	var perms P
	for name := range strings.SplitSeq(fields[1], ",") {
		p, ok := v.Parse(name)
		if !ok {
			if len(name) >= MinLength {
				// Long enough to be a token written in the wrong place:
				// never echo it.
				return fmt.Errorf("second field is not a %s list (a token in the wrong field?); want %s", v.Kind, v.Want)
			}
			return fmt.Errorf("unknown %s %q; want %s", v.Kind, name, v.Want)
		}
		perms |= p
	}
	name := fmt.Sprintf("token-%d", n)
	if len(fields) == 3 {
		name = fields[2]
	}
	return s.Add(fields[0], name, perms)
}

// Add adds a token, refusing short, malformed and duplicate ones. Use it
// only while building a set, before serving with it.
func (s *Set[P]) Add(secret, name string, perms P) error {
	if len(secret) < MinLength {
		return fmt.Errorf("token %q shorter than %d bytes", name, MinLength)
	}
	if strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("token %q holds a space or control character", name)
	}
	h := sha256.Sum256([]byte(secret))
	for _, e := range s.entries {
		if e.name == name {
			return fmt.Errorf("name %q given twice", name)
		}
		if e.hash == h {
			return fmt.Errorf("token %q is the same as %q", name, e.name)
		}
	}
	s.entries = append(s.entries, entry[P]{hash: h, name: name, perms: perms})
	return nil
}

// Len returns the number of tokens.
func (s *Set[P]) Len() int {
	if s == nil {
		return 0
	}
	return len(s.entries)
}

// Entry returns the name and permissions of token i (0 ≤ i < Len).
func (s *Set[P]) Entry(i int) (name string, perms P) {
	return s.entries[i].name, s.entries[i].perms
}

// Describe describes the tokens by their names and permissions, e.g.
// "2 tokens (alice:analyst root:admin)".
func (s *Set[P]) Describe(perms func(P) string) string {
	if s == nil {
		return "no tokens"
	}
	parts := make([]string, len(s.entries))
	for i, e := range s.entries {
		parts[i] = e.name + ":" + perms(e.perms)
	}
	return fmt.Sprintf("%d tokens (%s)", len(s.entries), strings.Join(parts, " "))
}

// Index returns the index of the token secret, or -1. It hashes secret
// and compares the hash with every token's in constant time, without
// stopping at a match, so its time depends on neither the length nor a
// prefix of any token.
func (s *Set[P]) Index(secret string) int {
	if s == nil {
		return -1
	}
	var buf [128]byte // spares a heap copy for tokens up to its size
	in := buf[:0]
	if len(secret) > len(buf) {
		in = make([]byte, 0, len(secret))
	}
	h := sha256.Sum256(append(in, secret...))
	found := -1
	for i := range s.entries {
		eq := subtle.ConstantTimeCompare(h[:], s.entries[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	return found
}

// Lookup returns the name and permissions of the token secret, and
// whether it is one of the set's.
func (s *Set[P]) Lookup(secret string) (name string, perms P, ok bool) {
	i := s.Index(secret)
	if i < 0 {
		return "", 0, false
	}
	name, perms = s.Entry(i)
	return name, perms, true
}
