package jobs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/quarrydata/quarry/storage/objstore"
)

// Layout in the store:
//
//	jobs/<job id>/<stage>/<task>/<attempt id>.bin   partial of one attempt
//	jobs/<job id>/result/<name>                     final results, create-only
//	jobs/<job id>/result/manifest.json              written last, create-only
const (
	// Root is the prefix of every job object.
	Root = "jobs/"
	// ResultManifestName is the result manifest's name under result/.
	ResultManifestName = "manifest.json"
)

// JobPrefix returns the prefix of every object of job id.
func JobPrefix(id string) string { return Root + id + "/" }

// ResultPrefix returns the prefix of job id's final results.
func ResultPrefix(id string) string { return JobPrefix(id) + "result/" }

// AttemptKey returns the key an attempt writes its partial result to.
func AttemptKey(t *TaskSpec) string {
	return fmt.Sprintf("%s%s/%05d/%s.bin", JobPrefix(t.Job), t.Stage, t.Index, t.Attempt)
}

// writePartial writes an attempt's partial result. Attempts write to keys
// of their own, so a plain atomic Publish suffices: two attempts never
// share a key.
func writePartial(ctx context.Context, b objstore.Bucket, t *TaskSpec, data []byte, res *TaskResult) error {
	key := AttemptKey(t)
	if err := b.Publish(ctx, key, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	res.Key = key
	res.BytesWritten += int64(len(data))
	return nil
}

// readObject reads an input object whole, refusing one above limit bytes.
func readObject(ctx context.Context, b objstore.Bucket, key string, limit int64) ([]byte, error) {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read %s: %w: larger than %d bytes", key, ErrCorrupt, limit)
	}
	return data, nil
}

// readInput reads and decodes an input with decode, naming the key in
// errors.
func readInput[T any](ctx context.Context, b objstore.Bucket, key string, decode func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := readObject(ctx, b, key, MaxObject)
	if err != nil {
		return zero, err
	}
	v, err := decode(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", key, err)
	}
	return v, nil
}

// publishResult writes a final result object create-only. An object that
// already exists was written by an earlier attempt of the same
// deterministic task, so ErrExists means done.
func publishResult(ctx context.Context, b objstore.Bucket, key string, data []byte) error {
	err := b.PublishIfAbsent(ctx, key, bytes.NewReader(data))
	if err != nil && !objstore.IsExists(err) {
		return fmt.Errorf("publish %s: %w", key, err)
	}
	return nil
}

// GC deletes the objects of job id that are neither final results nor in
// keep (the accepted attempts' keys the job still needs): the orphans of
// failed, duplicated or speculative attempts. It returns the keys deleted.
// Call it with keep empty once the job is finished to drop every partial.
// For an import it also deletes the job's dataset objects that no
// published version references.
func GC(ctx context.Context, b objstore.Bucket, id string, keep []string) ([]string, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	kept := make(map[string]bool, len(keep))
	for _, k := range keep {
		kept[k] = true
	}
	keys, err := objstore.List(ctx, b, JobPrefix(id))
	if err != nil {
		return nil, fmt.Errorf("gc job %s: %w", id, err)
	}
	var deleted []string
	for _, k := range keys {
		if kept[k] || strings.HasPrefix(k, ResultPrefix(id)) {
			continue
		}
		if err := b.Delete(ctx, k); err != nil {
			return deleted, fmt.Errorf("gc job %s: %w", id, err)
		}
		deleted = append(deleted, k)
	}
	more, err := gcImport(ctx, b, id, keep)
	deleted = append(deleted, more...)
	if err != nil {
		return deleted, err
	}
	return deleted, nil
}
