package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/split"
)

// runImport runs one task of an import job.
func runImport(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	if t.Spec.Import.Pinned == nil {
		return fmt.Errorf("%w: import spec not prepared", ErrPlan)
	}
	switch t.Op {
	case OpImportParse:
		return runImportParse(ctx, b, t, res)
	case OpImportDict:
		return runImportDictionary(ctx, b, t, res)
	case OpImportBuild:
		return runImportBuild(ctx, b, t, res)
	case OpImportPublish:
		return runImportPublish(ctx, b, t, res)
	}
	return fmt.Errorf("%w: operation %q is not part of an import", ErrPlan, t.Op)
}

// importPrefix returns where an import job's dataset objects go.
func importPrefix(t *TaskSpec) string {
	return dataset.ObjectsPrefix(t.Spec.Dataset, "job-"+t.Job)
}

// runImportParse parses one split of a source and writes its rows, in one
// section per hash bucket, to the attempt's key. A bad line (strict mode)
// is not a task failure: the summary reports it and Next fails the job
// with its line numbered from the start of the source.
func runImportParse(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	var p parseParams
	if err := params(t, &p); err != nil {
		return err
	}
	is := t.Spec.Import
	if p.Source < 0 || p.Source >= len(is.Pinned.Sources) {
		return fmt.Errorf("%w: source %d of %d", ErrPlan, p.Source, len(is.Pinned.Sources))
	}
	src := is.Pinned.Sources[p.Source]
	a, err := b.Attributes(ctx, src.Key)
	if err != nil {
		return fmt.Errorf("source %s: %w", src.URL, err)
	}
	if a.Size != src.Size || (src.ETag != "" && a.ETag != src.ETag) {
		return fmt.Errorf("source %s changed since the job was submitted (%d bytes, ETag %q; pinned %d, %q)", src.URL, a.Size, a.ETag, src.Size, src.ETag)
	}
	spec := is.datasetSpec()
	var header []byte
	if spec.Kind() == dataset.KindLog && !p.Split.OwnsHeader() && !spec.NoHeader {
		if header, err = split.Header(ctx, b, src.Key); err != nil {
			return fmt.Errorf("source %s: %w", src.URL, err)
		}
	}
	sr, err := dataset.ParseSplit(ctx, b, src.Key, src.URL, p.Split, header, spec)
	if err != nil {
		bad, ok := lineError(err, func(l int) int { return sr.AbsLine(l, 0) })
		if !ok || ctx.Err() != nil {
			return fmt.Errorf("source %s split %v: %w", src.URL, p.Split, err)
		}
		summarize(res, parseSummary{Bad: bad})
		return nil
	}
	if err := writePartial(ctx, b, t, sr.EncodeShuffle(spec.Partitions), res); err != nil {
		return err
	}
	res.Rows = int64(sr.Stats.Records)
	res.BytesRead = p.Split.End - p.Split.Start
	summarize(res, parseSummary{Records: sr.Stats.Records, Lines: sr.Lines})
	return nil
}

// runImportDictionary merges the dictionaries of every split (its inputs,
// in split order) and writes the plan the build and publish tasks read.
func runImportDictionary(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	is := t.Spec.Import
	splits := importSplits(is)
	if len(t.Inputs) != len(splits) {
		return fmt.Errorf("%w: %d inputs for %d splits", ErrPlan, len(t.Inputs), len(splits))
	}
	shuffled := make([]dataset.ShuffledSplit, len(splits))
	for i, s := range splits {
		shuffled[i] = dataset.ShuffledSplit{Key: t.Inputs[i], Source: s.Source, URL: is.Pinned.Sources[s.Source].URL}
	}
	var baseItems []dataset.Item
	var baseCats []string
	if is.Append {
		d, err := dataset.Open(ctx, b, t.Spec.Dataset, is.Pinned.Latest)
		if err != nil {
			return err
		}
		if baseItems, err = d.Items(ctx); err != nil {
			return err
		}
		baseCats = d.Manifest.Categories
	}
	m, err := dataset.MergeShuffled(ctx, b, shuffled, baseItems, baseCats, is.datasetSpec())
	if err != nil {
		return err
	}
	if err := writePartial(ctx, b, t, m.EncodePlan(), res); err != nil {
		return err
	}
	res.Rows = int64(m.Counts.Records)
	summarize(res, dictSummary{Items: len(m.Items), Records: m.Counts.Records})
	return nil
}

// runImportBuild builds the partition of its bucket from its section of
// every split and writes it create-only under the key the manifest will
// reference: every attempt writes the same bytes there, so an attempt
// that finds the key taken checks the content and succeeds.
func runImportBuild(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	is := t.Spec.Import
	if len(t.Buckets) != 1 || len(t.Inputs) < 1 {
		return fmt.Errorf("%w: a build task reads one bucket and the plan", ErrPlan)
	}
	bucket := t.Buckets[0]
	spec := is.datasetSpec()
	plan, err := dataset.ReadBuildPlan(ctx, b, t.Inputs[0], spec)
	if err != nil {
		return err
	}
	p, err := plan.BuildShuffled(ctx, b, t.Inputs[1:], bucket)
	if err != nil {
		return err
	}
	if err := writeImportMarker(ctx, b, t); err != nil {
		return err
	}
	data := dataset.Encode(p)
	ref, err := dataset.WriteOnce(ctx, b, dataset.PartitionKey(importPrefix(t), is.Pinned.Segment, bucket), data)
	if err != nil {
		return err
	}
	pr := dataset.NewPartitionRef(p, ref, is.Pinned.Segment, bucket)
	res.Key = ref.Key
	res.Rows = int64(pr.Rows)
	res.BytesWritten = ref.Size
	summarize(res, partSummary{Size: ref.Size, SHA256: ref.SHA256, Records: pr.Records, Orders: pr.Orders, Rows: pr.Rows, Customers: pr.Customers})
	return nil
}

