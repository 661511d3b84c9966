package split_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/split"
)

// memSource is an in-memory split.Source that counts GetRange calls.
type memSource struct {
	objects map[string][]byte
	ranges  int
}

func (m *memSource) GetRange(_ context.Context, key string, off, length int64) (io.ReadCloser, error) {
	data, ok := m.objects[key]
	if !ok {
		return nil, fmt.Errorf("%s: %w", key, objstore.ErrNotFound)
	}
	if off < 0 || length < -1 {
		return nil, objstore.ErrInvalidRange
	}
	m.ranges++
	off = min(off, int64(len(data)))
	end := int64(len(data))
	if length >= 0 {
		end = min(end, off+length)
	}
	return io.NopCloser(bytes.NewReader(data[off:end])), nil
}

func (m *memSource) Attributes(_ context.Context, key string) (objstore.Attributes, error) {
	data, ok := m.objects[key]
	if !ok {
		return objstore.Attributes{}, fmt.Errorf("%s: %w", key, objstore.ErrNotFound)
	}
	return objstore.Attributes{Size: int64(len(data)), ModTime: time.Now()}, nil
}

// record is one line and its offset.
type record struct {
	off  int64
	line string
}

// oracle splits data into records by the package's definition, the slow
// obvious way.
func oracle(data []byte) []record {
	var recs []record
	start := 0
	for i := 0; i <= len(data); i++ {
		if i == len(data) || data[i] == '\n' {
			if i == len(data) && start == len(data) {
				break // no record starts at the end
			}
			line := bytes.TrimSuffix(data[start:i], []byte{'\r'})
			recs = append(recs, record{int64(start), string(line)})
			start = i + 1
		}
	}
	return recs
}

// readAll reads every split of the plan and returns the records in order,
// failing the test on an error or on a record owned by the wrong split.
func readAll(t testing.TB, src split.Source, key string, splits []split.Split) []record {
	t.Helper()
	var recs []record
	for _, s := range splits {
		lr := split.NewLineReader(context.Background(), src, key, s)
		for lr.Next() {
			if !s.Gzip && (lr.Offset() < s.Start || lr.Offset() >= s.End) {
				t.Fatalf("split %v returned a record at offset %d", s, lr.Offset())
			}
			recs = append(recs, record{lr.Offset(), string(lr.Line())})
		}
		if err := lr.Err(); err != nil {
			t.Fatalf("split %v: %v", s, err)
		}
		lr.Close()
	}
	return recs
}

// check compares the records of every split with the oracle for each
// target size.
func check(t testing.TB, data []byte, targets []int64) {
	t.Helper()
	src := &memSource{objects: map[string][]byte{"k": data}}
	want := oracle(data)
	for _, target := range targets {
		got := readAll(t, src, "k", split.Plan(int64(len(data)), target))
		if !slices.Equal(got, want) {
			t.Fatalf("target %d over %q: got %d records %v; want %d records %v",
				target, clip(data), len(got), clipRecs(got), len(want), clipRecs(want))
		}
	}
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

func clipRecs(r []record) []record {
	if len(r) > 6 {
		return r[:6]
	}
	return r
}

// allTargets returns 1..len+1 for short data, a sample otherwise.
func allTargets(n int, r *rand.Rand) []int64 {
	if n <= 64 {
		var ts []int64
		for i := int64(1); i <= int64(n)+1; i++ {
			ts = append(ts, i)
		}
		return ts
	}
	// Tiny splits over long lines cost O(n²) (each split skips the rest
	// of the line it starts in), so large inputs get a sample from 997 up.
	ts := []int64{997, int64(n) / 2, int64(n) - 1, int64(n), int64(n) + 1}
	for range 5 {
		ts = append(ts, 997+r.Int64N(int64(n)))
	}
	return ts
}

func TestRecordsExactlyOnce(t *testing.T) {
	tests := map[string]string{
		"empty":                "",
		"one newline":          "\n",
		"newlines only":        "\n\n\n",
		"no trailing newline":  "a\nbb\nccc",
		"trailing newline":     "a\nbb\nccc\n",
		"leading empty line":   "\n1 2 3\n4 5\n",
		"empty lines":          "a\n\n\nb\n\n",
		"crlf":                 "h1,h2\r\nx,y\r\n\r\nz,w\r\n",
		"crlf no trailing":     "a\r\nb\r",
		"lone cr":              "a\rb\nc\r\r\n",
		"single char":          "x",
		"one huge line":        string(bytes.Repeat([]byte("abcdefgh"), 40_000)),
		"huge line in between": "first\n" + string(bytes.Repeat([]byte("z"), 300_000)) + "\nlast",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			check(t, []byte(data), allTargets(len(data), r))
		})
	}
}

func TestRandomFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab\n\n\r,")
	for i := range 2000 {
		n := r.IntN(60)
		if i%100 == 0 {
			n = 1000 + r.IntN(4000)
		}
		data := make([]byte, n)
		for j := range data {
			data[j] = alphabet[r.IntN(len(alphabet))]
		}
		check(t, data, allTargets(n, r))
	}
}

