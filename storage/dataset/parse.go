package dataset

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strings"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/split"
)

// Spec says how to parse a raw object and how many partitions to route its
// records to.
type Spec struct {
	// Format is the input format.
	Format format.InputFormat
	// Columns are the log columns to use (an empty name: absent); a log
	// without an Item column is imported without items.
	Columns format.Columns
	// NoHeader says the log sources have no header line: Columns name
	// 1-based positions.
	NoHeader bool
	// TimeLayout is the Go layout of the time column; it must be set (use
	// DetectTimeLayout) so that every split reads times alike.
	TimeLayout string
	// CancelPrefix marks cancelled orders; "" turns the rule off.
	CancelPrefix string
	// SkipBadLines skips and samples bad lines instead of failing.
	SkipBadLines bool
	// MaxLineBytes caps one line (default format.DefaultMaxLineBytes).
	MaxLineBytes int
	// MaxSamples bounds the bad lines kept per split and in the quarantine
	// object (default 1000).
	MaxSamples int
	// Partitions is the number of hash buckets P.
	Partitions int
	// MaxGzipRatio refuses a gzip source that inflates more than this
	// many times its compressed size, a gzip bomb, with an error wrapping
	// split.ErrInflateLimit (0: split.DefaultMaxGzipRatio, 100; below
	// 0: no limit). It is checked as the source is read, once more than
	// 16 MiB have come out.
	MaxGzipRatio int
}

// DefaultMaxSamples is the default Spec.MaxSamples.
const DefaultMaxSamples = 1000

func (s Spec) withDefaults() Spec {
	if s.MaxLineBytes <= 0 {
		s.MaxLineBytes = format.DefaultMaxLineBytes
	}
	if s.MaxSamples <= 0 {
		s.MaxSamples = DefaultMaxSamples
	}
	if s.Partitions <= 0 {
		s.Partitions = 1
	}
	if s.MaxGzipRatio == 0 {
		s.MaxGzipRatio = split.DefaultMaxGzipRatio
	}
	return s
}

func (s Spec) kind() Kind {
	switch s.Format {
	case format.FormatFIMI:
		return KindBaskets
	case format.FormatSPMF:
		return KindSequences
	}
	return KindLog
}

// CustomerBucket returns the hash bucket of a customer id among n: the
// 64-bit FNV-1a hash of the id's bytes, modulo n. Rows without a customer
// id are routed by their order id instead.
func CustomerBucket(id string, n int) int {
	h := fnv.New64a()
	io.WriteString(h, id)
	return int(h.Sum64() % uint64(n))
}

// SplitRows are the records of one split, parsed, with items encoded by a
// dictionary local to the split; Build turns the SplitRows of a whole
// import into partitions.
type SplitRows struct {
	// Split is the split parsed.
	Split split.Split
	// Lines is the number of source lines the split owns (header
	// included); only complete for a split that parsed without error.
	Lines int
	// Stats are the reader's counts; sample line numbers are relative to
	// the split until Build fixes them.
	Stats format.Stats

	prefixed bool // the stream starts with a copy of the CSV header
	names    []string
	descs    []string
	ids      map[string]uint32
	raws     []uint32          // FIMI and SPMF: raw item id by local id
	rawTab   []uint32          // raw id → local id + 1, for small raw ids
	rawIDs   map[uint32]uint32 // raw id → local id, for the others
	cats     []string
	catIDs   map[string]int32
	baskets  [][]uint32
	seqs     []sequences.Sequence
	rows     [][]logRow // by hash bucket
	counts   Counts
	minT     int64
	maxT     int64

	// section marks rows read back from one section of a shuffle object:
	// only the records of one hash bucket (see shuffle.go).
	section bool
}

// logRow is one row of a CSV log, with a local item id.
type logRow struct {
	customer, order string
	t               int64 // Unix nanoseconds
	qty, price      float64
	item            uint32
	cat             int32
	seq             int32 // row number within the split
	cancel          bool
}

func (sr *SplitRows) localID(name, desc string) uint32 {
	if id, ok := sr.ids[name]; ok {
		return id
	}
	id := uint32(len(sr.names))
	name = strings.Clone(name)
	sr.ids[name] = id
	sr.names = append(sr.names, name)
	sr.descs = append(sr.descs, strings.Clone(desc))
	return id
}

// rawTabMax bounds the raw ids looked up in a table rather than a map.
const rawTabMax = 1 << 20

func (sr *SplitRows) rawID(raw uint32) uint32 {
	if raw < rawTabMax {
		if int(raw) < len(sr.rawTab) && sr.rawTab[raw] != 0 {
			return sr.rawTab[raw] - 1
		}
	} else if id, ok := sr.rawIDs[raw]; ok {
		return id
	}
	id := uint32(len(sr.raws))
	sr.raws = append(sr.raws, raw)
	if raw < rawTabMax {
		if int(raw) >= len(sr.rawTab) {
			sr.rawTab = append(sr.rawTab, make([]uint32, int(raw)+1-len(sr.rawTab))...)
		}
		sr.rawTab[raw] = id + 1
	} else {
		sr.rawIDs[raw] = id
	}
	return id
}

