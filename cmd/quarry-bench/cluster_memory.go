package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// The cluster memory cases check that a worker's memory is bounded by the
// partition size, not the dataset size (issue 4). In one child process
// each imports the Online Retail log replicated 4 and 16 times (see
// replicateLog) into 2 and 8 partitions, so the partitions are the same
// size while the dataset grows 4×, then runs the job's tasks one at a time
// with jobs.RunTask, as a worker does, measuring each task's peak live
// heap above the heap before it (sampled every 200 µs from
// runtime/metrics after a GC). The note gives, for both sizes, the
// largest peak of a partition task and of a merge task, and the ratios
// 4N/N; "seconds" is the time of the 4N run's tasks, "patterns" its
// pattern count.

// memorySizes are the dataset sizes compared: copies of the log and
// partitions, at 2 copies per partition.
var memorySizes = [2]struct{ copies, parts int }{{4, 2}, {16, 8}}

func init() {
	for _, oc := range overheadCases {
		if oc.dataset != "online-retail-part.csv" && oc.name != "rules" {
			continue
		}
		mc := oc
		if oc.name == "rules" { // baskets of the log, so that the partitions grow alike
			mc.dataset, mc.spec = "online-retail-part.csv", `{"type":"itemsets","dataset":"d","itemsets":{"min_support":0.03,"rules":{"min_confidence":0.5}}}`
			mc.param = "0.03 conf 0.5"
		} else {
			mc.param = oc.param[len("x16 "):]
		}
		register(Case{
			Name:    fmt.Sprintf("cluster/memory/%s/%s", mc.name, mc.dataset),
			Task:    "worker-mem-" + mc.name,
			Dataset: mc.dataset,
			Param:   fmt.Sprintf("%s x%d/x%d", mc.param, memorySizes[0].copies, memorySizes[1].copies),
			Run:     func(path string) (Result, error) { return runMemory(path, mc) },
		})
	}
}

// taskPeaks is what runTasks measured.
type taskPeaks struct {
	partition, merge uint64 // largest peak heap of a partition / merge task, bytes
	tasks            int
	seconds          float64
	patterns         int
}

func runMemory(path string, oc overheadCase) (Result, error) {
	dir, err := os.MkdirTemp(benchTmp(), "quarry-bench-memory-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	var got [2]taskPeaks
	var rows [2]int
	for i, sz := range memorySizes {
		input := filepath.Join(dir, fmt.Sprintf("x%d.csv", sz.copies))
		if rows[i], err = replicateLog(path, input, sz.copies); err != nil {
			return Result{}, err
		}
		b, err := local.New(filepath.Join(dir, fmt.Sprintf("store-%d", i)))
		if err != nil {
			return Result{}, err
		}
		spec, err := benchSpec(input)
		if err != nil {
			return Result{}, err
		}
		spec.Partitions = sz.parts
		if _, err := importInto(ctx, b, input, spec.Partitions); err != nil {
			b.Close()
			return Result{}, err
		}
		os.Remove(input)
		got[i], err = runTasks(ctx, b, oc.spec, oc.object)
		b.Close()
		if err != nil {
			return Result{}, err
		}
	}
	mib := func(v uint64) float64 { return float64(v) / (1 << 20) }
	pr := float64(got[1].partition) / float64(got[0].partition)
	mr := float64(got[1].merge) / float64(got[0].merge)
	note := fmt.Sprintf("peak heap of one task above its start, N=%d rows in %d partitions vs 4N=%d rows in %d partitions (same partition size): "+
		"partition tasks %.1f vs %.1f MiB (4N/N = %.2f), merge tasks %.1f vs %.1f MiB (4N/N = %.2f); %d vs %d tasks run one at a time",
		rows[0], memorySizes[0].parts, rows[1], memorySizes[1].parts,
		mib(got[0].partition), mib(got[1].partition), pr, mib(got[0].merge), mib(got[1].merge), mr, got[0].tasks, got[1].tasks)
	return Result{Patterns: got[1].patterns, Seconds: got[1].seconds, Note: note}, nil
}

// importInto imports the file at path into b as dataset "d".
func importInto(ctx context.Context, b objstore.Bucket, path string, parts int) (float64, error) {
	c := &benchCluster{}
	var ok bool
	if c.bucket, ok = b.(*local.Bucket); !ok {
		return 0, fmt.Errorf("import: not a local bucket")
	}
	return c.importDataset(ctx, "d", path, parts)
}

// runTasks runs a job's tasks one at a time, stage after stage as
// jobs.Next plans them, and returns the largest peak heap of a task of
// each kind and the pattern count of result object.
func runTasks(ctx context.Context, b objstore.Bucket, specJSON, object string) (taskPeaks, error) {
	var out taskPeaks
	spec, err := jobs.ParseSpec([]byte(specJSON))
	if err != nil {
		return out, err
	}
	spec, m, err := jobs.Prepare(ctx, b, spec)
	if err != nil {
		return out, err
	}
	st := jobs.State{Job: jobs.Job{ID: "mem", Spec: spec}, Manifest: m}
	start := time.Now()
	for {
		s, err := jobs.Next(st)
		if err != nil {
			return out, err
		}
		if s == nil {
			break
		}
		results := make([]jobs.TaskResult, len(s.Tasks))
		for i, t := range s.Tasks {
			t.Attempt = "a1"
			var terr error
			peak := peakHeap(func() { results[i], terr = jobs.RunTask(ctx, b, t) })
			if terr != nil {
				return out, terr
			}
			if len(t.Buckets) > 0 {
				out.partition = max(out.partition, peak)
			} else {
				out.merge = max(out.merge, peak)
			}
			out.tasks++
		}
		st.Stages = append(st.Stages, jobs.Completed{Stage: *s, Results: results})
	}
	out.seconds = time.Since(start).Seconds()
	rm, err := jobs.LoadResult(ctx, b, "mem")
	if err != nil {
		return out, err
	}
	if o, ok := rm.Object(object); ok {
		out.patterns = o.Count
	}
	return out, nil
}

// peakHeap runs f and returns the highest heap in use by objects while
// it ran, above the level after a GC before it, sampled every 200 µs.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	peak := base
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	peak = max(peak, read())
	return peak - base
}
