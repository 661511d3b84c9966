package dataset

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/split"
)

// SourceObject is a raw object to import.
type SourceObject struct {
	// Bucket holds the object: the dataset store itself or another one.
	Bucket split.Source
	// Key is the object's key in Bucket.
	Key string
	// URL names the object in errors, the quarantine and the manifest.
	URL string
}

// Options tune an import or append.
type Options struct {
	// Spec says how to parse. An append takes the format, columns, time
	// layout, cancel prefix and partition count from the version it
	// appends to and only uses SkipBadLines, MaxLineBytes and MaxSamples
	// from here.
	Spec Spec
	// Workers is the number of splits parsed, and partitions encoded, at
	// once (default GOMAXPROCS). It never changes the result.
	Workers int
	// SplitSize is the target split size in bytes (default 16 MiB). It
	// never changes the result.
	SplitSize int64
	// InlineItems is the largest dictionary kept inside the manifest
	// (default 1000 items); a bigger one is stored as its own object.
	InlineItems int
	// Logger receives progress at debug level (default: discard).
	Logger *slog.Logger
	// Now stamps the manifest (default time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	o.Spec = o.Spec.withDefaults()
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.SplitSize <= 0 {
		o.SplitSize = 16 << 20
	}
	if o.InlineItems <= 0 {
		o.InlineItems = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// maxPublishAttempts bounds the version numbers an import tries when
// concurrent imports keep taking them.
const maxPublishAttempts = 20

// Import reads the sources into a new version of dataset name in store:
// partition objects first, the manifest last and create-only, so the
// version exists only once everything it references does. An import that
// races another for the same version number takes the next one. When it
// fails or ctx is cancelled, nothing is published and the objects it
// wrote are deleted on a best-effort basis (GC removes what is left).
func Import(ctx context.Context, store objstore.Bucket, name string, srcs []SourceObject, opt Options) (*Manifest, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	return ingest(ctx, store, name, srcs, opt, nil)
}

// Append reads the sources into a new segment of dataset name: the new
// version references every partition of the latest version unchanged and
// adds P partitions of its own, with the same hash rule, so that bucket i
// of every segment together holds every row of the customers hashing to i.
// Items new to the dictionary get the next ids; old ids stay. Append fails
// with ErrConflict when another version is published meanwhile.
func Append(ctx context.Context, store objstore.Bucket, name string, srcs []SourceObject, opt Options) (*Manifest, error) {
	base, err := LoadManifest(ctx, store, name, 0)
	if err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	ff, err := parseFormat(base.Import.Format)
	if err != nil {
		return nil, err
	}
	opt.Spec.Format = ff
	opt.Spec.Columns = base.Import.Columns.format()
	opt.Spec.NoHeader = base.Import.NoHeader
	opt.Spec.TimeLayout = base.Import.TimeLayout
	opt.Spec.CancelPrefix = base.Import.CancelPrefix
	opt.Spec.Partitions = base.Partitioning.Partitions
	return ingest(ctx, store, name, srcs, opt, base)
}

func parseFormat(s string) (format.InputFormat, error) {
	f, err := format.ParseFormat(s)
	if err != nil {
		return 0, fmt.Errorf("dataset: manifest: %w", err)
	}
	return f, nil
}

func (c Columns) format() format.Columns { return format.Columns(c) }

// splitJob is one split of one source.
type splitJob struct {
	src    int
	s      split.Split
	header []byte
}

// ParseSources plans the splits of every source and parses them with
// opt.Workers goroutines, returning the SplitRows in source and split order
// with line numbers made absolute. A bad line in strict mode is reported as
// the first one in source order, as a *format.LineError naming the source
// object and its line. A CSV spec without a time layout gets the one
// detected on the first source; the spec used is returned.
func ParseSources(ctx context.Context, srcs []SourceObject, opt Options) ([]*SplitRows, []Source, Spec, error) {
	opt = opt.withDefaults()
	spec := opt.Spec
	if len(srcs) == 0 {
		return nil, nil, spec, errors.New("dataset: no source objects")
	}
	var jobs []splitJob
	var infos []Source
	for i, src := range srcs {
		a, err := src.Bucket.Attributes(ctx, src.Key)
		if err != nil {
			return nil, nil, spec, fmt.Errorf("dataset: source %s: %w", src.URL, err)
		}
		infos = append(infos, Source{URL: src.URL, Size: a.Size, ETag: a.ETag})
		splits, err := split.PlanObject(ctx, src.Bucket, src.Key, opt.SplitSize)
		if err != nil {
			return nil, nil, spec, fmt.Errorf("dataset: source %s: %w", src.URL, err)
		}
		var header []byte
		if spec.kind() == KindLog && len(splits) > 1 && !spec.NoHeader {
			if header, err = split.Header(ctx, src.Bucket, src.Key); err != nil {
				return nil, nil, spec, fmt.Errorf("dataset: source %s: %w", src.URL, err)
			}
		}
		if spec.kind() == KindLog && spec.TimeLayout == "" && spec.Columns.Time != "" {
			if spec.TimeLayout, err = DetectTimeLayout(ctx, src.Bucket, src.Key, spec); err != nil {
				return nil, nil, spec, fmt.Errorf("dataset: source %s: %w", src.URL, err)
			}
		}
		for _, s := range splits {
			jobs = append(jobs, splitJob{src: i, s: s, header: header})
		}
	}
	if spec.kind() == KindLog && spec.TimeLayout == "" && spec.Columns.Time != "" {
		spec.TimeLayout = time.RFC3339 // no row has a time: any layout will do
	}
	out := make([]*SplitRows, len(jobs))
	errs := make([]error, len(jobs))
	var next, firstErr atomic.Int64
	firstErr.Store(int64(len(jobs)))
	var wg sync.WaitGroup
	for range min(opt.Workers, len(jobs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || int64(i) > firstErr.Load() {
					return
				}
				j := jobs[i]
				src := srcs[j.src]
				out[i], errs[i] = ParseSplit(ctx, src.Bucket, src.Key, src.URL, j.s, j.header, spec)
				if errs[i] != nil {
					for {
						cur := firstErr.Load()
						if int64(i) >= cur || firstErr.CompareAndSwap(cur, int64(i)) {
							break
						}
					}
				}
			}
		})
	}
	wg.Wait()
	linesBefore := 0
	for i, j := range jobs {
		if i > 0 && jobs[i-1].src != j.src {
			linesBefore = 0
		}
		if err := errs[i]; err != nil {
			var le *format.LineError
			if errors.As(err, &le) {
				fixed := *le
				fixed.Object = srcs[j.src].URL
				fixed.Line = out[i].AbsLine(le.Line, linesBefore)
				return nil, nil, spec, &fixed
			}
			if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
				return nil, nil, spec, err
			}
			return nil, nil, spec, fmt.Errorf("dataset: source %s split %v: %w", srcs[j.src].URL, j.s, err)
		}
		if out[i] == nil { // not started: an error came earlier
			continue
		}
		for _, le := range out[i].Stats.Samples {
			le.Object = srcs[j.src].URL
			le.Line = out[i].AbsLine(le.Line, linesBefore)
		}
		linesBefore += out[i].Lines
	}
	return out, infos, spec, nil
}

// newImportID returns a unique, time-ordered id for an import's objects.
func newImportID(now time.Time) string {
	var b [6]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// cleanup deletes the objects a failed import wrote, on a best-effort
// basis and even when ctx is cancelled.
func cleanup(ctx context.Context, store objstore.Bucket, keys []string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, k := range keys {
		if err := store.Delete(ctx, k); err != nil {
			log.Warn("could not delete the object of a failed import; run gc later", "key", k, "error", err)
		}
	}
}
