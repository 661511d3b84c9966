package jobs

import (
	"errors"
	"fmt"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/split"
)

// ImportSpec are the parameters of an import job: the distributed
// 'quarry dataset import' (or 'append'). The fields mirror the command's
// flags and dataset.Options, and have the same defaults, so that a job
// publishes the same version as the command on the same objects.
type ImportSpec struct {
	// Sources are the keys of the raw objects in the cluster's store, read
	// in this order; gzip objects (".gz" or the gzip magic) are read
	// transparently, as one split each.
	Sources []string `json:"sources"`
	// Format is fimi, spmf, csv, tsv or ssv (default: from the first
	// source's name, as the command does; only .ssv names an SSV log).
	Format string `json:"format,omitempty"`
	// Columns name the log columns used. Absent: the command's defaults
	// (the UCI Online Retail names), each dropped when the first source's
	// header lacks it, item excepted; present: exactly these columns. A
	// log without an item column ("item" left out) is imported without
	// items, for the customer analyses; an amount column excludes
	// quantity and price.
	Columns *dataset.Columns `json:"columns,omitempty"`
	// NoHeader says the sources have no header line: columns, then
	// required, name 1-based positions ("1", "3"). Without it a number is
	// a header name.
	NoHeader bool `json:"no_header,omitempty"`
	// TimeLayout is the Go layout of the time column (default: detected
	// on the first source with a time, as the command does).
	TimeLayout string `json:"time_layout,omitempty"`
	// CancelPrefix marks cancelled orders (default "C"; "" turns the rule
	// off).
	CancelPrefix *string `json:"cancel_prefix,omitempty"`
	// Partitions is the number of hash buckets P (default 4, at most
	// MaxImportPartitions).
	Partitions int `json:"partitions,omitempty"`
	// SkipBadLines skips and samples malformed lines instead of failing.
	SkipBadLines bool `json:"skip_bad_lines,omitempty"`
	// MaxLineBytes caps one line (default 1 MiB).
	MaxLineBytes int `json:"max_line_bytes,omitempty"`
	// MaxGzipRatio refuses a gzip source that inflates more than this many
	// times its compressed size once past 16 MiB, a gzip bomb (absent:
	// split.DefaultMaxGzipRatio, 100; 0: no limit), as `quarry dataset
	// import --max-gzip-ratio` does.
	MaxGzipRatio *int `json:"max_gzip_ratio,omitempty"`
	// MaxSamples bounds the skipped lines kept in the quarantine object
	// (default 1000).
	MaxSamples int `json:"max_samples,omitempty"`
	// InlineItems is the largest dictionary kept inside the manifest
	// (default 1000 items).
	InlineItems int `json:"inline_items,omitempty"`
	// SplitSize is the target split size in bytes (default 16 MiB); one
	// parse task per split. It never changes the result.
	SplitSize int64 `json:"split_size,omitempty"`
	// Append adds the sources to the latest version as a new segment
	// ('quarry dataset append'): format, columns, no header, time layout,
	// cancel prefix and partitions come from that version and must be
	// left out.
	// The job fails with dataset.ErrConflict when another version is
	// published meanwhile.
	Append bool `json:"append,omitempty"`
	// Pinned is filled in by Prepare when the job is submitted; a
	// submitted spec leaves it out.
	Pinned *ImportPinned `json:"pinned,omitempty"`
}

// ImportPinned is what Prepare resolves when an import job is submitted,
// so that planning is a pure function of the spec: the sources as they
// were then, and the parsing parameters with their defaults or detected
// values.
type ImportPinned struct {
	Sources      []PinnedSource  `json:"sources"`
	Format       string          `json:"format"`
	Columns      dataset.Columns `json:"columns,omitzero"`
	NoHeader     bool            `json:"no_header,omitempty"`
	TimeLayout   string          `json:"time_layout,omitempty"`
	CancelPrefix string          `json:"cancel_prefix,omitempty"`
	Partitions   int             `json:"partitions"`
	// Latest is the dataset's latest version at submission (0: none); an
	// append adds to it. Segment is the new segment's id.
	Latest  int `json:"latest_version,omitempty"`
	Segment int `json:"segment,omitempty"`
}

// PinnedSource is a source object as it was at submission. Parse tasks
// check that it has not changed since.
type PinnedSource struct {
	Key string `json:"key"`
	// URL names the object in the manifest, errors and the quarantine:
	// the store's name, "/", the key (as 'quarry dataset import
	// store:KEY' names it).
	URL  string `json:"url"`
	Size int64  `json:"size"`
	ETag string `json:"etag,omitempty"`
	Gzip bool   `json:"gzip,omitempty"`
}

// MaxImportPartitions bounds an import job's partitions, so that the
// publishing task's parameters (a line per partition) stay within
// MaxSummary.
const MaxImportPartitions = 4096

// Defaults of an import job, those of 'quarry dataset import'.
const (
	DefaultImportPartitions = 4
	DefaultSplitSize        = 16 << 20
)

