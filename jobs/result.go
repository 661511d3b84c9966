package jobs

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// ResultFormat names the result manifest schema.
const ResultFormat = "quarry-result/1"

// ResultManifest lists a finished job's result objects. It is written
// last and create-only, so a job's results exist exactly when it does,
// and its content depends only on the job and the data (no timestamps),
// so every attempt of the final task writes the same bytes.
type ResultManifest struct {
	Format  string `json:"format"`
	Job     string `json:"job"`
	Type    Type   `json:"type"`
	Dataset string `json:"dataset"`
	Version int    `json:"version"`
	Spec    Spec   `json:"spec"`
	// Records is the number of transactions, sequences or customers mined;
	// MinCount the count threshold applied (pattern jobs).
	Records  int `json:"records"`
	MinCount int `json:"min_count,omitempty"`
	// Objects are the result objects, in a fixed order.
	Objects []ResultObject `json:"objects"`
	// Model is the key of the model version a model job published.
	Model string `json:"model,omitempty"`
}

// ResultObject is one result object.
type ResultObject struct {
	// Name is the object's role and file name: itemsets.jsonl,
	// itemsets.spmf, rules.jsonl, rules.spmf, sequences.jsonl,
	// sequences.spmf, segments.json, customers.jsonl, items.json,
	// model.json.
	Name   string `json:"name"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Count is the number of patterns, segments or customers in it.
	Count int `json:"count"`
}

// resultWriter publishes a job's result objects, create-only.
type resultWriter struct {
	b   objstore.Bucket
	t   *TaskSpec
	m   ResultManifest
	res *TaskResult
}

func newResultWriter(b objstore.Bucket, t *TaskSpec, records, minCount int, res *TaskResult) *resultWriter {
	return &resultWriter{b: b, t: t, res: res, m: ResultManifest{Format: ResultFormat, Job: t.Job, Type: t.Spec.Type,
		Dataset: t.Spec.Dataset, Version: t.Spec.Version, Spec: t.Spec, Records: records, MinCount: minCount, Objects: []ResultObject{}}}
}

// add publishes one result object filled by write (see publishObject).
func (w *resultWriter) add(ctx context.Context, name string, count int, write func(io.Writer) error) error {
	o, err := publishObject(ctx, w.b, ResultPrefix(w.t.Job)+name, write)
	if err != nil {
		return fmt.Errorf("result %s: %w", name, err)
	}
	o.Name, o.Count = name, count
	w.m.Objects = append(w.m.Objects, o)
	w.res.BytesWritten += o.Size
	return nil
}

// resultPart is one result object for addAll.
type resultPart struct {
	name  string
	count int
	write func(io.Writer) error
}

// addAll publishes several result objects at once (the same results in
// each output format, say), each on its own goroutine, and records them in
// the given order.
func (w *resultWriter) addAll(ctx context.Context, parts ...resultPart) error {
	objs := make([]ResultObject, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() { objs[i], errs[i] = publishObject(ctx, w.b, ResultPrefix(w.t.Job)+p.name, p.write) })
	}
	wg.Wait()
	for i, p := range parts {
		if errs[i] != nil {
			return fmt.Errorf("result %s: %w", p.name, errs[i])
		}
		objs[i].Name, objs[i].Count = p.name, p.count
		w.m.Objects = append(w.m.Objects, objs[i])
		w.res.BytesWritten += objs[i].Size
	}
	return nil
}

// publishObject streams what write produces into the store under key,
// create-only, hashing and counting it on the way, so no result is ever
// held whole in memory (a rules file can be hundreds of MiB). When another
// attempt published the key first, the bytes are still produced and
// hashed: the returned size and digest are what this attempt wrote, which
// is the same.
func publishObject(ctx context.Context, b objstore.Bucket, key string, write func(io.Writer) error) (ResultObject, error) {
	pr, pw := io.Pipe()
	h := sha256.New()
	var size countingWriter
	written := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(io.MultiWriter(h, &size, pw), 256<<10)
		err := write(bw)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err) // nil: the reader sees EOF
		written <- err
	}()
	perr := b.PublishIfAbsent(ctx, key, pr)
	if perr != nil && !objstore.IsExists(perr) {
		pr.CloseWithError(perr) // stop the writer
		<-written
		return ResultObject{}, fmt.Errorf("publish %s: %w", key, perr)
	}
	_, _ = io.Copy(io.Discard, pr) // the key was taken: hash what this attempt writes
	if err := <-written; err != nil {
		return ResultObject{}, err
	}
	return ResultObject{Key: key, Size: int64(size), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// countingWriter counts the bytes written through it.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// close publishes the manifest, last.
func (w *resultWriter) close(ctx context.Context) error {
	data, err := json.MarshalIndent(w.m, "", "  ")
	if err != nil {
		return err
	}
	key := ResultPrefix(w.t.Job) + ResultManifestName
	if err := publishResult(ctx, w.b, key, append(data, '\n')); err != nil {
		return err
	}
	w.res.Key = key
	return nil
}

// LoadResult reads the result manifest of job id.
func LoadResult(ctx context.Context, b objstore.Bucket, id string) (*ResultManifest, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	data, err := readObject(ctx, b, ResultPrefix(id)+ResultManifestName, 64<<20)
	if err != nil {
		return nil, err
	}
	var m ResultManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("result of job %s: %w", id, err)
	}
	if m.Format != ResultFormat {
		return nil, fmt.Errorf("result of job %s: format %q, want %q", id, m.Format, ResultFormat)
	}
	return &m, nil
}

// Object returns the result object called name, or false.
func (m *ResultManifest) Object(name string) (ResultObject, bool) {
	for _, o := range m.Objects {
		if o.Name == name {
			return o, true
		}
	}
	return ResultObject{}, false
}

// outputNames returns how results name items. FIMI and SPMF datasets keep
// their items' numeric ids in dense order, so patterns are translated back
// to the raw ids (an order-preserving map) and written as numbers, exactly
// as quarry mine writes them; logs use the dictionary's names.
func outputNames(ctx context.Context, d *dataset.Dataset) (format.ItemNames, []uint32, error) {
	dict, err := d.Dictionary(ctx)
	if err != nil {
		return nil, nil, err
	}
	if d.Manifest.Kind == dataset.KindLog {
		return dict, nil, nil
	}
	raw := make([]uint32, dict.Len())
	for i, name := range dict.Names() {
		v, err := strconv.ParseUint(name, 10, 32)
		if err != nil || (i > 0 && uint32(v) <= raw[i-1]) {
			return dict, nil, nil // not numeric ids in order: keep names
		}
		raw[i] = uint32(v)
	}
	return format.NumericItems{}, raw, nil
}

// translate maps item ids through raw into a new slice (nil raw:
// identity). An id beyond the dictionary can only come from a corrupt
// partial and fails with ErrCorrupt.
func translate(items []uint32, raw []uint32) ([]uint32, error) {
	if raw == nil {
		return items, nil
	}
	out := make([]uint32, len(items))
	for i, it := range items {
		if int64(it) >= int64(len(raw)) {
			return nil, fmt.Errorf("%w: item id %d beyond the %d items of the dictionary", ErrCorrupt, it, len(raw))
		}
		out[i] = raw[it]
	}
	return out, nil
}
