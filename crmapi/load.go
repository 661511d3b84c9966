package crmapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// ErrInvalidModel is wrapped by the errors Load returns for a model whose
// manifest or objects are inconsistent: a wrong size or SHA-256, an
// undecodable line, an item missing from the catalogue.
var ErrInvalidModel = errors.New("invalid model")

// maxModelObject bounds the size of one model object read whole (2 GiB).
const maxModelObject = 2 << 30

// Load reads version (0: the latest) of dataset's model from bucket,
// verifies every object it references against the manifest's size and
// SHA-256, reads the customers' orders from the dataset version the model
// pins and builds the indexes of an immutable Model. Any failure is an
// error naming the object concerned; nothing is returned half-built.
func Load(ctx context.Context, bucket objstore.Bucket, name string, version int) (*Model, error) {
	mm, err := jobs.LoadModel(ctx, bucket, name, version)
	if err != nil {
		return nil, fmt.Errorf("load model %s v%d: %w", name, version, err)
	}
	if mm.Format != jobs.ModelFormat {
		return nil, fmt.Errorf("load model %s v%d: %w: format %q, want %q", name, mm.Version, ErrInvalidModel, mm.Format, jobs.ModelFormat)
	}
	if mm.Dataset != name || (version != 0 && mm.Version != version) {
		return nil, fmt.Errorf("load model %s v%d: %w: manifest says %s v%d", name, version, ErrInvalidModel, mm.Dataset, mm.Version)
	}
	m, err := build(ctx, bucket, mm)
	if err != nil {
		return nil, fmt.Errorf("load model %s v%d: %w", name, mm.Version, err)
	}
	return m, nil
}

// build reads and indexes everything mm references.
func build(ctx context.Context, b objstore.Bucket, mm *jobs.ModelManifest) (*Model, error) {
	m := &Model{Dataset: mm.Dataset, Version: mm.Version, DatasetVersion: mm.DatasetVersion, Job: mm.Job}
	data, err := readVerified(ctx, b, mm.Items)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &m.items); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", mm.Items.Key, ErrInvalidModel, err)
	}
	m.itemIndex = make(map[string]int32, len(m.items))
	for i, it := range m.items {
		m.itemIndex[it.Name] = int32(i)
	}
	if mm.Rules != nil {
		if err := m.loadRules(ctx, b, mm.Rules); err != nil {
			return nil, err
		}
	}
	if mm.Sequences != nil {
		if err := m.loadSequences(ctx, b, mm.Sequences); err != nil {
			return nil, err
		}
	}
	if mm.Segments != nil {
		if err := m.loadSegments(ctx, b, mm.Segments); err != nil {
			return nil, err
		}
	}
	d, err := dataset.Open(ctx, b, mm.Dataset, mm.DatasetVersion)
	if err != nil {
		return nil, fmt.Errorf("dataset %s v%d: %w", mm.Dataset, mm.DatasetVersion, err)
	}
	if err := m.loadHistories(ctx, d); err != nil {
		return nil, err
	}
	m.finish()
	m.prepareJSON()
	return m, nil
}

// object returns the object called name of part p.
func object(p *jobs.ModelPart, name string) (jobs.ResultObject, error) {
	for _, o := range p.Objects {
		if o.Name == name {
			return o, nil
		}
	}
	return jobs.ResultObject{}, fmt.Errorf("job %s: %w: no object %s", p.Job, ErrInvalidModel, name)
}

// readVerified reads object o whole and checks its size and SHA-256.
func readVerified(ctx context.Context, b objstore.Bucket, o jobs.ResultObject) ([]byte, error) {
	if o.Size < 0 || o.Size > maxModelObject {
		return nil, fmt.Errorf("%s: %w: size %d out of range", o.Key, ErrInvalidModel, o.Size)
	}
	rc, err := b.Get(ctx, o.Key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Key, err)
	}
	defer rc.Close()
	// Read into a buffer of the announced size (growing one copies the
	// data again and again), and hash it in chunks: SHA-256 of a large
	// object in one call holds its P for a tenth of a second without a
	// preemption point, and a garbage collection starting meanwhile
	// stops every request until it returns.
	data := make([]byte, o.Size+1)
	n, err := io.ReadFull(rc, data)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", o.Key, err)
	}
	data = data[:n]
	if int64(len(data)) != o.Size {
		return nil, fmt.Errorf("%s: %w: %d bytes, manifest says %d", o.Key, ErrInvalidModel, len(data), o.Size)
	}
	h := sha256.New()
	for rest := data; len(rest) > 0; {
		c := rest[:min(len(rest), hashChunk)]
		h.Write(c)
		rest = rest[len(c):]
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != o.SHA256 {
		return nil, fmt.Errorf("%s: %w: SHA-256 %s, manifest says %s", o.Key, ErrInvalidModel, got, o.SHA256)
	}
	return data, nil
}

// hashChunk is how much readVerified hashes per call.
const hashChunk = 256 << 10

// eachLine decodes every non-empty line of a JSON Lines object into a
// fresh T and passes it to fn.
func eachLine[T any](key string, data []byte, fn func(*T) error) error {
	return eachLineFast(key, data, nil, fn)
}

// eachLineFast is eachLine with a fast path: fast, when set, is offered
// each non-empty line first and reports whether it took it; lines it
// declines are decoded with encoding/json and passed to fn.
func eachLineFast[T any](key string, data []byte, fast func([]byte) bool, fn func(*T) error) error {
	line := 0
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l, data = data[:i], data[i+1:]
		}
		line++
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		if fast != nil && fast(l) {
			continue
		}
		v := new(T)
		if err := json.Unmarshal(l, v); err != nil {
			return fmt.Errorf("%s:%d: %w: %v", key, line, ErrInvalidModel, err)
		}
		if err := fn(v); err != nil {
			return fmt.Errorf("%s:%d: %w", key, line, err)
		}
	}
	return nil
}

// ids translates item names into catalogue indices, sorted ascending.
func (m *Model) ids(names []string) ([]int32, error) {
	out := make([]int32, len(names))
	for i, n := range names {
		id, ok := m.itemIndex[n]
		if !ok {
			return nil, fmt.Errorf("%w: item %q is not in the catalogue", ErrInvalidModel, n)
		}
		out[i] = id
	}
	sortIDs(out)
	return out, nil
}
