package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// TestTaskMemoryBoundedByPartition checks that a worker's memory is
// bounded by the partition size, not the dataset size: the Online Retail
// log replicated 2 and 8 times (disjoint customers with the same
// histories) into 1 and 4 partitions, so the partitions keep their size
// while the dataset grows 4×, and each job's tasks run one at a time with
// RunTask, as a worker runs them. The largest peak heap of a partition
// task must not grow with the dataset (ratio at most maxGrowth). Merge
// tasks are logged, not checked: the segments finish writes every
// customer's label (customers.jsonl), which grows with the customers.
// The race detector inflates memory, so the test runs without it.
func TestTaskMemoryBoundedByPartition(t *testing.T) {
	if raceEnabled {
		t.Skip("memory figures are meaningless under the race detector")
	}
	const maxGrowth = 1.6
	raw := testenv.Shared(t, "online-retail-part.csv")
	dir := t.TempDir()
	sizes := []struct{ copies, parts int }{{2, 1}, {8, 4}}
	stores := make([]objstore.Bucket, len(sizes))
	for i, sz := range sizes {
		path := filepath.Join(dir, fmt.Sprintf("x%d.csv", sz.copies))
		replicateRetail(t, raw, path, sz.copies)
		stores[i] = newStore(t)
		importInput(t, stores[i], "d", input{path: path, ff: format.FormatCSV, cols: retailCols, skip: true}, sz.parts)
	}
	for _, tc := range []struct {
		name string
		spec string
	}{
		{"rules", `{"type":"itemsets","dataset":"d","itemsets":{"min_support":0.03,"rules":{"min_confidence":0.5}}}`},
		{"sequences", `{"type":"sequences","dataset":"d","sequences":{"min_support":0.01}}`},
		{"segments", `{"type":"segments","dataset":"d","segments":{"k":5,"seed":1}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var part, merge [2]uint64
			for i := range sizes {
				part[i], merge[i] = taskPeakHeaps(t, stores[i], tc.spec)
			}
			ratio := float64(part[1]) / float64(max(part[0], 1))
			t.Logf("peak heap of a task: partition %d KiB → %d KiB (%.2f×), merge %d KiB → %d KiB (%.2f×) for 4× the data at the same partition size",
				part[0]>>10, part[1]>>10, ratio, merge[0]>>10, merge[1]>>10, float64(merge[1])/float64(max(merge[0], 1)))
			if part[1] > 1<<20 && ratio > maxGrowth {
				t.Errorf("partition task peak heap with 4× the partitions: got %.2f× (%d → %d bytes); want at most %.1f×", ratio, part[0], part[1], maxGrowth)
			}
		})
	}
}

// taskPeakHeaps runs a job's tasks one at a time, stage after stage as
// Next plans them, and returns the largest peak heap of a partition task
// and of a merge task.
func taskPeakHeaps(t *testing.T, b objstore.Bucket, specJSON string) (partition, merge uint64) {
	t.Helper()
	ctx := context.Background()
	spec, err := ParseSpec([]byte(specJSON))
	if err != nil {
		t.Fatal(err)
	}
	spec, m, err := Prepare(ctx, b, spec)
	if err != nil {
		t.Fatal(err)
	}
	st := State{Job: Job{ID: "mem-" + string(spec.Type), Spec: spec}, Manifest: m}
	for {
		s, err := Next(st)
		if err != nil {
			t.Fatal(err)
		}
		if s == nil {
			break
		}
		results := make([]TaskResult, len(s.Tasks))
		for i, task := range s.Tasks {
			task.Attempt = "a1"
			var terr error
			peak := peakHeapOf(func() { results[i], terr = RunTask(ctx, b, task) })
			if terr != nil {
				t.Fatal(terr)
			}
			if len(task.Buckets) > 0 {
				partition = max(partition, peak)
			} else {
				merge = max(merge, peak)
			}
		}
		st.Stages = append(st.Stages, Completed{Stage: *s, Results: results})
	}
	if _, err := GC(ctx, b, st.Job.ID, nil); err != nil {
		t.Fatal(err)
	}
	return partition, merge
}

// peakHeapOf runs f and returns the highest heap in use by objects while
// it ran, above the level after a GC before it, sampled every 200 µs.
func peakHeapOf(f func()) uint64 {
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
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	return max(peak, read()) - base
}

// replicateRetail writes copies of the Online Retail log src into dst,
// copy c with c×1,000,000 added to the invoice number (keeping a C
// prefix) and to the customer id; the truncated last line is left out.
func replicateRetail(t *testing.T, src, dst string, copies int) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord, r.LazyQuotes = -1, true
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w := csv.NewWriter(bw)
	w.Write(recs[0])
	shift := func(id string, c int) string {
		pre := ""
		if len(id) > 0 && id[0] == 'C' {
			pre, id = "C", id[1:]
		}
		n, err := strconv.Atoi(id)
		if err != nil || c == 0 {
			return pre + id
		}
		return pre + strconv.Itoa(n+c*1_000_000)
	}
	for c := range copies {
		for _, rec := range recs[1:] {
			if len(rec) != len(recs[0]) {
				continue
			}
			out := append([]string(nil), rec...)
			out[0], out[6] = shift(rec[0], c), shift(rec[6], c) // InvoiceNo, CustomerID
			w.Write(out)
		}
	}
	w.Flush()
	if err := errors.Join(w.Error(), bw.Flush()); err != nil {
		t.Fatal(err)
	}
}