// lineFeed turns the records of a split back into a newline-terminated
// stream for the format readers, with an optional header line first.
type lineFeed struct {
	lr    *split.LineReader
	buf   []byte
	pos   int
	lines int
}

func (f *lineFeed) Read(p []byte) (int, error) {
	for f.pos >= len(f.buf) {
		if !f.lr.Next() {
			if err := f.lr.Err(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		f.buf = append(append(f.buf[:0], f.lr.Line()...), '\n')
		f.pos = 0
		f.lines++
	}
	n := copy(p, f.buf[f.pos:])
	f.pos += n
	return n, nil
}

// checkEvery is how many records pass between checks of the context.
const checkEvery = 4096

// ParseSplit parses the records that split s of the object key owns. name
// is the object's name in errors; header is the object's first line, which
// log splits other than split 0 need when the log has a header (see
// split.Header). A bad line in
// strict mode is a *format.LineError whose Line is relative to the split:
// Build's caller turns it into a line of the object with AbsLine.
func ParseSplit(ctx context.Context, src split.Source, key, name string, s split.Split, header []byte, spec Spec) (*SplitRows, error) {
	spec = spec.withDefaults()
	lr := split.NewLineReader(ctx, src, key, s)
	lr.SetMaxLine(2*spec.MaxLineBytes + 2)
	lr.SetMaxGzipRatio(spec.MaxGzipRatio)
	defer lr.Close()
	feed := &lineFeed{lr: lr}
	sr := &SplitRows{Split: s, ids: make(map[string]uint32)}
	opt := format.Options{Name: name, MaxLineBytes: spec.MaxLineBytes, SkipBadLines: spec.SkipBadLines, MaxSamples: spec.MaxSamples}
	var err error
	switch spec.Format {
	case format.FormatFIMI:
		sr.rawIDs = make(map[uint32]uint32)
		err = sr.parseFIMI(ctx, feed, opt)
	case format.FormatSPMF:
		sr.rawIDs = make(map[uint32]uint32)
		err = sr.parseSPMF(ctx, feed, opt)
	case format.FormatCSV, format.FormatTSV, format.FormatSSV:
		var r io.Reader = feed
		sr.prefixed = !s.OwnsHeader() && !spec.NoHeader
		if sr.prefixed {
			r = io.MultiReader(strings.NewReader(string(header)+"\n"), feed)
		}
		err = sr.parseCSV(ctx, r, spec, opt)
	default:
		err = fmt.Errorf("dataset: unsupported input format %v", spec.Format)
	}
	sr.Lines = feed.lines
	if errors.Is(err, split.ErrLineTooLong) {
		// The split reader's cap (twice the format's) stops a line the
		// format reader never saw whole: report it as the format does, as
		// a bad line of the object, which ParseSources numbers.
		rel := feed.lines + 1
		if sr.prefixed {
			rel++ // the stream starts with the header copy
		}
		err = &format.LineError{Object: name, Line: rel, Err: format.ErrLineTooLong,
			Reason: fmt.Sprintf("line longer than %d bytes (max line bytes)", spec.MaxLineBytes)}
	}
	return sr, err
}

// AbsLine turns a line number relative to the split's stream into the
// line of the object, given the lines owned by the splits before it.
func (sr *SplitRows) AbsLine(rel, linesBefore int) int {
	if sr.prefixed {
		return linesBefore + rel - 1 // the stream starts with the header
	}
	return linesBefore + rel
}

func (sr *SplitRows) parseFIMI(ctx context.Context, r io.Reader, opt format.Options) error {
	fr := format.NewFIMIReader(r, opt)
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		b, err := fr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		for i, it := range b {
			b[i] = sr.rawID(it)
		}
		sr.baskets = append(sr.baskets, b)
		sr.counts.Rows += len(b)
	}
	sr.Stats = fr.Stats()
	sr.counts.Records = len(sr.baskets)
	return nil
}

func (sr *SplitRows) parseSPMF(ctx context.Context, r io.Reader, opt format.Options) error {
	spr := format.NewSPMFReader(r, opt)
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		seq, err := spr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		for _, ev := range seq {
			for i, it := range ev.Items {
				ev.Items[i] = sr.rawID(it)
			}
			sr.counts.Rows += len(ev.Items)
		}
		sr.seqs = append(sr.seqs, seq)
	}
	sr.Stats = spr.Stats()
	sr.counts.Records = len(sr.seqs)
	return nil
}
