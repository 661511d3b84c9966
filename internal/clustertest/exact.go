package clustertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// ImportFile imports the file at path into b as dataset name with spec,
// as `quarry dataset import` does, on two goroutines.
func ImportFile(ctx context.Context, b objstore.Bucket, name, path string, spec dataset.Spec) error {
	src, err := local.New(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = dataset.Import(ctx, b, name,
		[]dataset.SourceObject{{Bucket: src, Key: filepath.Base(path), URL: path}},
		dataset.Options{Spec: spec, Workers: 2})
	if err != nil {
		return fmt.Errorf("import %s into %s: %w", path, b, err)
	}
	return nil
}

// CheckJob checks what succeeded job id published in the cluster's store
// got against what jobs.RunLocal publishes for the same spec and job id in
// ref, a store holding the same datasets and raw objects (run the jobs a
// model bundles first: RunLocal reads their results in ref). Byte for
// byte, but for what depends on when or where a job ran:
//
//   - itemsets, sequences, segments: the result manifest and every result
//     object;
//   - model: the result manifest but for the model version in its key,
//     items.json and model.json, and the published model manifest but for
//     its version (models publish in completion order);
//   - import: the published dataset manifest but for its creation time
//     and the sources' store URLs and ETags, and every object it
//     references, whose size and SHA-256 must be those it records.
//
// The error names the job and the first object that differs.
func CheckJob(ctx context.Context, got, ref objstore.Bucket, id string, spec jobs.Spec) error {
	res, err := jobs.RunLocal(ctx, ref, spec, jobs.LocalOptions{JobID: id, Workers: 2})
	if err != nil {
		return fmt.Errorf("job %s: reference run: %w", id, err)
	}
	switch spec.Type {
	case jobs.TypeImport:
		err = checkImport(ctx, got, spec, res.Dataset)
	case jobs.TypeModel:
		err = checkModel(ctx, got, ref, id, res.Manifest)
	default:
		err = checkResult(ctx, got, ref, id)
	}
	if err != nil {
		return fmt.Errorf("job %s: %w", id, err)
	}
	return nil
}

// checkResult compares job id's result manifest and objects in got and ref.
func checkResult(ctx context.Context, got, ref objstore.Bucket, id string) error {
	key := jobs.ResultPrefix(id) + jobs.ResultManifestName
	if err := sameObject(ctx, got, ref, key); err != nil {
		return err
	}
	m, err := jobs.LoadResult(ctx, ref, id)
	if err != nil {
		return err
	}
	if len(m.Objects) == 0 {
		return fmt.Errorf("reference result: no object: a weak check")
	}
	for _, o := range m.Objects {
		if err := sameObject(ctx, got, ref, o.Key); err != nil {
			return err
		}
	}
	return nil
}

// checkModel compares a model job's results and published model.
func checkModel(ctx context.Context, got, ref objstore.Bucket, id string, want *jobs.ResultManifest) error {
	have, err := jobs.LoadResult(ctx, got, id)
	if err != nil {
		return err
	}
	for _, name := range []string{"items.json", "model.json"} {
		o, ok := want.Object(name)
		if !ok {
			return fmt.Errorf("reference result: no %s", name)
		}
		if err := sameObject(ctx, got, ref, o.Key); err != nil {
			return err
		}
	}
	gm, err := loadModelAt(ctx, got, have.Model)
	if err != nil {
		return err
	}
	wm, err := loadModelAt(ctx, ref, want.Model)
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	if gm.Job != id || jobs.ModelKey(gm.Dataset, gm.Version) != have.Model {
		return fmt.Errorf("model %s: got job %s version %d; want job %s at that key", have.Model, gm.Job, gm.Version, id)
	}
	gm.Version, wm.Version = 0, 0
	if err := sameJSON("model manifest "+have.Model, gm, wm); err != nil {
		return err
	}
	h, w := *have, *want
	h.Model, w.Model = "", ""
	return sameJSON("result manifest", h, w)
}

// loadModelAt reads the model manifest at key.
func loadModelAt(ctx context.Context, b objstore.Bucket, key string) (*jobs.ModelManifest, error) {
	data, err := objstore.ReadAll(ctx, b, key)
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", key, err)
	}
	var m jobs.ModelManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("model %s: %w", key, err)
	}
	return &m, nil
}

