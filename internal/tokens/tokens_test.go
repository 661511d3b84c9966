package tokens

import (
	"strings"
	"testing"
)

type perm uint8

var vocab = Vocabulary[perm]{Kind: "scope", Want: "read or admin", Parse: func(s string) (perm, bool) {
	switch s {
	case "read":
		return 1, true
	case "admin":
		return 3, true
	}
	return 0, false
}}

const (
	secretA = "aaaaaaaaaaaaaaaaaaaaaaaa"
	secretB = "bbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in, err string
	}{
		{"ok", "# comment\n" + secretA + " read alice;" + secretB + " admin", ""},
		{"empty", "\n# nothing\n", "no token"},
		{"fields", secretA, "entry 1: got 1 fields; want: token scope[,scope] [name]"},
		{"short", "abc read", `entry 1: token "token-1" shorter than 16 bytes`},
		{"unknown", secretA + " write", `entry 1: unknown scope "write"; want read or admin`},
		{"swapped", "read " + secretA, "entry 1: second field is not a scope list (a token in the wrong field?)"},
		{"twice", secretA + " read a\n" + secretA + " admin b", `entry 2: token "b" is the same as "a"`},
		{"name twice", secretA + " read a\n" + secretB + " admin a", `entry 2: name "a" given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(strings.NewReader(tc.in), vocab)
			if tc.err == "" {
				if err != nil || s.Len() != 2 {
					t.Fatalf("got %v, %v; want 2 tokens", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got error %v; want one with %q", err, tc.err)
			}
			if strings.Contains(err.Error(), secretA) {
				t.Errorf("error %q shows a token", err)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	s, err := Parse(strings.NewReader(secretA+" read alice\n"+secretB+" admin"), vocab)
	if err != nil {
		t.Fatal(err)
	}
	if name, p, ok := s.Lookup(secretB); !ok || name != "token-2" || p != 3 {
		t.Errorf("Lookup(b): got %q, %d, %v; want token-2, 3, true", name, p, ok)
	}
	if i := s.Index(secretA); i != 0 {
		t.Errorf("Index(a): got %d; want 0", i)
	}
	long := strings.Repeat("x", 200) // past the stack buffer
	for _, bad := range []string{"", secretA[:20], long} {
		if _, _, ok := s.Lookup(bad); ok {
			t.Errorf("Lookup(%q): got ok; want not found", bad)
		}
	}
	var none *Set[perm]
	if none.Index(secretA) != -1 || none.Len() != 0 || none.Describe(nil) != "no tokens" {
		t.Error("nil set: want no tokens")
	}
	if got := s.Describe(func(p perm) string { return map[perm]string{1: "read", 3: "admin"}[p] }); got != "2 tokens (alice:read token-2:admin)" {
		t.Errorf("Describe: got %q", got)
	}
}
