package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/storage/objstore/objstoretest"
)

func newBucket(t *testing.T) *local.Bucket {
	t.Helper()
	b, err := local.New(filepath.Join(t.TempDir(), "bucket"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestAcceptance(t *testing.T) {
	objstoretest.Run(t, func(t *testing.T) objstore.Bucket { return newBucket(t) })
}

func TestNoTraversal(t *testing.T) {
	parent := t.TempDir()
	secret := filepath.Join(parent, "secret")
	if err := os.WriteFile(secret, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := local.New(filepath.Join(parent, "bucket"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	for _, key := range []string{"../secret", "a/../../secret", "/etc/passwd", "..", "a/../secret"} {
		if _, err := b.Get(ctx, key); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("Get(%q): got %v; want ErrInvalidKey", key, err)
		}
		if err := b.Upload(ctx, key, strings.NewReader("x")); !errors.Is(err, objstore.ErrInvalidKey) {
			t.Errorf("Upload(%q): got %v; want ErrInvalidKey", key, err)
		}
	}
	// A symlink planted inside the folder cannot lead out of it.
	if err := os.Symlink(parent, filepath.Join(b.Dir(), "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "link/secret"); err == nil {
		t.Errorf("Get through a symlink out of the bucket: got nil error; want a refusal")
	}
	if err := b.Upload(ctx, "link/secret", strings.NewReader("overwritten")); err == nil {
		t.Errorf("Upload through a symlink out of the bucket: got nil error; want a refusal")
	}
	if got, _ := os.ReadFile(secret); string(got) != "outside" {
		t.Errorf("file outside the bucket: got %q; want %q", got, "outside")
	}
}

func TestChecksumDetectsCorruption(t *testing.T) {
	b := newBucket(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("quarry "), 1000)
	if err := b.Upload(ctx, "c/obj", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	a, err := b.Attributes(ctx, "c/obj")
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 == "" {
		t.Skip("file system keeps no extended attributes; nothing to verify")
	}
	// Flip one byte in place, keeping the extended attribute.
	f, err := os.OpenFile(filepath.Join(b.Dir(), "c", "obj"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("Q"), 500); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rc, err := b.Get(ctx, "c/obj")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, objstore.ErrChecksum) {
		t.Errorf("reading a corrupted object: got %v; want ErrChecksum", err)
	}
}

func TestFailedWriteLeavesNoTemporary(t *testing.T) {
	b := newBucket(t)
	boom := errors.New("boom")
	err := b.Publish(context.Background(), "d/k", io.MultiReader(strings.NewReader("partial"), errReader{boom}))
	if !errors.Is(err, boom) {
		t.Fatalf("Publish with a failing reader: got %v; want %v", err, boom)
	}
	entries, _ := os.ReadDir(filepath.Join(b.Dir(), "d"))
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestString(t *testing.T) {
	b := newBucket(t)
	if got := b.String(); !strings.HasPrefix(got, "file:///") || !strings.HasSuffix(got, "/bucket") {
		t.Errorf("String: got %q; want file:///…/bucket", got)
	}
}