func (is *ImportSpec) validate() error {
	if len(is.Sources) == 0 {
		return invalid("import.sources", "name at least one source object")
	}
	for i, k := range is.Sources {
		if err := objstore.ValidateKey(k); err != nil {
			return invalid(fmt.Sprintf("import.sources[%d]", i), "%v", err)
		}
	}
	if is.Append {
		for _, f := range []struct {
			name string
			set  bool
		}{{"format", is.Format != ""}, {"columns", is.Columns != nil}, {"no_header", is.NoHeader}, {"time_layout", is.TimeLayout != ""},
			{"cancel_prefix", is.CancelPrefix != nil}, {"partitions", is.Partitions != 0}} {
			if f.set {
				return invalid("import."+f.name, "an append takes it from the version it appends to; leave it out")
			}
		}
	} else {
		ff, err := is.format()
		if err != nil {
			return err
		}
		switch {
		case is.Columns != nil && !ff.Log():
			return invalid("import.columns", "only CSV, TSV and SSV logs have columns, not %s", ff)
		case is.NoHeader && !ff.Log():
			return invalid("import.no_header", "only CSV, TSV and SSV logs have a header, not %s", ff)
		case is.NoHeader && is.Columns == nil:
			return invalid("import.columns", "required with no_header: name the columns by 1-based position")
		case is.Partitions < 0 || is.Partitions > MaxImportPartitions:
			return invalid("import.partitions", "%d is not between 1 and %d", is.Partitions, MaxImportPartitions)
		}
		if is.Columns != nil {
			if err := columnsError(format.CheckColumns(format.Columns(*is.Columns), is.NoHeader)); err != nil {
				return err
			}
		}
	}
	switch {
	case is.MaxLineBytes < 0:
		return invalid("import.max_line_bytes", "%d is negative", is.MaxLineBytes)
	case is.MaxGzipRatio != nil && *is.MaxGzipRatio < 0:
		return invalid("import.max_gzip_ratio", "%d is negative; 0 turns the limit off", *is.MaxGzipRatio)
	case is.MaxSamples < 0:
		return invalid("import.max_samples", "%d is negative", is.MaxSamples)
	case is.InlineItems < 0:
		return invalid("import.inline_items", "%d is negative", is.InlineItems)
	case is.SplitSize < 0:
		return invalid("import.split_size", "%d is negative", is.SplitSize)
	}
	if p := is.Pinned; p != nil {
		if len(p.Sources) != len(is.Sources) {
			return invalid("import.pinned.sources", "%d pinned for %d sources", len(p.Sources), len(is.Sources))
		}
		for i, s := range p.Sources {
			if s.Key != is.Sources[i] || s.Size < 0 {
				return invalid(fmt.Sprintf("import.pinned.sources[%d]", i), "does not pin source %q", is.Sources[i])
			}
		}
		if _, err := parseFormat(p.Format); err != nil {
			return invalid("import.pinned.format", "%v", err)
		}
		if p.Partitions < 1 || p.Partitions > MaxImportPartitions {
			return invalid("import.pinned.partitions", "%d is not between 1 and %d", p.Partitions, MaxImportPartitions)
		}
	}
	return nil
}

// format returns the format asked for or detected from the first source.
func (is *ImportSpec) format() (format.InputFormat, error) {
	if is.Format == "" {
		ff, err := format.Detect(is.Sources[0])
		if err != nil {
			return 0, invalid("import.format", "%v; set format", err)
		}
		return ff, nil
	}
	ff, err := parseFormat(is.Format)
	if err != nil {
		return 0, invalid("import.format", "%v", err)
	}
	return ff, nil
}

func parseFormat(s string) (format.InputFormat, error) {
	f, err := format.ParseFormat(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not fimi, spmf, csv, tsv or ssv", s)
	}
	return f, nil
}

// columnsError turns a *format.ColumnError into an invalid spec naming
// the field (import.columns.<role>); other errors pass unchanged.
func columnsError(err error) error {
	var ce *format.ColumnError
	if errors.As(err, &ce) {
		return invalid("import.columns."+ce.Role, "%q: %s", ce.Name, ce.Reason)
	}
	return err
}

// datasetSpec returns the parsing spec of a pinned import.
func (is *ImportSpec) datasetSpec() dataset.Spec {
	p := is.Pinned
	ff, _ := parseFormat(p.Format) // checked by validate
	return dataset.Spec{Format: ff, Columns: format.Columns(p.Columns), NoHeader: p.NoHeader, TimeLayout: p.TimeLayout, CancelPrefix: p.CancelPrefix,
		SkipBadLines: is.SkipBadLines, MaxLineBytes: is.MaxLineBytes, MaxSamples: is.MaxSamples, Partitions: p.Partitions,
		MaxGzipRatio: gzipRatio(is.MaxGzipRatio)}
}

// gzipRatio maps the spec's max_gzip_ratio to dataset.Spec's: absent is
// the default (0 there), 0 no limit (negative there).
func gzipRatio(r *int) int {
	switch {
	case r == nil:
		return 0
	case *r == 0:
		return -1
	}
	return *r
}

// importSplit is one split of one source: one parse task.
type importSplit struct {
	Source int         `json:"source"`
	Split  split.Split `json:"split"`
}

// importSplits plans the splits of a pinned import as split.PlanObject
// does on the objects: one split per gzip source, split.Plan over the
// size otherwise.
func importSplits(is *ImportSpec) []importSplit {
	size := is.SplitSize
	if size <= 0 {
		size = DefaultSplitSize
	}
	var out []importSplit
	for i, s := range is.Pinned.Sources {
		if s.Gzip {
			out = append(out, importSplit{Source: i, Split: split.Split{End: s.Size, Size: s.Size, Gzip: true}})
			continue
		}
		for _, sp := range split.Plan(s.Size, size) {
			out = append(out, importSplit{Source: i, Split: sp})
		}
	}
	return out
}
