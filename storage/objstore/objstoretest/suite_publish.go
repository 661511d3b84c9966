package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarrydata/quarry/storage/objstore"
)

// chunkReader serves data in chunks, calling hook before each chunk with
// the offset reached, and pausing between chunks.
type chunkReader struct {
	data  []byte
	off   int
	chunk int
	pause time.Duration
	hook  func(off int) error
}

// Read implements io.Reader.
func (r *chunkReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	if r.hook != nil {
		if err := r.hook(r.off); err != nil {
			return 0, err
		}
	}
	if r.pause > 0 {
		time.Sleep(r.pause)
	}
	n := copy(p[:min(len(p), r.chunk)], r.data[r.off:])
	r.off += n
	return n, nil
}

func testUploadCancelled(t *testing.T, b objstore.Bucket) {
	old := []byte("the previous version")
	put(t, b, "cancel/existing", old)
	for _, key := range []string{"cancel/new", "cancel/existing"} {
		t.Run(key, func(t *testing.T) {
			c, cancel := context.WithCancel(context.Background())
			defer cancel()
			data := randBytes(11, 3<<20)
			r := &chunkReader{data: data, chunk: 64 << 10, hook: func(off int) error {
				if off >= len(data)/2 {
					cancel() // the caller gives up half-way; the stream goes on
				}
				return nil
			}}
			err := b.Upload(c, key, r)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Upload cancelled half-way: got %v; want context.Canceled", err)
			}
			assertUnchanged(t, b, key, old)
		})
	}
}

// assertUnchanged checks that key holds old, or nothing when key is
// "cancel/new", and that no temporary objects are listed.
func assertUnchanged(t *testing.T, b objstore.Bucket, key string, old []byte) {
	t.Helper()
	if key == "cancel/new" || key == "fail/new" {
		if ok, err := b.Exists(ctx(t), key); ok || err != nil {
			t.Errorf("after the failed upload Exists(%q) = %v, %v; want false, nil", key, ok, err)
		}
	} else if got := get(t, b, key); !bytes.Equal(got, old) {
		t.Errorf("after the failed upload %q holds %q; want the previous %q", key, got, old)
	}
	keys, err := objstore.List(ctx(t), b, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, k := range keys {
		if k != "cancel/existing" && k != "fail/existing" {
			t.Errorf("after the failed upload the bucket lists %q", k)
		}
	}
}

func testUploadReaderError(t *testing.T, b objstore.Bucket) {
	old := []byte("kept")
	put(t, b, "fail/existing", old)
	boom := errors.New("source broke")
	for _, key := range []string{"fail/new", "fail/existing"} {
		for _, publish := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/publish=%v", key, publish), func(t *testing.T) {
				data := randBytes(12, 1<<20)
				r := &chunkReader{data: data, chunk: 32 << 10, hook: func(off int) error {
					if off >= len(data)/2 {
						return boom
					}
					return nil
				}}
				var err error
				if publish {
					err = b.PublishIfAbsent(ctx(t), key, r)
				} else {
					err = b.Publish(ctx(t), key, r)
				}
				if !errors.Is(err, boom) {
					t.Fatalf("got %v; want the reader's error", err)
				}
				assertUnchanged(t, b, key, old)
			})
		}
	}
}

