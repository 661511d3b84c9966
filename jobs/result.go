package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

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

// add publishes one result object filled by write.
func (w *resultWriter) add(ctx context.Context, name string, count int, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("result %s: %w", name, err)
	}
	key := ResultPrefix(w.t.Job) + name
	if err := publishResult(ctx, w.b, key, buf.Bytes()); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	w.m.Objects = append(w.m.Objects, ResultObject{Name: name, Key: key, Size: int64(buf.Len()), SHA256: hex.EncodeToString(sum[:]), Count: count})
	w.res.BytesWritten += int64(buf.Len())
	return nil
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