func FuzzSplits(f *testing.F) {
	for _, seed := range []string{"", "\n", "a", "a\n", "a\r\nb", "\n\nx\n", "x\n\n", "line1\nline2\nline3"} {
		f.Add([]byte(seed), uint16(1))
		f.Add([]byte(seed), uint16(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, target uint16) {
		n := int64(len(data))
		targets := []int64{1, 2, int64(target), n, n + 1}
		if n > 0 {
			targets = append(targets, int64(target)%n+1)
		}
		check(t, data, targets)
	})
}

func TestPlan(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		size := r.Int64N(10_000)
		target := r.Int64N(size+3) - 1
		splits := split.Plan(size, target)
		if len(splits) == 0 || splits[0].Start != 0 || splits[len(splits)-1].End != size {
			t.Fatalf("Plan(%d, %d): got %v; want a cover of [0,%d)", size, target, splits, size)
		}
		for i, s := range splits {
			if s.Index != i || s.Size != size || (i > 0 && s.Start != splits[i-1].End) {
				t.Fatalf("Plan(%d, %d): split %d is %v", size, target, i, s)
			}
			if target > 0 && size > 0 && (s.End-s.Start > target || s.End <= s.Start) {
				t.Fatalf("Plan(%d, %d): split %v is empty or longer than the target", size, target, s)
			}
		}
		if target > 0 && size > 0 {
			if want := (size + target - 1) / target; int64(len(splits)) != want {
				t.Fatalf("Plan(%d, %d): got %d splits; want %d", size, target, len(splits), want)
			}
		}
	}
	// Huge sizes do not overflow size*i.
	big := split.Plan(1<<62, 1<<60)
	want := []int64{0, 1 << 60, 2 << 60, 3 << 60, 4 << 60}
	for i, s := range big {
		if s.Start != want[i] || s.End != want[i+1] {
			t.Errorf("Plan(1<<62, 1<<60): split %d is [%d,%d); want [%d,%d)", i, s.Start, s.End, want[i], want[i+1])
		}
	}
}

func TestGzipIsOneSplit(t *testing.T) {
	data := []byte("h1,h2\r\n1,2\n\n3,4")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	src := &memSource{objects: map[string][]byte{"x.csv.gz": buf.Bytes(), "sniffed": buf.Bytes()}}
	for _, key := range []string{"x.csv.gz", "sniffed"} {
		splits, err := split.PlanObject(context.Background(), src, key, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(splits) != 1 || !splits[0].Gzip {
			t.Fatalf("PlanObject(%s): got %v; want one gzip split", key, splits)
		}
		if got, want := readAll(t, src, key, splits), oracle(data); !slices.Equal(got, want) {
			t.Errorf("gzip %s: got %v; want %v", key, got, want)
		}
		h, err := split.Header(context.Background(), src, key)
		if err != nil || string(h) != "h1,h2" {
			t.Errorf("Header(%s): got %q, %v; want %q", key, h, err, "h1,h2")
		}
	}
}

func TestHeader(t *testing.T) {
	big := append([]byte("col1,col2\n"), bytes.Repeat([]byte("1,2\n"), 1<<20)...)
	src := &memSource{objects: map[string][]byte{
		"big": big, "crlf": []byte("a,b\r\nx"), "empty": nil, "nolf": []byte("only"),
	}}
	tests := []struct{ key, want string }{{"big", "col1,col2"}, {"crlf", "a,b"}, {"nolf", "only"}}
	for _, tc := range tests {
		src.ranges = 0
		h, err := split.Header(context.Background(), src, tc.key)
		if err != nil || string(h) != tc.want {
			t.Errorf("Header(%s): got %q, %v; want %q", tc.key, h, err, tc.want)
		}
		if src.ranges > 2 {
			t.Errorf("Header(%s): %d range reads; want at most 2", tc.key, src.ranges)
		}
	}
	if _, err := split.Header(context.Background(), src, "empty"); !errors.Is(err, split.ErrNoHeader) {
		t.Errorf("Header of an empty object: got %v; want ErrNoHeader", err)
	}
	if _, err := split.Header(context.Background(), src, "missing"); !objstore.IsNotFound(err) {
		t.Errorf("Header of a missing object: got %v; want not found", err)
	}
}

func TestMaxLine(t *testing.T) {
	data := []byte("short\n" + string(bytes.Repeat([]byte("x"), 1000)) + "\nshort\n")
	src := &memSource{objects: map[string][]byte{"k": data}}
	lr := split.NewLineReader(context.Background(), src, "k", split.Plan(int64(len(data)), 0)[0])
	lr.SetMaxLine(100)
	n := 0
	for lr.Next() {
		n++
	}
	if !errors.Is(lr.Err(), split.ErrLineTooLong) || n != 1 {
		t.Errorf("got %d records then %v; want 1 record then ErrLineTooLong", n, lr.Err())
	}
	lr = split.NewLineReader(context.Background(), src, "k", split.Plan(int64(len(data)), 0)[0])
	lr.SetMaxLine(1000)
	for lr.Next() {
	}
	if lr.Err() != nil {
		t.Errorf("a record of exactly the cap: got %v; want nil", lr.Err())
	}
}

func TestSplitReadsLittlePastItsEnd(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef\n"), 100_000) // 1.7 MB
	src := &memSource{objects: map[string][]byte{"k": data}}
	splits := split.Plan(int64(len(data)), 100_000)
	readAll(t, src, "k", splits)
	if src.ranges != len(splits) {
		t.Errorf("short records: got %d range reads for %d splits; want one each", src.ranges, len(splits))
	}
}
