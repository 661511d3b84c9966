package objstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/quarrydata/quarry/storage/objstore"
)

// LargeSize is the size of the suite's large object: above the S3 backend's
// default in-memory buffer (8 MiB), so it exercises spooling, and above a
// 5 MiB part size, so a backend configured with it goes multipart.
const LargeSize = 11<<20 + 123

// Run runs the acceptance suite. newBucket must return a fresh, empty
// bucket for each subtest (and arrange its cleanup).
func Run(t *testing.T, newBucket func(t *testing.T) objstore.Bucket) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b objstore.Bucket)
	}{
		{"RoundTrip", testRoundTrip},
		{"Attributes", testAttributes},
		{"GetRange", testGetRange},
		{"NotFound", testNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"Iter", testIter},
		{"IterStops", testIterStops},
		{"Delete", testDelete},
		{"ContextCanceled", testContextCanceled},
		{"UploadCancelled", testUploadCancelled},
		{"UploadReaderError", testUploadReaderError},
		{"PublishIfAbsent", testPublishIfAbsent},
		{"PublishIfAbsentRace", testPublishIfAbsentRace},
		{"PublishAtomic", testPublishAtomic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newBucket(t))
		})
	}
}

// ctx returns a context that ends with the test (bounded to a minute).
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// randBytes returns n pseudo-random bytes determined by seed.
func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sum returns the hex SHA-256 of data.
func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// put uploads data under key or fails the test.
func put(t *testing.T, b objstore.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.Upload(ctx(t), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Upload(%q): %v", key, err)
	}
}

// get reads the whole object or fails the test.
func get(t *testing.T, b objstore.Bucket, key string) []byte {
	t.Helper()
	data, err := objstore.ReadAll(ctx(t), b, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return data
}

// readRange reads GetRange(key, off, length) to the end.
func readRange(c context.Context, b objstore.Bucket, key string, off, length int64) ([]byte, error) {
	rc, err := b.GetRange(c, key, off, length)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func testRoundTrip(t *testing.T, b objstore.Bucket) {
	for _, n := range []int{0, 1, 100, 64 << 10, LargeSize} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			key := fmt.Sprintf("rt/obj-%d.bin", n)
			data := randBytes(uint64(n), n)
			put(t, b, key, data)
			if got := get(t, b, key); !bytes.Equal(got, data) {
				t.Fatalf("Get(%q): got %d bytes (sha %s); want %d bytes (sha %s)", key, len(got), sum(got), n, sum(data))
			}
			ok, err := b.Exists(ctx(t), key)
			if err != nil || !ok {
				t.Errorf("Exists(%q) = %v, %v; want true, nil", key, ok, err)
			}
		})
	}
	// Overwrite with shorter content.
	put(t, b, "rt/x", []byte("first version, long"))
	put(t, b, "rt/x", []byte("second"))
	if got := get(t, b, "rt/x"); string(got) != "second" {
		t.Errorf("after overwrite got %q; want %q", got, "second")
	}
	// Deep keys and odd but valid characters.
	for _, key := range []string{"a/b/c/d/e/f.txt", "sp ace/ü-ñ/x=1&y", "dot.file", "a-b_c~d"} {
		put(t, b, key, []byte(key))
		if got := get(t, b, key); string(got) != key {
			t.Errorf("Get(%q): got %q; want %q", key, got, key)
		}
	}
}

func testAttributes(t *testing.T, b objstore.Bucket) {
	data := randBytes(7, 12345)
	before := time.Now().Add(-time.Minute)
	put(t, b, "attr/a", data)
	a, err := b.Attributes(ctx(t), "attr/a")
	if err != nil {
		t.Fatalf("Attributes: %v", err)
	}
	if a.Size != int64(len(data)) {
		t.Errorf("Size: got %d; want %d", a.Size, len(data))
	}
	if a.SHA256 != sum(data) {
		t.Errorf("SHA256: got %q; want %q", a.SHA256, sum(data))
	}
	if a.ETag == "" {
		t.Errorf("ETag: got empty; want a version tag")
	}
	if a.ModTime.Before(before) || a.ModTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("ModTime: got %v; want about now", a.ModTime)
	}
	put(t, b, "attr/a", data[:100])
	a2, err := b.Attributes(ctx(t), "attr/a")
	if err != nil {
		t.Fatalf("Attributes after overwrite: %v", err)
	}
	if a2.ETag == a.ETag || a2.Size != 100 || a2.SHA256 != sum(data[:100]) {
		t.Errorf("after overwrite got %+v; want a new ETag, size 100, sha %s (old ETag %q)", a2, sum(data[:100]), a.ETag)
	}
	put(t, b, "attr/empty", nil)
	if a, err := b.Attributes(ctx(t), "attr/empty"); err != nil || a.Size != 0 || a.SHA256 != sum(nil) {
		t.Errorf("empty object: got %+v, %v; want size 0 and sha %s", a, err, sum(nil))
	}
}

