package format

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// oracleLines splits s the slow way: on "\n", dropping one "\r" before it,
// with no line after a final "\n".
func oracleLines(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, "\n")
	if strings.HasSuffix(s, "\n") {
		parts = parts[:len(parts)-1]
	}
	for i, p := range parts {
		parts[i] = strings.TrimSuffix(p, "\r")
	}
	return parts
}

func TestLineReaderMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\r\n\n ")
	for iter := 0; iter < 3000; iter++ {
		n := rng.IntN(80)
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		max := 1 + rng.IntN(20)
		var r io.Reader = bytes.NewReader(b)
		if iter%2 == 1 {
			r = iotest.OneByteReader(r)
		}
		lr := newLineReader(r, max)
		want := oracleLines(string(b))
		for i := 0; ; i++ {
			line, tooLong, err := lr.next()
			if errors.Is(err, io.EOF) {
				if i != len(want) {
					t.Fatalf("input %q cap %d: got %d lines; want %d", b, max, i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if i >= len(want) {
				t.Fatalf("input %q: got more than %d lines", b, len(want))
			}
			if tooLong != (len(want[i]) > max) || (!tooLong && string(line) != want[i]) {
				t.Fatalf("input %q cap %d line %d: got %q (too long %v); want %q", b, max, i+1, line, tooLong, want[i])
			}
			if lr.line != i+1 {
				t.Fatalf("got line number %d; want %d", lr.line, i+1)
			}
		}
	}
}

func TestLineGuard(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 2000; iter++ {
		n := rng.IntN(60)
		b := make([]byte, n)
		for i := range b {
			b[i] = "xy\n"[rng.IntN(3)]
		}
		max := 1 + rng.IntN(10)
		got, err := io.ReadAll(newLineGuard(iotest.HalfReader(bytes.NewReader(b)), max, "g"))
		// Oracle: the first line longer than max+1 bytes before its '\n'.
		bad := 0
		for i, l := range strings.Split(string(b), "\n") {
			if len(l) > max+1 {
				bad = i + 1
				break
			}
		}
		if bad == 0 {
			if err != nil || !bytes.Equal(got, b) {
				t.Fatalf("input %q cap %d: got %q, %v; want the input back", b, max, got, err)
			}
			continue
		}
		var le *LineError
		if !errors.As(err, &le) || le.Line != bad || !bytes.HasPrefix(b, got) {
			t.Fatalf("input %q cap %d: got %q, %v; want a prefix and an error at line %d", b, max, got, err, bad)
		}
	}
}
