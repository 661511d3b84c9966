package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/quarrydata/quarry/crmapi"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// The CRM API cases (issue 5, "Speed"): lookups of at least 50,000
// requests/s over loopback with p99 under 5 ms, and at least 0.6× a bare
// net/http handler returning a constant body, measured in the same run.
//
// Each case builds the model of the real Online Retail log with
// jobs.RunLocal (import, rules, sequences, segments, model) in a store on
// tmpfs, serves it with crmapi.Server on 127.0.0.1 beside a bare
// net/http server (same http.Server timeouts) answering a constant
// {"status":"ok"}, and drives each with the same generator, alternately,
// httpRounds times; the note gives the medians and the median of the
// per-round ratios endpoint/bare. "patterns" is the endpoint's median
// requests/s, "seconds" its median p99 in seconds.
//
// Requests use random customers of the model (and, for POST, the items of
// a random customer's latest order as the basket); recommendations ask
// for k=10.

const (
	httpRounds  = 3
	httpConns   = 32
	httpWarm    = 1 * time.Second
	httpMeasure = 4 * time.Second
	targetRPS   = 50000
	targetRatio = 0.6
	targetP99ms = 5.0
)

// endpoint is one served route under load.
type endpoint struct {
	name   string
	method string
	paths  func(f *crmFixture) []string
	bodies func(f *crmFixture) []string
}

var endpoints = []endpoint{
	{name: "profile", method: "GET", paths: func(f *crmFixture) []string {
		return mapStrings(f.customers, func(c string) string { return "/v1/customers/" + c })
	}},
	{name: "recommendations", method: "GET", paths: func(f *crmFixture) []string {
		return mapStrings(f.customers, func(c string) string { return "/v1/customers/" + c + "/recommendations?k=10" })
	}},
	{name: "basket", method: "POST", paths: func(*crmFixture) []string { return []string{"/v1/recommendations"} },
		bodies: func(f *crmFixture) []string { return f.baskets }},
}