func testPublishIfAbsent(t *testing.T, b objstore.Bucket) {
	first := []byte("first")
	if err := b.PublishIfAbsent(ctx(t), "pia/k", bytes.NewReader(first)); err != nil {
		t.Fatalf("PublishIfAbsent on a free key: %v", err)
	}
	for _, size := range []int{6, LargeSize} {
		err := b.PublishIfAbsent(ctx(t), "pia/k", bytes.NewReader(randBytes(1, size)))
		if !objstore.IsExists(err) || !errors.Is(err, objstore.ErrExists) {
			t.Errorf("PublishIfAbsent (%d bytes) on a taken key: got %v; want ErrExists", size, err)
		}
	}
	if got := get(t, b, "pia/k"); !bytes.Equal(got, first) {
		t.Errorf("after the refused publishes got %q; want %q", got, first)
	}
	big := randBytes(2, LargeSize)
	if err := b.PublishIfAbsent(ctx(t), "pia/big", bytes.NewReader(big)); err != nil {
		t.Fatalf("PublishIfAbsent of a large object: %v", err)
	}
	if got := get(t, b, "pia/big"); !bytes.Equal(got, big) {
		t.Errorf("large PublishIfAbsent: got %d bytes; want %d", len(got), len(big))
	}
	// Publish (not create-only) overwrites.
	if err := b.Publish(ctx(t), "pia/k", bytes.NewReader([]byte("second"))); err != nil {
		t.Fatalf("Publish over an existing key: %v", err)
	}
	if got := get(t, b, "pia/k"); string(got) != "second" {
		t.Errorf("after Publish got %q; want %q", got, "second")
	}
}

func testPublishIfAbsentRace(t *testing.T, b objstore.Bucket) {
	const writers = 8
	for round := range 3 {
		key := fmt.Sprintf("race/%d", round)
		var (
			wins   atomic.Int32
			winner atomic.Int32
			wg     sync.WaitGroup
			start  = make(chan struct{})
			errs   = make([]error, writers)
		)
		for i := range writers {
			wg.Go(func() {
				data := bytes.Repeat([]byte(fmt.Sprintf("writer %d;", i)), 5000)
				<-start
				err := b.PublishIfAbsent(ctx(t), key, bytes.NewReader(data))
				switch {
				case err == nil:
					wins.Add(1)
					winner.Store(int32(i))
				case !objstore.IsExists(err):
					errs[i] = err
				}
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d writer %d: got %v; want nil or ErrExists", round, i, err)
			}
		}
		if wins.Load() != 1 {
			t.Fatalf("round %d: got %d winners; want exactly 1", round, wins.Load())
		}
		want := bytes.Repeat([]byte(fmt.Sprintf("writer %d;", winner.Load())), 5000)
		if got := get(t, b, key); !bytes.Equal(got, want) {
			t.Errorf("round %d: the object is not the winner's (writer %d)", round, winner.Load())
		}
	}
}

func testPublishAtomic(t *testing.T, b objstore.Bucket) {
	const key = "atomic/obj"
	versions := make([][]byte, 3)
	valid := map[string]int{}
	for i := range versions {
		versions[i] = randBytes(uint64(100+i), (1<<20)+i*1000)
		valid[sum(versions[i])] = i
	}
	put(t, b, key, versions[0])

	done := make(chan struct{})
	var (
		wg    sync.WaitGroup
		reads atomic.Int64
		fail  atomic.Value
	)
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				data, err := objstore.ReadAll(context.Background(), b, key)
				if err != nil {
					fail.CompareAndSwap(nil, fmt.Sprintf("concurrent Get: %v", err))
					return
				}
				if _, ok := valid[sum(data)]; !ok {
					fail.CompareAndSwap(nil, fmt.Sprintf("concurrent Get saw %d bytes matching no version", len(data)))
					return
				}
				keys, err := objstore.List(context.Background(), b, "atomic/")
				if err != nil || len(keys) != 1 || keys[0] != key {
					fail.CompareAndSwap(nil, fmt.Sprintf("concurrent List: got %q, %v; want only %q", keys, err, key))
					return
				}
				reads.Add(1)
			}
		})
	}
	for i := 1; i <= 6; i++ {
		v := versions[i%len(versions)]
		r := &chunkReader{data: v, chunk: 256 << 10, pause: 2 * time.Millisecond}
		if err := b.Publish(ctx(t), key, r); err != nil {
			t.Errorf("Publish %d: %v", i, err)
		}
	}
	close(done)
	wg.Wait()
	if msg := fail.Load(); msg != nil {
		t.Fatal(msg)
	}
	if got, want := get(t, b, key), versions[6%len(versions)]; !bytes.Equal(got, want) {
		t.Errorf("final content is not the last published version")
	}
	if reads.Load() == 0 {
		t.Errorf("no concurrent read completed; the test proved nothing")
	}
}
