package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/clustertest"
)

// JobKind is a kind of job the stream submits.
type JobKind string

// The job kinds: every job type, over the small testdata samples.
const (
	RulesBaskets JobKind = "rules-baskets" // itemsets and rules over the FIMI baskets
	RulesLog     JobKind = "rules-log"     // itemsets and rules over the log
	Sequences    JobKind = "sequences"     // sequential patterns over the log
	Segments     JobKind = "segments"      // k-means segments of the log's customers
	Model        JobKind = "model"         // a model bundling the latest rules-log, sequences and segments jobs
	Import       JobKind = "import"        // a distributed import of the raw log into a new dataset
	BadImport    JobKind = "bad-import"    // an import of a log with a bad line: must fail, publishing nothing
)

// allKinds are the kinds in table order; weights how often each is drawn.
var (
	allKinds = []JobKind{RulesBaskets, RulesLog, Sequences, Segments, Model, Import, BadImport}
	weights  = map[JobKind]int{RulesBaskets: 2, RulesLog: 2, Sequences: 2, Segments: 2, Model: 2, Import: 2, BadImport: 1}
)

// submission is one job the stream submitted.
type submission struct {
	ID   string
	Kind JobKind
	Spec string
	// Accepted is set once a SubmitJob call answered with the job;
	// Submitted is when the job says it was accepted.
	Accepted  bool
	Submitted time.Time
	// Tries counts the SubmitJob calls; Err is the last one's error.
	Tries int
	Err   string
}

// stream submits jobs drawn from a seeded PCG, keeping Config.InFlight of
// them unfinished, until its context ends.
type stream struct {
	t   *testing.T
	c   *clustertest.Cluster
	cfg Config
	in  inputs
	rng *rand.Rand

	mu   sync.Mutex
	subs []*submission
	// latest are the latest succeeded jobs of the kinds a model bundles.
	latest map[JobKind]string
}

func newStream(t *testing.T, c *clustertest.Cluster, cfg Config, in inputs) *stream {
	return &stream{t: t, c: c, cfg: cfg, in: in, rng: rand.New(rand.NewPCG(cfg.Seed, 2)), latest: map[JobKind]string{}}
}

// submissions returns what was submitted, in order.
func (s *stream) submissions() []*submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*submission(nil), s.subs...)
}

// run submits jobs until ctx ends. It finishes the submission under way
// (retrying it with the same request id) before returning.
func (s *stream) run(ctx context.Context) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if open, ok := s.refresh(); ok {
			for ; open < s.cfg.InFlight && ctx.Err() == nil; open++ {
				s.submit(s.draw())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refresh lists the jobs, remembers the latest succeeded parts of a
// model, and returns how many submitted jobs are unfinished (those not
// listed yet count); ok is false when no leader answered.
func (s *stream) refresh() (open int, ok bool) {
	jobs, err := s.c.Jobs()
	if err != nil {
		return 0, false
	}
	byID := map[string]*quarryv1.JobStatus{}
	for _, j := range jobs {
		byID[j.JobId] = j
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs {
		j := byID[sub.ID]
		switch {
		case j == nil:
			if sub.Accepted {
				open++ // listed once the leader that accepted it is back
			}
		case !clustertest.Terminal(j.State):
			open++
		case j.State == quarryv1.JobState_JOB_STATE_SUCCEEDED:
			switch sub.Kind {
			case RulesLog, Sequences, Segments:
				s.latest[sub.Kind] = sub.ID
			}
		}
	}
	return open, true
}

// draw picks the next job's kind and spec.
func (s *stream) draw() *submission {
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for _, k := range allKinds {
		total += weights[k]
	}
	for {
		n := s.rng.IntN(total)
		kind := allKinds[0]
		for _, k := range allKinds {
			if n < weights[k] {
				kind = k
				break
			}
			n -= weights[k]
		}
		id := fmt.Sprintf("soak-%04d-%s", len(s.subs)+1, kind)
		spec, ok := s.spec(kind, id)
		if !ok {
			continue
		}
		sub := &submission{ID: id, Kind: kind, Spec: spec}
		s.subs = append(s.subs, sub)
		return sub
	}
}

// spec returns job id's spec for kind; false for a model while a part is
// missing. The parameters vary with the stream's PCG.
func (s *stream) spec(kind JobKind, id string) (string, bool) {
	pick := func(vs ...any) any { return vs[s.rng.IntN(len(vs))] }
	var spec any
	switch kind {
	case RulesBaskets:
		spec = jobSpec("itemsets", basketsDataset, map[string]any{"min_support": pick(0.02, 0.03), "rules": map[string]any{"min_confidence": pick(0.3, 0.5)}})
	case RulesLog:
		spec = jobSpec("itemsets", logDataset, map[string]any{"min_support": pick(0.03, 0.04), "rules": map[string]any{"min_confidence": 0.5}})
	case Sequences:
		spec = jobSpec("sequences", logDataset, map[string]any{"min_support": pick(0.05, 0.06), "time_unit": "hour", "max_gap": 48})
	case Segments:
		spec = jobSpec("segments", logDataset, map[string]any{"k": pick(3, 4), "seed": pick(1, 2, 3), "max_iter": 20})
	case Model:
		r, q, g := s.latest[RulesLog], s.latest[Sequences], s.latest[Segments]
		if r == "" || q == "" || g == "" {
			return "", false
		}
		spec = jobSpec("model", logDataset, map[string]any{"rules_job": r, "sequences_job": q, "segments_job": g})
	case Import:
		spec = jobSpec("import", "imported-"+id, map[string]any{"sources": []string{rawLogKey}, "partitions": partitions, "split_size": pick(256<<10, 512<<10)})
	case BadImport:
		spec = jobSpec("import", "imported-"+id, map[string]any{"sources": []string{rawBadKey}, "partitions": partitions, "split_size": 8 << 10})
	}
	data, err := json.Marshal(spec)
	if err != nil {
		panic(err) // maps of strings and numbers always encode
	}
	return string(data), true
}

// jobSpec is a jobs.Spec of typ over ds with its section.
func jobSpec(typ, ds string, section map[string]any) map[string]any {
	return map[string]any{"type": typ, "dataset": ds, typ: section}
}

// submit submits sub, retrying with the same request id for up to a
// minute whatever the error (a store or etcd outage fails the
// submission's preparation; a lost answer may hide an accepted job).
func (s *stream) submit(sub *submission) {
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := s.c.Submit(sub.ID, sub.Spec)
		s.mu.Lock()
		sub.Tries++
		if err == nil {
			sub.Accepted, sub.Submitted, sub.Err = true, st.SubmittedAt.AsTime(), ""
		} else {
			sub.Err = err.Error()
		}
		s.mu.Unlock()
		if err == nil || time.Now().After(deadline) {
			if err != nil {
				s.t.Logf("submission %s not accepted after %d tries: %v", sub.ID, sub.Tries, err)
			}
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}