func testGetRange(t *testing.T, b objstore.Bucket) {
	data := randBytes(3, 1000)
	put(t, b, "range/obj", data)
	put(t, b, "range/empty", nil)
	size := int64(len(data))
	tests := []struct {
		name        string
		key         string
		off, length int64
		want        []byte
	}{
		{"whole", "range/obj", 0, -1, data},
		{"whole exact length", "range/obj", 0, size, data},
		{"prefix", "range/obj", 0, 10, data[:10]},
		{"middle", "range/obj", 17, 100, data[17:117]},
		{"first byte", "range/obj", 0, 1, data[:1]},
		{"last byte", "range/obj", size - 1, 1, data[size-1:]},
		{"tail from offset", "range/obj", 990, -1, data[990:]},
		{"length past end", "range/obj", 990, 100, data[990:]},
		{"length far past end", "range/obj", 0, 1 << 40, data},
		{"zero length", "range/obj", 5, 0, nil},
		{"offset at end", "range/obj", size, 10, nil},
		{"offset at end to the end", "range/obj", size, -1, nil},
		{"offset past end", "range/obj", size + 100, 10, nil},
		{"empty object whole", "range/empty", 0, -1, nil},
		{"empty object range", "range/empty", 0, 10, nil},
		{"empty object past end", "range/empty", 5, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readRange(ctx(t), b, tc.key, tc.off, tc.length)
			if err != nil {
				t.Fatalf("GetRange(%d, %d): %v", tc.off, tc.length, err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("GetRange(%d, %d): got %d bytes; want %d", tc.off, tc.length, len(got), len(tc.want))
			}
		})
	}
	for _, r := range [][2]int64{{-1, 10}, {0, -2}} {
		if _, err := readRange(ctx(t), b, "range/obj", r[0], r[1]); !errors.Is(err, objstore.ErrInvalidRange) {
			t.Errorf("GetRange(%d, %d): got %v; want ErrInvalidRange", r[0], r[1], err)
		}
	}
	if _, err := readRange(ctx(t), b, "range/missing", 0, 10); !objstore.IsNotFound(err) {
		t.Errorf("GetRange of a missing key: got %v; want not found", err)
	}
}

func testNotFound(t *testing.T, b objstore.Bucket) {
	put(t, b, "nf/file", []byte("x"))
	for _, key := range []string{"missing", "nf/missing", "nf", "nf/file/below"} {
		if _, err := b.Get(ctx(t), key); !objstore.IsNotFound(err) {
			t.Errorf("Get(%q): got %v; want not found", key, err)
		}
		if _, err := b.Attributes(ctx(t), key); !objstore.IsNotFound(err) {
			t.Errorf("Attributes(%q): got %v; want not found", key, err)
		}
		if ok, err := b.Exists(ctx(t), key); ok || err != nil {
			t.Errorf("Exists(%q): got %v, %v; want false, nil", key, ok, err)
		}
	}
}

func testInvalidKeys(t *testing.T, b objstore.Bucket) {
	bad := []string{"", "/abs", "a/../b", "..", "../escape", "a/./b", "a//b", "a/", "back\\slash", "nul\x00", ".quarry-tmp-x", "d/.quarry-tmp-y"}
	for _, key := range bad {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			c := ctx(t)
			checks := map[string]error{
				"Upload":          b.Upload(c, key, bytes.NewReader([]byte("x"))),
				"Publish":         b.Publish(c, key, bytes.NewReader([]byte("x"))),
				"PublishIfAbsent": b.PublishIfAbsent(c, key, bytes.NewReader([]byte("x"))),
				"Delete":          b.Delete(c, key),
			}
			_, checks["Get"] = b.Get(c, key)
			_, checks["GetRange"] = b.GetRange(c, key, 0, 1)
			_, checks["Attributes"] = b.Attributes(c, key)
			for op, err := range checks {
				if !errors.Is(err, objstore.ErrInvalidKey) {
					t.Errorf("%s(%q): got %v; want ErrInvalidKey", op, key, err)
				}
			}
		})
	}
	keys, err := objstore.List(ctx(t), b, "")
	if err != nil || len(keys) != 0 {
		t.Errorf("after invalid writes the bucket lists %q, %v; want nothing", keys, err)
	}
}
