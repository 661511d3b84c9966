package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// ModelFormat names the model manifest schema.
const ModelFormat = "quarry-model/1"

// ModelRoot is the prefix of every published model:
//
//	models/<dataset>/v<N>/manifest.json
const ModelRoot = "models/"

// ModelManifest is a published model version: the results it bundles
// (each referencing objects under the jobs' result prefixes) and the item
// catalogue. It is published create-only at the next free version.
type ModelManifest struct {
	Format  string `json:"format"`
	Dataset string `json:"dataset"`
	// Version is the model version (0 in the job's own model.json, set
	// when published).
	Version int `json:"version"`
	// Job is the model job that published it.
	Job       string     `json:"job"`
	Rules     *ModelPart `json:"rules,omitempty"`
	Sequences *ModelPart `json:"sequences,omitempty"`
	Segments  *ModelPart `json:"segments,omitempty"`
	// Items is the item catalogue (items.json: names and descriptions by
	// item id) of the dataset version the model job read.
	Items          ResultObject `json:"items"`
	DatasetVersion int          `json:"dataset_version"`
}

// ModelPart is one bundled job result.
type ModelPart struct {
	Job            string         `json:"job"`
	DatasetVersion int            `json:"dataset_version"`
	Records        int            `json:"records"`
	Objects        []ResultObject `json:"objects"`
}

// ModelKey returns the key of version v of dataset name's model.
func ModelKey(name string, v int) string {
	return fmt.Sprintf("%s%s/v%d/manifest.json", ModelRoot, name, v)
}

func nextModel(st *State) (*Stage, error) {
	if len(st.Stages) > 0 {
		return nil, nil
	}
	return mergeStage("bundle", OpModel, nil, nil), nil
}

// modelPart loads the result of job id, checking its dataset and type and
// that it holds the objects named.
func modelPart(ctx context.Context, b objstore.Bucket, id, ds string, typ Type, names ...string) (*ModelPart, error) {
	if id == "" {
		return nil, nil
	}
	rm, err := LoadResult(ctx, b, id)
	if err != nil {
		return nil, fmt.Errorf("model: %s job %s: %w", typ, id, err)
	}
	if rm.Type != typ || rm.Dataset != ds {
		return nil, fmt.Errorf("model: job %s is a %s job on %s; want a %s job on %s", id, rm.Type, rm.Dataset, typ, ds)
	}
	p := &ModelPart{Job: id, DatasetVersion: rm.Version, Records: rm.Records}
	for _, n := range names {
		o, ok := rm.Object(n)
		if !ok {
			return nil, fmt.Errorf("model: job %s has no %s", id, n)
		}
		p.Objects = append(p.Objects, o)
	}
	return p, nil
}

// runModel bundles the named results into a model: items.json and
// model.json under the job's result prefix, then the model version,
// create-only.
func runModel(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	ms := t.Spec.Model
	mm := ModelManifest{Format: ModelFormat, Dataset: t.Spec.Dataset, Job: t.Job, DatasetVersion: t.Spec.Version}
	var err error
	if mm.Rules, err = modelPart(ctx, b, ms.Rules, t.Spec.Dataset, TypeItemsets, "rules.jsonl", "itemsets.jsonl"); err != nil {
		return err
	}
	if mm.Sequences, err = modelPart(ctx, b, ms.Sequences, t.Spec.Dataset, TypeSequences, "sequences.jsonl"); err != nil {
		return err
	}
	if mm.Segments, err = modelPart(ctx, b, ms.Segments, t.Spec.Dataset, TypeSegments, "segments.json", "customers.jsonl", "kmeans.json"); err != nil {
		return err
	}
	d, err := dataset.Open(ctx, b, t.Spec.Dataset, t.Spec.Version)
	if err != nil {
		return err
	}
	items, err := d.Items(ctx)
	if err != nil {
		return err
	}
	w := newResultWriter(b, t, len(items), 0, res)
	if err := w.add(ctx, "items.json", len(items), func(wr io.Writer) error { return json.NewEncoder(wr).Encode(items) }); err != nil {
		return err
	}
	mm.Items = w.m.Objects[0]
	if err := w.add(ctx, "model.json", 1, func(wr io.Writer) error { return json.NewEncoder(wr).Encode(mm) }); err != nil {
		return err
	}
	key, err := publishModel(ctx, b, mm)
	if err != nil {
		return err
	}
	w.m.Model = key
	return w.close(ctx)
}

// maxModelAttempts bounds the version numbers a model publication tries
// when concurrent model jobs keep taking them.
const maxModelAttempts = 20

// publishModel publishes mm at the next free version of its dataset's
// models, unless a version published by the same job exists (an earlier
// attempt got there): then that version's key is returned, so a retried
// model job never publishes twice.
func publishModel(ctx context.Context, b objstore.Bucket, mm ModelManifest) (string, error) {
	for range maxModelAttempts {
		versions, err := ModelVersions(ctx, b, mm.Dataset)
		if err != nil {
			return "", err
		}
		next := 1
		for _, v := range versions {
			data, err := readObject(ctx, b, ModelKey(mm.Dataset, v), 64<<20)
			if err != nil {
				return "", err
			}
			var old ModelManifest
			if err := json.Unmarshal(data, &old); err != nil {
				return "", fmt.Errorf("model %s v%d: %w", mm.Dataset, v, err)
			}
			if old.Job == mm.Job {
				return ModelKey(mm.Dataset, v), nil
			}
			next = max(next, v+1)
		}
		mm.Version = next
		data, err := json.MarshalIndent(mm, "", "  ")
		if err != nil {
			return "", err
		}
		key := ModelKey(mm.Dataset, next)
		err = b.PublishIfAbsent(ctx, key, bytes.NewReader(append(data, '\n')))
		if err == nil {
			return key, nil
		}
		if !objstore.IsExists(err) {
			return "", fmt.Errorf("publish %s: %w", key, err)
		}
	}
	return "", fmt.Errorf("publish model of %s: %d versions taken concurrently", mm.Dataset, maxModelAttempts)
}

var modelKeyRE = regexp.MustCompile(`^v([1-9][0-9]*)/manifest\.json$`)

// ModelVersions returns the published model versions of dataset name,
// ascending.
func ModelVersions(ctx context.Context, b objstore.Bucket, name string) ([]int, error) {
	prefix := ModelRoot + name + "/"
	keys, err := objstore.List(ctx, b, prefix)
	if err != nil {
		return nil, fmt.Errorf("list models of %s: %w", name, err)
	}
	var out []int
	for _, k := range keys {
		if m := modelKeyRE.FindStringSubmatch(k[len(prefix):]); m != nil {
			v, _ := strconv.Atoi(m[1])
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out, nil
}

// LoadModel reads version v (0: the latest) of dataset name's model.
func LoadModel(ctx context.Context, b objstore.Bucket, name string, v int) (*ModelManifest, error) {
	if v == 0 {
		vs, err := ModelVersions(ctx, b, name)
		if err != nil {
			return nil, err
		}
		if len(vs) == 0 {
			return nil, fmt.Errorf("model of %s: %w", name, objstore.ErrNotFound)
		}
		v = vs[len(vs)-1]
	}
	data, err := readObject(ctx, b, ModelKey(name, v), 64<<20)
	if err != nil {
		return nil, err
	}
	var mm ModelManifest
	if err := json.Unmarshal(data, &mm); err != nil {
		return nil, fmt.Errorf("model %s v%d: %w", name, v, err)
	}
	return &mm, nil
}
