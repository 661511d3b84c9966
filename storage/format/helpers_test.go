package format

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

// gz compresses s.
func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wantLineError checks that err is a *LineError at line naming field, whose
// message holds every fragment of want.
func wantLineError(t *testing.T, err error, object string, line int, field string, want ...string) {
	t.Helper()
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("got error %v (%T); want a *LineError", err, err)
	}
	if le.Object != object || le.Line != line || le.Field != field {
		t.Errorf("got object %q line %d field %q; want %q %d %q (%v)", le.Object, le.Line, le.Field, object, line, field, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("got message %q; want it to contain %q", err.Error(), w)
		}
	}
}

// longLine is a reader of one line of n bytes of 'x' followed by a newline
// and tail, produced without holding it in memory.
func longLine(n int, tail string) io.Reader {
	return io.MultiReader(io.LimitReader(repeatReader('1'), int64(n)), strings.NewReader("\n"+tail))
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}
