package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quarrydata/quarry/internal/names"
)

// ManifestFormat names the manifest schema; it changes only with an
// incompatible change.
const ManifestFormat = "quarry-dataset/1"

// Named errors.
var (
	// ErrNotFound reports a dataset or version that does not exist.
	ErrNotFound = errors.New("dataset not found")
	// ErrConflict reports that another import or append published the
	// version an append was building on top of.
	ErrConflict = errors.New("dataset changed concurrently")
	// ErrInvalidName reports a dataset name that is not usable in a key.
	ErrInvalidName = errors.New("invalid dataset name")
	// ErrNoItems reports a log dataset imported without an item column,
	// asked for what needs items (itemsets, rules, sequences).
	ErrNoItems = errors.New("dataset has no item column")
	// ErrNoRecords reports an import or append whose sources hold no
	// record at all (empty files, a CSV header alone, or every line
	// skipped): nothing is published.
	ErrNoRecords = errors.New("no records in the sources")
)

// Manifest describes one published version of a dataset. A version exists
// exactly when its manifest object does.
type Manifest struct {
	Format  string    `json:"format"`
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Parent is the version this one appended to (0 for an import).
	Parent int  `json:"parent,omitempty"`
	Kind   Kind `json:"kind"`
	// Partitioning says how records were routed: Partitions is the number
	// of hash buckets of every segment and Rule the rule, in words.
	Partitioning Partitioning `json:"partitioning"`
	// Import holds the parsing parameters, shared by every segment.
	Import Params `json:"import"`
	// Counts add up the segments.
	Counts Counts `json:"counts"`
	// TimeRange is the range of row times (log datasets with a time
	// column), nil otherwise.
	TimeRange *TimeRange `json:"time_range,omitempty"`
	// Items is the item dictionary inline (small dictionaries), indexed by
	// item id; DictionaryObject references it when it is stored apart.
	Items            []Item     `json:"items,omitempty"`
	DictionaryObject *ObjectRef `json:"dictionary_object,omitempty"`
	// NumItems is the dictionary's size in both cases.
	NumItems int `json:"num_items"`
	// Categories are the category names, indexed by category id.
	Categories []string `json:"categories,omitempty"`
	// Segments are the groups of partitions, one per import or append,
	// oldest first.
	Segments []Segment `json:"segments"`
	// Partitions lists every partition object of every segment, segment
	// by segment; readers address partitions by index in this list.
	Partitions []PartitionRef `json:"partitions"`
}

// Partitioning describes how records are spread over partitions.
type Partitioning struct {
	Partitions int    `json:"partitions"`
	Rule       string `json:"rule"`
}

// Params are the parsing parameters of an import.
type Params struct {
	Format  string  `json:"format"` // fimi, spmf, csv, tsv or ssv
	Columns Columns `json:"columns,omitempty"`
	// NoHeader says the sources have no header line: Columns name
	// 1-based positions.
	NoHeader     bool   `json:"no_header,omitempty"`
	TimeLayout   string `json:"time_layout,omitempty"`
	CancelPrefix string `json:"cancel_prefix,omitempty"`
	SkipBadLines bool   `json:"skip_bad_lines"`
	MaxLineBytes int    `json:"max_line_bytes"`
}

// Columns are the log columns used, "" for absent ones (format.Columns with
// JSON names): header names, or positions with Params.NoHeader. A log
// imported without an item column has no Item here and no items at all
// (NumItems 0): it serves the customer analyses, and HasItems says so.
type Columns struct {
	Customer    string `json:"customer,omitempty"`
	Order       string `json:"order,omitempty"`
	Time        string `json:"time,omitempty"`
	Item        string `json:"item,omitempty"`
	Description string `json:"description,omitempty"`
	Quantity    string `json:"quantity,omitempty"`
	Price       string `json:"price,omitempty"`
	Category    string `json:"category,omitempty"`
	// Amount is the money value of a line, stored as quantity ±1 and
	// price |amount| (see format.Columns.Amount).
	Amount string `json:"amount,omitempty"`
}

// Monetary reports whether the lines carry a money value (a price or an
// amount); without one a line's value is its quantity.
func (c Columns) Monetary() bool { return c.Price != "" || c.Amount != "" }

// HasItems reports whether the dataset has items: baskets and sequences
// always do, a log unless it was imported without an item column.
func (m *Manifest) HasItems() bool { return m.Kind != KindLog || m.Import.Columns.Item != "" }

// RequireItems returns an error wrapping ErrNoItems, naming the dataset
// and what needs the items, when the dataset has none; nil otherwise.
// Job planning calls it for itemsets, rules and sequences, so that such a
// job fails when it is submitted.
func (m *Manifest) RequireItems(what string) error {
	if m.HasItems() {
		return nil
	}
	return fmt.Errorf("%s needs items: %w: %s v%d was imported without one (columns.item)", what, ErrNoItems, m.Name, m.Version)
}

// Counts count what a dataset or segment holds.
type Counts struct {
	// Lines are the source lines read (header and skipped lines included).
	Lines int `json:"lines"`
	// Skipped are the bad lines skipped with --skip-bad-lines.
	Skipped int `json:"skipped"`
	// Records are baskets, sequences or log rows.
	Records int `json:"records"`
	// Rows are log rows (as Records) or item occurrences in baskets and
	// sequences.
	Rows int `json:"rows"`
	// Orders are the (customer, order id) groups of a log.
	Orders int `json:"orders,omitempty"`
	// Customers are the distinct non-empty customer ids of a log (in a
	// dataset with several segments, a customer in two segments counts in
	// both).
	Customers int `json:"customers,omitempty"`
	// Returns are the return rows of a log.
	Returns int `json:"returns,omitempty"`
	// NoCustomer are the log rows without a customer id.
	NoCustomer int `json:"no_customer_rows,omitempty"`
}