// checkImport compares the dataset version an import job published in
// got with the reference's, and checks every object it references.
func checkImport(ctx context.Context, got objstore.Bucket, spec jobs.Spec, want *dataset.Manifest) error {
	have, err := dataset.LoadManifest(ctx, got, spec.Dataset, want.Version)
	if err != nil {
		return err
	}
	h, w := *have, *want
	for _, m := range []*dataset.Manifest{&h, &w} {
		if err := normalizeSources(m, spec.Import.Sources); err != nil {
			return err
		}
	}
	if err := sameJSON(dataset.ManifestKey(spec.Dataset, want.Version), h, w); err != nil {
		return err
	}
	refs := map[string]dataset.ObjectRef{}
	for _, p := range have.Partitions {
		refs[p.Key] = p.ObjectRef
	}
	if d := have.DictionaryObject; d != nil {
		refs[d.Key] = *d
	}
	for _, s := range have.Segments {
		if q := s.Quarantine; q != nil {
			refs[q.Key] = q.ObjectRef
		}
	}
	for _, k := range have.Keys() {
		if err := checkRef(ctx, got, refs[k]); err != nil {
			return err
		}
	}
	return nil
}

// normalizeSources clears what depends on the store in a manifest copy:
// its creation time, and each source's URL (which must end with one of
// keys: it becomes that key) and ETag.
func normalizeSources(m *dataset.Manifest, keys []string) error {
	m.Created = time.Time{}
	segs := make([]dataset.Segment, len(m.Segments))
	for i, s := range m.Segments {
		s.Sources = append([]dataset.Source(nil), s.Sources...)
		for j := range s.Sources {
			k := matchKey(s.Sources[j].URL, keys)
			if k == "" {
				return fmt.Errorf("dataset %s v%d: source %q is none of %q", m.Name, m.Version, s.Sources[j].URL, keys)
			}
			s.Sources[j].URL, s.Sources[j].ETag = k, ""
		}
		segs[i] = s
	}
	m.Segments = segs
	return nil
}

// matchKey returns the key of keys that url ends with, after a slash.
func matchKey(url string, keys []string) string {
	for _, k := range keys {
		if strings.HasSuffix(url, "/"+k) {
			return k
		}
	}
	return ""
}

// checkRef checks that object r.Key exists in b with r's size and SHA-256.
func checkRef(ctx context.Context, b objstore.Bucket, r dataset.ObjectRef) error {
	data, err := objstore.ReadAll(ctx, b, r.Key)
	if err != nil {
		return fmt.Errorf("referenced object %q: %w", r.Key, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != r.Size || hex.EncodeToString(sum[:]) != r.SHA256 {
		return fmt.Errorf("object %s: got %d bytes sha256 %x; want %d bytes sha256 %s", r.Key, len(data), sum, r.Size, r.SHA256)
	}
	return nil
}

// sameObject compares object key in got and want byte for byte.
func sameObject(ctx context.Context, got, want objstore.Bucket, key string) error {
	g, err := objstore.ReadAll(ctx, got, key)
	if err != nil {
		return fmt.Errorf("object %s: %w", key, err)
	}
	w, err := objstore.ReadAll(ctx, want, key)
	if err != nil {
		return fmt.Errorf("reference object %s: %w", key, err)
	}
	if !bytes.Equal(g, w) {
		return fmt.Errorf("object %s: got %d bytes differing from RunLocal's %d (first difference at byte %d)", key, len(g), len(w), firstDiff(g, w))
	}
	return nil
}

// sameJSON compares two values by their JSON encodings.
func sameJSON(what string, got, want any) error {
	g, err := json.Marshal(got)
	if err != nil {
		return err
	}
	w, err := json.Marshal(want)
	if err != nil {
		return err
	}
	if !bytes.Equal(g, w) {
		i := firstDiff(g, w)
		return fmt.Errorf("%s: got %s; want %s (from byte %d)", what, excerpt(g, i), excerpt(w, i), i)
	}
	return nil
}

// firstDiff returns the index of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// excerpt returns up to 120 bytes of b around index i.
func excerpt(b []byte, i int) string {
	lo, hi := max(i-40, 0), min(i+80, len(b))
	return fmt.Sprintf("…%s…", b[lo:hi])
}
