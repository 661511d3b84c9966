package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/quarrydata/quarry/crmapi"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// The swap case (issue 5: "model swap of a 1,000,000-rule model takes
// under 5 s and does not stall serving"): model v2 is v1 of the retail
// fixture with its rules.jsonl replaced by 1,000,000 synthetic rules over
// the catalogue (antecedents of 1–3 items, one consequent, in the line
// shape jobs writes). It measures crmapi.Load of v2 alone (seconds, heap
// retained), then serves v1 under the Go generator (recommendations) and
// calls LoadAndSwap(v2) in the middle of the run: the note compares p99
// of the requests started before the swap with those started while it
// ran and after it.

const (
	swapRules  = 1_000_000
	swapTarget = 5.0 // seconds
)

func init() {
	register(Case{
		Name: "crmapi/swap/1M-rules", Task: "crmapi-swap", Dataset: "online-retail-part.csv",
		Param: "1,000,000 rules",
		Run:   runSwapCase,
	})
}

// writeSyntheticRules publishes model v2: v1 with n random rules.
func writeSyntheticRules(ctx context.Context, b *local.Bucket, n int) error {
	mm, err := jobs.LoadModel(ctx, b, "retail", 1)
	if err != nil {
		return err
	}
	itemsData, err := readAll(ctx, b, mm.Items.Key)
	if err != nil {
		return err
	}
	var items []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(itemsData, &items); err != nil {
		return err
	}
	quoted := make([][]byte, len(items))
	for i, it := range items {
		quoted[i], _ = json.Marshal(it.Name)
	}
	rng := rand.New(rand.NewPCG(5, 1))
	var buf bytes.Buffer
	buf.Grow(n * 150)
	num := make([]byte, 0, 32)
	for range n {
		k := 1 + rng.IntN(3)
		ids := make([]int, 0, k+1)
		for len(ids) < k+1 {
			x := rng.IntN(len(items))
			if !slices.Contains(ids, x) {
				ids = append(ids, x)
			}
		}
		ant := slices.Clone(ids[:k])
		slices.Sort(ant)
		buf.WriteString(`{"antecedent":[`)
		for i, x := range ant {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(quoted[x])
		}
		buf.WriteString(`],"consequent":[`)
		buf.Write(quoted[ids[k]])
		sup := 10 + rng.IntN(200)
		conf := 0.3 + 0.7*rng.Float64()
		buf.WriteString(`],"support":`)
		buf.Write(strconv.AppendInt(num[:0], int64(sup), 10))
		buf.WriteString(`,"relative_support":`)
		buf.Write(strconv.AppendFloat(num[:0], float64(sup)/float64(mm.Rules.Records), 'g', -1, 64))
		buf.WriteString(`,"confidence":`)
		buf.Write(strconv.AppendFloat(num[:0], conf, 'g', -1, 64))
		buf.WriteString(`,"lift":`)
		buf.Write(strconv.AppendFloat(num[:0], conf*(1+10*rng.Float64()), 'g', -1, 64))
		buf.WriteString("}\n")
	}
	key := "bench/rules-1m.jsonl"
	data := buf.Bytes()
	if err := b.Upload(ctx, key, bytes.NewReader(data)); err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	part := *mm.Rules
	part.Objects = []jobs.ResultObject{{Name: "rules.jsonl", Key: key, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Count: n}}
	mm2 := *mm
	mm2.Rules, mm2.Version, mm2.Job = &part, 2, "bench-1m"
	out, err := json.MarshalIndent(mm2, "", "  ")
	if err != nil {
		return err
	}
	return b.Upload(ctx, jobs.ModelKey("retail", 2), bytes.NewReader(append(out, '\n')))
}

func readAll(ctx context.Context, b *local.Bucket, key string) ([]byte, error) {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	_, err = bufio.NewReader(rc).WriteTo(&buf)
	return buf.Bytes(), err
}

func heapMiB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