func (c *Counts) add(o Counts) {
	c.Lines += o.Lines
	c.Skipped += o.Skipped
	c.Records += o.Records
	c.Rows += o.Rows
	c.Orders += o.Orders
	c.Customers += o.Customers
	c.Returns += o.Returns
	c.NoCustomer += o.NoCustomer
}

// TimeRange is the earliest and latest row time.
type TimeRange struct {
	Min time.Time `json:"min"`
	Max time.Time `json:"max"`
}

// Item is a dictionary entry: the item's name in the source and the
// description it had when first seen.
type Item struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ObjectRef names a stored object and its checksum.
type ObjectRef struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Segment is the partitions added by one import or append.
type Segment struct {
	// ID numbers the segments of a dataset from 0.
	ID int `json:"id"`
	// Version is the dataset version that added the segment.
	Version int `json:"version"`
	// Sources are the raw objects read.
	Sources []Source `json:"sources"`
	Counts  Counts   `json:"counts"`
	// Quarantine holds samples of the skipped lines, if any.
	Quarantine *Quarantine `json:"quarantine,omitempty"`
}

// Source is a raw object an import read.
type Source struct {
	URL  string `json:"url"`
	Size int64  `json:"size"`
	ETag string `json:"etag,omitempty"`
}

// Quarantine references the JSON Lines object of skipped lines.
type Quarantine struct {
	ObjectRef
	// Samples is the number of lines in the object; Segment.Counts.Skipped
	// the number skipped.
	Samples int `json:"samples"`
}

// PartitionRef is one partition object.
type PartitionRef struct {
	ObjectRef
	// Segment is the segment's ID and Index the hash bucket in [0,
	// Partitioning.Partitions): the customers of bucket i of every segment
	// are those whose id hashes to i.
	Segment int `json:"segment"`
	Index   int `json:"index"`
	// Records are baskets, sequences or customers; Orders and Rows count
	// a log's orders and rows, or the item occurrences of baskets and
	// sequences (Rows).
	Records int `json:"records"`
	Orders  int `json:"orders,omitempty"`
	Rows    int `json:"rows"`
	// Customers counts the non-empty customer ids of a log partition.
	Customers int `json:"customers,omitempty"`
}

// Keys returns every object key the manifest references except its own.
func (m *Manifest) Keys() []string {
	var keys []string
	for _, p := range m.Partitions {
		keys = append(keys, p.Key)
	}
	if m.DictionaryObject != nil {
		keys = append(keys, m.DictionaryObject.Key)
	}
	for _, s := range m.Segments {
		if s.Quarantine != nil {
			keys = append(keys, s.Quarantine.Key)
		}
	}
	return keys
}

// Bucket returns the indexes in Partitions of the partitions of hash bucket
// i, one per segment: together they hold every row of the customers that
// hash to i.
func (m *Manifest) Bucket(i int) []int {
	var out []int
	for j, p := range m.Partitions {
		if p.Index == i {
			out = append(out, j)
		}
	}
	return out
}

// validate checks what readers rely on.
func (m *Manifest) validate() error {
	if m.Format != ManifestFormat {
		return fmt.Errorf("manifest format %q, want %q", m.Format, ManifestFormat)
	}
	if _, ok := kindByte[m.Kind]; !ok {
		return fmt.Errorf("manifest kind %q unknown", m.Kind)
	}
	if m.Items != nil && len(m.Items) != m.NumItems {
		return fmt.Errorf("manifest lists %d items, num_items says %d", len(m.Items), m.NumItems)
	}
	if m.Partitioning.Partitions < 1 {
		return fmt.Errorf("manifest has %d partitions per segment", m.Partitioning.Partitions)
	}
	return nil
}

func decodeManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// The store layout, under Root:
//
//	datasets/<name>/v<N>/manifest.json            one per published version
//	datasets/<name>/objects/<import id>/part-<segment>-<bucket>.qp
//	datasets/<name>/objects/<import id>/dictionary.json
//	datasets/<name>/objects/<import id>/quarantine.jsonl
const (
	// Root is the prefix of every dataset.
	Root         = "datasets/"
	manifestName = "manifest.json"
)

// ValidateName checks a dataset name: 1 to 128 letters, digits, '.', '_'
// or '-', starting with a letter or digit.
func ValidateName(name string) error {
	if !names.Valid(name) {
		return fmt.Errorf("%w %s: use letters, digits, '.', '_' or '-' (at most 128, starting with a letter or digit)", ErrInvalidName, names.QuoteShort(name))
	}
	return nil
}

func datasetPrefix(name string) string { return Root + name + "/" }

// ManifestKey returns the key of a version's manifest.
func ManifestKey(name string, version int) string {
	return fmt.Sprintf("%sv%d/%s", datasetPrefix(name), version, manifestName)
}

func objectsPrefix(name string) string { return datasetPrefix(name) + "objects/" }

func partitionKey(prefix string, segment, bucket int) string {
	return fmt.Sprintf("%spart-%03d-%05d.qp", prefix, segment, bucket)
}

// parseManifestKey returns the version of a key under datasetPrefix(name)
// that is a manifest, or 0.
func parseManifestKey(name, key string) int {
	rest, ok := strings.CutPrefix(key, datasetPrefix(name)+"v")
	if !ok {
		return 0
	}
	num, file, ok := strings.Cut(rest, "/")
	if !ok || file != manifestName || num == "" || num[0] == '0' {
		return 0
	}
	v, err := strconv.Atoi(num)
	if err != nil || v < 1 {
		return 0
	}
	return v
}
