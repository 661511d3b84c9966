package names

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"retail", true}, {"a.b_c-1", true}, {strings.Repeat("a", 128), true},
		{"", false}, {".hidden", false}, {"../x", false}, {"a/b", false}, {"%2e%2e", false},
		{"/abs", false}, {"a\x00", false}, {strings.Repeat("a", 129), false}, {"é", false},
	} {
		if got := Valid(tc.s); got != tc.want {
			t.Errorf("Valid(%q): got %v; want %v", tc.s, got, tc.want)
		}
	}
}

func TestQuoteShort(t *testing.T) {
	if got := QuoteShort("a\nb"); got != `"a\nb"` {
		t.Errorf("short: got %s; want %q", got, "a\nb")
	}
	long := strings.Repeat("x", 4096)
	got := QuoteShort(long)
	if len(got) > 100 || !strings.Contains(got, "(4096 bytes)") {
		t.Errorf("long: got %s; want the first 64 bytes and the length", got)
	}
}