// runImportPublish writes the quarantine and a large dictionary, then the
// manifest of the new version create-only; a retried attempt finds the
// version an earlier one published and reports it.
func runImportPublish(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	var pp publishParams
	if err := params(t, &pp); err != nil {
		return err
	}
	is := t.Spec.Import
	pin := is.Pinned
	if len(pp.Parts) != pin.Partitions || len(t.Inputs) != 1+pin.Partitions {
		return fmt.Errorf("%w: %d partitions and %d inputs for %d buckets", ErrPlan, len(pp.Parts), len(t.Inputs), pin.Partitions)
	}
	plan, err := dataset.ReadPublishPlan(ctx, b, t.Inputs[0], is.datasetSpec())
	if err != nil {
		return err
	}
	prefix := importPrefix(t)
	parts := make([]dataset.PartitionRef, len(pp.Parts))
	for i, ps := range pp.Parts {
		key := dataset.PartitionKey(prefix, pin.Segment, i)
		if t.Inputs[1+i] != key {
			return fmt.Errorf("%w: partition %d is %s; want %s", ErrPlan, i, t.Inputs[1+i], key)
		}
		parts[i] = dataset.PartitionRef{ObjectRef: dataset.ObjectRef{Key: key, Size: ps.Size, SHA256: ps.SHA256},
			Segment: pin.Segment, Index: i, Records: ps.Records, Orders: ps.Orders, Rows: ps.Rows, Customers: ps.Customers}
		// Never publish a version whose partition is gone (a GC that ran
		// while an attempt was between writing and reporting).
		a, err := b.Attributes(ctx, key)
		if err != nil {
			return fmt.Errorf("partition %d: %w", i, err)
		}
		if a.Size != ps.Size || (a.SHA256 != "" && a.SHA256 != ps.SHA256) {
			return fmt.Errorf("partition %s: %d bytes, SHA-256 %q; the build task wrote %d, %q", key, a.Size, a.SHA256, ps.Size, ps.SHA256)
		}
	}
	var base *dataset.Manifest
	if is.Append {
		if base, err = dataset.LoadManifest(ctx, b, t.Spec.Dataset, pin.Latest); err != nil {
			return err
		}
	}
	sources := make([]dataset.Source, len(pin.Sources))
	for i, s := range pin.Sources {
		sources[i] = dataset.Source{URL: s.URL, Size: s.Size, ETag: s.ETag}
	}
	if err := writeImportMarker(ctx, b, t); err != nil {
		return err
	}
	m, err := plan.Assemble(ctx, b, dataset.NewVersion{Name: t.Spec.Dataset, Prefix: prefix, Created: time.Now().UTC(),
		Sources: sources, Partitions: parts, Base: base, InlineItems: is.InlineItems})
	if err != nil {
		return err
	}
	if m, err = dataset.PublishOnce(ctx, b, m, base, pin.Latest); err != nil {
		return err
	}
	res.Key = dataset.ManifestKey(m.Name, m.Version)
	res.Rows = int64(m.Segments[len(m.Segments)-1].Counts.Records)
	summarize(res, publishSummary{Version: m.Version})
	return nil
}

// importMarker records, among a job's results, where an import job writes
// dataset objects, so that GC can find what a failed import left there.
type importMarker struct {
	Dataset string `json:"dataset"`
	Prefix  string `json:"prefix"`
}

// importMarkerName is the marker's name under the job's result prefix.
const importMarkerName = "import.json"

// writeImportMarker writes the marker create-only before any dataset
// object (every attempt writes the same bytes).
func writeImportMarker(ctx context.Context, b objstore.Bucket, t *TaskSpec) error {
	data, err := json.Marshal(importMarker{Dataset: t.Spec.Dataset, Prefix: importPrefix(t)})
	if err != nil {
		return err
	}
	return publishResult(ctx, b, ResultPrefix(t.Job)+importMarkerName, append(data, '\n'))
}

// gcImport deletes the dataset objects an import job wrote that no
// published version references and that are not in keep: everything of
// a failed or cancelled import, nothing of one that published. It does
// nothing for other jobs.
func gcImport(ctx context.Context, b objstore.Bucket, id string, keep []string) ([]string, error) {
	data, err := readObject(ctx, b, ResultPrefix(id)+importMarkerName, 1<<16)
	if objstore.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gc job %s: %w", id, err)
	}
	var mk importMarker
	if err := json.Unmarshal(data, &mk); err != nil {
		return nil, fmt.Errorf("gc job %s: %s: %w", id, importMarkerName, err)
	}
	if err := dataset.ValidateName(mk.Dataset); err != nil {
		return nil, fmt.Errorf("gc job %s: %w", id, err)
	}
	// The prefix follows from the job and the dataset: never trust the
	// stored one to delete elsewhere.
	deleted, err := dataset.CollectUnpublished(ctx, b, mk.Dataset, dataset.ObjectsPrefix(mk.Dataset, "job-"+id), keep)
	if err != nil {
		return deleted, fmt.Errorf("gc job %s: %w", id, err)
	}
	return deleted, nil
}
