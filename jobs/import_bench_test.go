package jobs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
)

// BenchmarkImport compares an import job (RunLocal, 2 goroutines,
// local-folder store) with dataset.Import (2 workers) on the shared
// retail log repeated 10 times (33 MB, about 395,000 rows) cut into 1 MiB
// splits, and reports each stage's summed and longest task time: the
// dictionary task's time is what every build task would add if each
// merged the dictionaries itself (see DESIGN.md, "import").
func BenchmarkImport(b *testing.B) {
	data, err := os.ReadFile(testenv.Shared(b, "online-retail-part.csv"))
	if err != nil {
		b.Fatal(err)
	}
	header, body, _ := bytes.Cut(data, []byte("\n"))
	body = body[:bytes.LastIndexByte(body, '\n')+1] // the truncated last line
	big := append(append([]byte(nil), header...), '\n')
	for range 10 {
		big = append(big, body...)
	}
	ctx := context.Background()
	for _, p := range []int{4, 16} {
		store := newStore(b)
		if err := store.Upload(ctx, "raw/r.csv", bytes.NewReader(big)); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("dataset.Import/P%d", p), func(b *testing.B) {
			spec := retailRef
			spec.Partitions = p
			for b.Loop() {
				refImport(b, store, "ref", []string{"raw/r.csv"}, spec, 1<<20, 0)
			}
		})
		b.Run(fmt.Sprintf("job/P%d", p), func(b *testing.B) {
			stages := map[string][2]time.Duration{}
			for b.Loop() {
				r, err := RunLocal(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{"raw/r.csv"}, Partitions: p, SplitSize: 1 << 20}}, LocalOptions{Workers: 2})
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range r.Stages {
					s := stages[c.Stage.Name]
					for _, res := range c.Results {
						s[0] += res.Duration
						s[1] = max(s[1], res.Duration)
					}
					stages[c.Stage.Name] = s
				}
			}
			for _, name := range importStages {
				b.ReportMetric(float64(stages[name][0].Milliseconds())/float64(b.N), name+"-ms/op")
				b.ReportMetric(float64(stages[name][1].Milliseconds()), name+"-max-ms")
			}
		})
	}
}
