package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/quarrydata/quarry/storage/objstore"
)

// manyKeys is above S3's 1000-key listing page.
const manyKeys = 1100

func testIter(t *testing.T, b objstore.Bucket) {
	var many []string
	for i := range manyKeys {
		many = append(many, fmt.Sprintf("many/%04d", i))
	}
	uploadAll(t, b, many)
	order := []string{"o/a-b", "o/a.txt", "o/a/b", "o/a0", "o/ab/c"}
	uploadAll(t, b, order)

	all := append(slices.Clone(many), order...)
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"many/", many},
		{"many/10", many[1000:1100]},
		{"many/0999", many[999:1000]},
		{"o/", order},
		{"o/a", order},
		{"o/a/", []string{"o/a/b"}},
		{"o/a.", []string{"o/a.txt"}},
		{"o/ab", []string{"o/ab/c"}},
		{"o/ab/c", []string{"o/ab/c"}},
		{"o/ab/c/", nil},
		{"nope/", nil},
		{"nope", nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.prefix), func(t *testing.T) {
			got, err := objstore.List(ctx(t), b, tc.prefix)
			if err != nil {
				t.Fatalf("Iter(%q): %v", tc.prefix, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Iter(%q): got %d keys %s; want %d keys %s", tc.prefix, len(got), short(got), len(tc.want), short(tc.want))
			}
		})
	}
	if _, err := objstore.List(ctx(t), b, "/abs"); !errors.Is(err, objstore.ErrInvalidKey) {
		t.Errorf("Iter(\"/abs\"): got %v; want ErrInvalidKey", err)
	}
}

// short abbreviates a key list for messages.
func short(keys []string) string {
	if len(keys) > 8 {
		return fmt.Sprintf("%q…%q", keys[:4], keys[len(keys)-2:])
	}
	return fmt.Sprintf("%q", keys)
}

// uploadAll uploads each key with its name as content, 16 at a time.
func uploadAll(t *testing.T, b objstore.Bucket, keys []string) {
	t.Helper()
	c := ctx(t)
	work := make(chan string)
	errs := make(chan error, len(keys))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for k := range work {
				if err := b.Upload(c, k, bytes.NewReader([]byte(k))); err != nil {
					errs <- fmt.Errorf("Upload(%q): %w", k, err)
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func testIterStops(t *testing.T, b objstore.Bucket) {
	uploadAll(t, b, []string{"s/1", "s/2", "s/3"})
	stop := errors.New("stop here")
	var seen []string
	err := b.Iter(ctx(t), "s/", func(k string) error {
		seen = append(seen, k)
		if len(seen) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !slices.Equal(seen, []string{"s/1", "s/2"}) {
		t.Errorf("Iter with a failing callback: got %v after %q; want the callback's error after [s/1 s/2]", err, seen)
	}
}

func testDelete(t *testing.T, b objstore.Bucket) {
	put(t, b, "del/a", []byte("a"))
	put(t, b, "del/b", []byte("b"))
	if err := b.Delete(ctx(t), "del/a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.Get(ctx(t), "del/a"); !objstore.IsNotFound(err) {
		t.Errorf("Get after Delete: got %v; want not found", err)
	}
	if err := b.Delete(ctx(t), "del/a"); err != nil {
		t.Errorf("second Delete: got %v; want nil", err)
	}
	if err := b.Delete(ctx(t), "del/never"); err != nil {
		t.Errorf("Delete of a missing key: got %v; want nil", err)
	}
	if keys, err := objstore.List(ctx(t), b, ""); err != nil || !slices.Equal(keys, []string{"del/b"}) {
		t.Errorf("List after Delete: got %q, %v; want [del/b]", keys, err)
	}
}

func testContextCanceled(t *testing.T, b objstore.Bucket) {
	put(t, b, "cc/a", []byte("abc"))
	c, cancel := context.WithCancel(context.Background())
	cancel()
	checks := map[string]error{
		"Upload":          b.Upload(c, "cc/b", bytes.NewReader([]byte("x"))),
		"Publish":         b.Publish(c, "cc/b", bytes.NewReader([]byte("x"))),
		"PublishIfAbsent": b.PublishIfAbsent(c, "cc/b", bytes.NewReader([]byte("x"))),
		"Iter":            b.Iter(c, "", func(string) error { return nil }),
	}
	_, checks["Get"] = b.Get(c, "cc/a")
	_, checks["GetRange"] = b.GetRange(c, "cc/a", 1, 1)
	_, checks["Attributes"] = b.Attributes(c, "cc/a")
	_, checks["Exists"] = b.Exists(c, "cc/a")
	for op, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: got %v; want context.Canceled", op, err)
		}
	}
	if ok, err := b.Exists(ctx(t), "cc/b"); ok || err != nil {
		t.Errorf("a cancelled write left cc/b: Exists = %v, %v", ok, err)
	}
}