func init() {
	for _, ep := range endpoints {
		for _, gen := range []string{"wrk", "go"} {
			register(Case{
				Name:    fmt.Sprintf("crmapi/http/%s/%s", ep.name, gen),
				Task:    "crmapi-" + ep.name,
				Dataset: "online-retail-part.csv",
				Param:   fmt.Sprintf("%s c=%d", gen, httpConns),
				Run:     func(path string) (Result, error) { return runHTTPCase(path, ep, gen) },
			})
		}
	}
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

// crmFixture is a store with the retail model and what the load needs.
type crmFixture struct {
	dir       string
	store     *local.Bucket
	model     *crmapi.Model
	customers []string // shuffled
	baskets   []string // JSON bodies
	buildS    float64
}

func (f *crmFixture) close() { os.RemoveAll(f.dir) }

// buildCRMFixture imports the log at path and builds model v1 from rules,
// sequences and segments jobs.
func buildCRMFixture(ctx context.Context, path string) (*crmFixture, error) {
	dir, err := os.MkdirTemp(benchTmp(), "quarry-bench-crmapi-")
	if err != nil {
		return nil, err
	}
	f := &crmFixture{dir: dir}
	if f.store, err = local.New(dir); err != nil {
		f.close()
		return nil, err
	}
	start := time.Now()
	in, err := os.Open(path)
	if err != nil {
		f.close()
		return nil, err
	}
	defer in.Close()
	raw := "raw/" + filepath.Base(path)
	if err := f.store.Upload(ctx, raw, in); err != nil {
		f.close()
		return nil, err
	}
	steps := []struct {
		id   string
		spec jobs.Spec
	}{
		{"import", jobs.Spec{Type: jobs.TypeImport, Import: &jobs.ImportSpec{Sources: []string{raw}, Partitions: 4, SkipBadLines: true}}},
		{"rules", jobs.Spec{Type: jobs.TypeItemsets, Itemsets: &jobs.ItemsetsSpec{MinSupport: 0.02, MaxSize: 3, Rules: &jobs.RulesSpec{MinConfidence: 0.5}}}},
		{"seqs", jobs.Spec{Type: jobs.TypeSequences, Sequences: &jobs.SequencesSpec{MinSupport: 0.01, MaxLength: 4}}},
		{"segs", jobs.Spec{Type: jobs.TypeSegments, Segments: &jobs.SegmentsSpec{K: 5}}},
		{"model", jobs.Spec{Type: jobs.TypeModel, Model: &jobs.ModelSpec{Rules: "rules", Sequences: "seqs", Segments: "segs"}}},
	}
	for _, s := range steps {
		s.spec.Dataset = "retail"
		if _, err := jobs.RunLocal(ctx, f.store, s.spec, jobs.LocalOptions{JobID: s.id, Workers: 2}); err != nil {
			f.close()
			return nil, fmt.Errorf("job %s: %w", s.id, err)
		}
	}
	if f.model, err = crmapi.Load(ctx, f.store, "retail", 1); err != nil {
		f.close()
		return nil, err
	}
	f.buildS = time.Since(start).Seconds()
	if err := f.sampleRequests(); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

// sampleRequests lists the model's customers (through the segment pages)
// and makes basket bodies from their latest orders.
func (f *crmFixture) sampleRequests() error {
	s, err := crmapi.NewServer(crmapi.DefaultConfig(), nil)
	if err != nil {
		return err
	}
	s.Swap(f.model)
	get := func(path string, v any) error {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s", path, rec.Code, rec.Body.String())
		}
		return json.Unmarshal(rec.Body.Bytes(), v)
	}
	for i := range f.model.Segments() {
		cursor := ""
		for {
			var page crmapi.SegmentCustomers
			if err := get(fmt.Sprintf("/v1/segments/%d/customers?limit=1000&cursor=%s", i, cursor), &page); err != nil {
				return err
			}
			f.customers = append(f.customers, page.Customers...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	if len(f.customers) == 0 {
		return errors.New("model has no customers")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(f.customers), func(i, j int) { f.customers[i], f.customers[j] = f.customers[j], f.customers[i] })
	for _, c := range f.customers[:min(500, len(f.customers))] {
		var p crmapi.CustomerProfile
		if err := get("/v1/customers/"+c, &p); err != nil {
			return err
		}
		var items []string
		for _, pu := range p.LastPurchases {
			if pu.Cancel {
				continue
			}
			for _, l := range pu.Lines[:min(5, len(pu.Lines))] {
				items = append(items, l.Item)
			}
			break
		}
		if len(items) == 0 {
			continue
		}
		body, _ := json.Marshal(crmapi.BasketRequest{Items: items, K: 10})
		f.baskets = append(f.baskets, string(body))
	}
	return nil
}

// serveBoth starts the CRM API on m and a bare constant-body server, and
// returns their base URLs and a stop function.
func serveBoth(ctx context.Context, s *crmapi.Server) (api, bare string, stop func(), err error) {
	la, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", nil, err
	}
	lb, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		la.Close()
		return "", "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { s.Serve(ctx, la); done <- struct{}{} }()
	cfg := crmapi.DefaultConfig()
	body := []byte(`{"status":"ok"}`)
	bs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout, MaxHeaderBytes: 64 << 10,
	}
	go func() { bs.Serve(lb); done <- struct{}{} }()
	stop = func() {
		cancel()
		bs.Close()
		<-done
		<-done
	}
	return "http://" + la.Addr().String(), "http://" + lb.Addr().String(), stop, nil
}

// newBenchServer returns a server over m with the bench's auth token, if
// the server supports one (see crmapi_auth.go).
func newBenchServer(m *crmapi.Model) (*crmapi.Server, string, error) {
	cfg, token := benchAuthConfig(crmapi.DefaultConfig())
	s, err := crmapi.NewServer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, "", err
	}
	s.Swap(m)
	return s, token, nil
}

func runHTTPCase(path string, ep endpoint, gen string) (Result, error) {
	procs := runtime.GOMAXPROCS(0)
	if gen == "wrk" {
		if _, err := wrkBinary(); err != nil {
			return Result{}, err
		}
		// wrk's one thread takes a core: both servers get the other one
		// (serverProcs), so that their Ps do not fight the generator for
		// it. The Go generator shares the servers' process and keeps all.
		var err error
		if procs, err = serverProcs(); err != nil {
			return Result{}, err
		}
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	}
	ctx := context.Background()
	f, err := buildCRMFixture(ctx, path)
	if err != nil {
		return Result{}, err
	}
	defer f.close()
	s, token, err := newBenchServer(f.model)
	if err != nil {
		return Result{}, err
	}
	api, bare, stop, err := serveBoth(ctx, s)
	if err != nil {
		return Result{}, err
	}
	defer stop()
	spec := loadSpec{Base: api, Method: ep.method, Paths: ep.paths(f), Token: token, Conns: httpConns, Warm: httpWarm, Measure: httpMeasure}
	if ep.bodies != nil {
		spec.Bodies = ep.bodies(f)
	}
	bareSpec := loadSpec{Base: bare, Method: "GET", Paths: []string{"/"}, Conns: httpConns, Warm: httpWarm, Measure: httpMeasure}
	run := func(sp loadSpec) (loadReport, error) {
		if gen == "wrk" {
			return runWrk(sp)
		}
		return runLoadgen(sp)
	}
	var eps, bares []loadReport
	var ratios []float64
	prof := startCRMProfile(ep.name)
	defer prof.pause()
	for range httpRounds {
		b, err := run(bareSpec)
		if err != nil {
			return Result{}, fmt.Errorf("bare: %w", err)
		}
		prof.resume()
		e, err := run(spec)
		prof.pause()
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", ep.name, err)
		}
		if e.Errors > 0 || b.Errors > 0 {
			return Result{}, fmt.Errorf("%s: %d failed requests (bare %d)", ep.name, e.Errors, b.Errors)
		}
		eps, bares = append(eps, e), append(bares, b)
		ratios = append(ratios, e.RPS/b.RPS)
	}
	e, b := medianReport(eps), medianReport(bares)
	ratio := median(ratios)
	verdict := "ok"
	if e.RPS < targetRPS || ratio < targetRatio || e.P99 > targetP99ms {
		verdict = "MISSES"
	}
	auth := "no auth"
	if token != "" {
		auth = "bearer auth on"
	}
	note := fmt.Sprintf("%s %s: %.0f req/s, p50 %.2f ms, p99 %.2f ms; bare net/http %.0f req/s, p50 %.2f ms, p99 %.2f ms; ratio %.2f (%s: ≥%d req/s, p99 < %.0f ms, ratio ≥ %.1f); medians of %d rounds of %.0f s, %d connections, %s generator, servers at GOMAXPROCS=%d, %s; %d customers, model %d rules, %d items; fixture built in %.1f s",
		ep.method, spec.Paths[0], e.RPS, e.P50, e.P99, b.RPS, b.P50, b.P99, ratio, verdict, targetRPS, targetP99ms, targetRatio,
		httpRounds, httpMeasure.Seconds(), httpConns, gen, procs, auth, len(f.customers), f.model.Rules(), f.model.Items(), f.buildS)
	return Result{Patterns: int(e.RPS), Seconds: e.P99 / 1000, Note: note}, nil
}

// serverProcs is the GOMAXPROCS of the servers under wrk:
// $QUARRY_BENCH_SERVER_PROCS, by default one core fewer than the machine
// has (wrk takes one), at least 1.
func serverProcs() (int, error) {
	if v := os.Getenv("QUARRY_BENCH_SERVER_PROCS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("QUARRY_BENCH_SERVER_PROCS=%q: want a positive integer", v)
		}
		return n, nil
	}
	return max(1, runtime.NumCPU()-1), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// medianReport returns the report with the median requests/s, and the
// medians of the latencies.
func medianReport(rs []loadReport) loadReport {
	pick := func(f func(loadReport) float64) float64 {
		xs := make([]float64, len(rs))
		for i, r := range rs {
			xs[i] = f(r)
		}
		return median(xs)
	}
	return loadReport{RPS: pick(func(r loadReport) float64 { return r.RPS }),
		P50: pick(func(r loadReport) float64 { return r.P50 }), P99: pick(func(r loadReport) float64 { return r.P99 }),
		Max: pick(func(r loadReport) float64 { return r.Max })}
}