func runSwapCase(path string) (Result, error) {
	ctx := context.Background()
	f, err := buildCRMFixture(ctx, path)
	if err != nil {
		return Result{}, err
	}
	defer f.close()
	if err := writeSyntheticRules(ctx, f.store, swapRules); err != nil {
		return Result{}, fmt.Errorf("synthetic model: %w", err)
	}
	// Load alone, best of two, and the heap it keeps.
	loadS := 0.0
	var retained float64
	for range 2 {
		before := heapMiB()
		start := time.Now()
		m, err := crmapi.Load(ctx, f.store, "retail", 2)
		if err != nil {
			return Result{}, err
		}
		s := time.Since(start).Seconds()
		if m.Rules() != swapRules {
			return Result{}, fmt.Errorf("loaded %d rules; want %d", m.Rules(), swapRules)
		}
		retained = heapMiB() - before
		runtime.KeepAlive(m)
		if loadS == 0 || s < loadS {
			loadS = s
		}
	}
	heapMiB()

	s, token, err := newBenchServer(f.model)
	if err != nil {
		return Result{}, err
	}
	api, _, stop, err := serveBoth(ctx, s)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	spec := loadSpec{Base: api, Method: "GET", Paths: endpoints[1].paths(f), Token: token, Conns: httpConns,
		Warm: 1 * time.Second, Measure: 12 * time.Second, Samples: f.dir + "/samples.bin"}
	type lg struct {
		rep loadReport
		err error
	}
	done := make(chan lg, 1)
	go func() { r, err := runLoadgen(spec); done <- lg{r, err} }()
	time.Sleep(spec.Warm + 4*time.Second)
	swapStart := time.Now()
	m2, err := s.LoadAndSwap(ctx, f.store, "retail", 2)
	swapEnd := time.Now()
	if err != nil {
		return Result{}, err
	}
	r := <-done
	if r.err != nil {
		return Result{}, r.err
	}
	if s.Model() != m2 {
		return Result{}, fmt.Errorf("model v2 not current after the swap")
	}
	samples, err := readSamples(spec.Samples)
	if err != nil {
		return Result{}, err
	}
	var before, during, after []int64
	for _, x := range samples {
		st, en := x.start, x.start+x.lat
		switch {
		case en < swapStart.UnixNano():
			before = append(before, x.lat)
		case st > swapEnd.UnixNano():
			after = append(after, x.lat)
		default:
			during = append(during, x.lat)
		}
	}
	rate := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	b50, b99, bmx := latencyStats(before)
	d50, d99, dmx := latencyStats(during)
	a50, a99, amx := latencyStats(after)
	swapS := swapEnd.Sub(swapStart).Seconds()
	verdict := "ok"
	if loadS > swapTarget || swapS > swapTarget || r.rep.Errors > 0 {
		verdict = "MISSES"
	}
	first, last := samples[0].start, samples[0].start
	for _, x := range samples {
		first, last = min(first, x.start), max(last, x.start)
	}
	bDur := swapStart.Sub(time.Unix(0, first))
	note := fmt.Sprintf("Load of a %d-rule model (%.0f MB rules.jsonl) alone %.2f s (best of 2), heap retained %.0f MiB; LoadAndSwap under load %.2f s (%s: < %.0f s); "+
		"recommendations under the Go generator (%d conns, %d failed requests): before the swap %.0f req/s p50 %.2f ms p99 %.2f ms max %.1f ms; "+
		"during it %.0f req/s p50 %.2f ms p99 %.2f ms max %.1f ms; after it (on v2) %.0f req/s p50 %.2f ms p99 %.2f ms max %.1f ms; \"patterns\" is the rule count, \"seconds\" the Load alone",
		swapRules, float64(objectSize(f, "bench/rules-1m.jsonl"))/1e6, loadS, retained, swapS, verdict, swapTarget, httpConns, r.rep.Errors,
		rate(len(before), bDur), b50, b99, bmx, rate(len(during), swapEnd.Sub(swapStart)), d50, d99, dmx,
		rate(len(after), time.Unix(0, last).Sub(swapEnd)), a50, a99, amx)
	return Result{Patterns: swapRules, Seconds: loadS, Note: note}, nil
}

func objectSize(f *crmFixture, key string) int64 {
	data, err := readAll(context.Background(), f.store, key)
	if err != nil {
		return 0
	}
	return int64(len(data))
}
