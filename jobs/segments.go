package jobs

import (
	"fmt"
	"math"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/kmeans"
	"github.com/quarrydata/quarry/storage/dataset"
)

// segParams are the broadcast values of segments tasks, computed by Next
// from earlier summaries.
type segParams struct {
	Now       int64            `json:"now,omitempty"`
	Scaler    *features.Scaler `json:"scaler,omitempty"`
	Bounds    kmeans.Bounds    `json:"bounds,omitempty"`
	Cands     *kmeans.Matrix   `json:"cands,omitempty"`
	Cost      *kmeans.Cost     `json:"cost,omitempty"`
	Round     int              `json:"round,omitempty"`
	Moments   bool             `json:"moments,omitempty"`
	Centroids *kmeans.Matrix   `json:"centroids,omitempty"`
	Fit       *fitInfo         `json:"fit,omitempty"`
}

// segSummary is the summary of every segments task; each fills its part.
type segSummary struct {
	Customers int                `json:"customers,omitempty"`
	MaxTime   int64              `json:"max_time,omitempty"`
	Stats     []byte             `json:"stats,omitempty"`
	Bounds    kmeans.Bounds      `json:"bounds,omitempty"`
	First     *kmeans.Candidate  `json:"first,omitempty"`
	Cost      *kmeans.Cost       `json:"cost,omitempty"`
	Weights   []int64            `json:"weights,omitempty"`
	Moments   *kmeans.Moments    `json:"moments,omitempty"`
	Samples   []kmeans.Candidate `json:"samples,omitempty"`
	Partial   *kmeans.Partial    `json:"partial,omitempty"`
}

// fitInfo is what the finish task reports about the k-means run.
type fitInfo struct {
	K          int           `json:"k"`
	Scale      string        `json:"scale"`
	Seed       uint64        `json:"seed"`
	Centroids  kmeans.Matrix `json:"centroids"`
	Inertia    float64       `json:"inertia"`
	Iterations int           `json:"iterations"`
	Converged  bool          `json:"converged"`
}

// segOptions are a segments spec with defaults applied, as quarry mine
// segments applies them.
type segOptions struct {
	k, maxIter, rounds int
	seed               uint64
	tol, ell           float64
	method             features.Method
}

func resolveSegments(s *SegmentsSpec) segOptions {
	o := segOptions{k: s.K, maxIter: s.MaxIter, rounds: s.Rounds, seed: 1, tol: kmeans.DefaultTol, ell: s.Oversampling, method: features.LogStandard}
	if s.Seed != nil {
		o.seed = *s.Seed
	}
	if s.Tol != nil {
		o.tol = *s.Tol
	}
	if o.maxIter == 0 {
		o.maxIter = kmeans.DefaultMaxIter
	}
	if o.rounds == 0 {
		o.rounds = kmeans.DefaultRounds
	}
	if o.ell == 0 {
		o.ell = 2 * float64(o.k)
	}
	if s.Scale != "" {
		o.method, _ = features.ParseMethod(s.Scale)
	}
	return o
}

// segPlanner replays the completed stages of a segments job to find the
// next one. The stages are
//
//	scan              per bucket: customer ids, latest purchase time
//	features          per bucket: RFM rows with global row ids, scaling stats
//	bounds            per bucket: column bounds, first k-means|| candidate
//	seed-cost-r       per bucket: cost and weights of the candidates so far
//	seed-sample-r     per bucket: the rows sampled in round r
//	lloyd-i           per bucket: partial sums of Lloyd step i
//	assign            per bucket: labels for the final centroids
//	finish            one task: profiles and result objects
//
// with seed-cost/seed-sample repeated until k-means|| stops, and lloyd-i
// until convergence or MaxIter: the stage list is only known as the job
// runs.
type segPlanner struct {
	st   *State
	o    segOptions
	sp   segParams
	rows int
	keys []string // features objects, by bucket

	cands   kmeans.Matrix
	tolAbs  float64
	iter    int
	fit     fitInfo
	pending *Stage
}

func nextSegments(st *State) (*Stage, error) {
	m := st.Manifest
	if m.Kind != dataset.KindLog || m.Import.Columns.Customer == "" {
		return nil, fmt.Errorf("%w: segments need a log dataset with a customer column; %s is %s", ErrPlan, m.Name, m.Kind)
	}
	p := &segPlanner{st: st, o: resolveSegments(st.Job.Spec.Segments)}
	p.pending = partitionStage("scan", m, OpSegScan, nil, nil)
	for i := range st.Stages {
		if p.pending == nil {
			return nil, fmt.Errorf("%w: stage %d after the end of the job", ErrPlan, i)
		}
		c := &st.Stages[i]
		if c.Stage.Name != p.pending.Name {
			return nil, fmt.Errorf("%w: stage %d is %q; want %q", ErrPlan, i, c.Stage.Name, p.pending.Name)
		}
		sums := make([]segSummary, len(c.Results))
		for j, r := range c.Results {
			if c.Stage.Tasks[j].Op == OpSegFinish {
				continue
			}
			if err := decodeJSON(r.Summary, &sums[j]); err != nil {
				return nil, fmt.Errorf("stage %s task %d summary: %w", c.Stage.Name, j, err)
			}
		}
		var err error
		p.pending, err = p.after(c, sums)
		if err != nil {
			return nil, err
		}
	}
	return p.pending, nil
}

// bucketStage returns a per-bucket stage whose task b reads the features
// object of bucket b.
func (p *segPlanner) bucketStage(name string, op Op) *Stage {
	s := partitionStage(name, p.st.Manifest, op, nil, p.sp)
	for b := range s.Tasks {
		s.Tasks[b].Inputs = []string{p.keys[b]}
	}
	return s
}

// after folds a completed stage into the planner and returns the next.
func (p *segPlanner) after(c *Completed, sums []segSummary) (*Stage, error) {
	m := p.st.Manifest
	o := p.o
	switch c.Stage.Tasks[0].Op {
	case OpSegScan:
		var latest int64 = math.MinInt64
		for _, s := range sums {
			if s.Customers > 0 {
				latest = max(latest, s.MaxTime)
			}
			p.rows += s.Customers
		}
		if p.rows == 0 {
			return nil, fmt.Errorf("%w: dataset %s has no customer with a purchase", ErrPlan, m.Name)
		}
		if p.rows < o.k {
			return nil, fmt.Errorf("%w: k = %d, %d customers: %w", ErrPlan, o.k, p.rows, kmeans.ErrTooFewDistinct)
		}
		p.sp.Now = latest + features.SecondsPerDay
		return partitionStage("features", m, OpSegFeatures, c.keys(), p.sp), nil
	case OpSegFeatures:
		p.keys = c.keys()
		var st *features.Stats
		for i, s := range sums {
			part := new(features.Stats)
			if err := part.UnmarshalBinary(s.Stats); err != nil {
				return nil, fmt.Errorf("features task %d: %w", i, err)
			}
			if st == nil {
				st = part
			} else if err := st.Merge(part); err != nil {
				return nil, fmt.Errorf("features task %d: %w", i, err)
			}
		}
		sc, err := st.Scaler(o.method)
		if err != nil {
			return nil, err
		}
		p.sp.Now = 0
		p.sp.Scaler = &sc
		return p.bucketStage("bounds", OpSegBounds), nil
	case OpSegBounds:
		var firsts []kmeans.Candidate
		for _, s := range sums {
			p.sp.Bounds = p.sp.Bounds.Merge(s.Bounds)
			if s.First != nil {
				firsts = append(firsts, *s.First)
			}
		}
		if len(firsts) == 0 {
			return nil, fmt.Errorf("%w: no rows to seed from", ErrPlan)
		}
		f := kmeans.MergeFirst(firsts...)
		p.cands = kmeans.Matrix{Rows: 1, Cols: len(f.Row), Data: f.Row}
		return p.costStage(1), nil
	case OpSegCost:
		round := c.Stage.Tasks[0].paramsRound()
		costs := make([]kmeans.Cost, len(sums))
		weights := make([]int64, p.cands.Rows)
		var mom *kmeans.Moments
		for i, s := range sums {
			if s.Cost == nil || len(s.Weights) != p.cands.Rows {
				return nil, fmt.Errorf("%w: cost task %d: malformed summary", ErrCorrupt, i)
			}
			costs[i] = *s.Cost
			for j, w := range s.Weights {
				weights[j] += w
			}
			if s.Moments != nil {
				if mom == nil {
					mm := *s.Moments
					mom = &mm
				} else {
					mm, err := mom.Merge(*s.Moments)
					if err != nil {
						return nil, err
					}
					mom = &mm
				}
			}
		}
		if mom != nil && o.tol > 0 {
			p.tolAbs = o.tol * mom.MeanVariance()
		}
		cost, err := kmeans.MergeCosts(costs...)
		if err != nil {
			return nil, err
		}
		stop := round > o.rounds+kmeans.MaxExtraRounds || (round > o.rounds && p.cands.Rows >= o.k) || cost.Sum == (kmeans.Int128{})
		if !stop {
			p.sp.Cost, p.sp.Round, p.sp.Moments = &cost, round, false
			cands := p.cands
			p.sp.Cands = &cands
			return p.bucketStage(fmt.Sprintf("seed-sample-%d", round), OpSegSample), nil
		}
		c0, err := kmeans.ReduceCandidates(p.cands, weights, o.k, 0, o.seed)
		if err != nil {
			return nil, fmt.Errorf("%w: k-means|| with k = %d: %w", ErrPlan, o.k, err)
		}
		return p.lloydStage(c0), nil
	case OpSegSample:
		lists := make([][]kmeans.Candidate, len(sums))
		for i, s := range sums {
			lists[i] = s.Samples
		}
		for _, cd := range kmeans.SortCandidates(lists...) {
			p.cands.Data = append(p.cands.Data, cd.Row...)
			p.cands.Rows++
		}
		return p.costStage(p.sp.Round + 1), nil
	case OpSegLloyd:
		parts := make([]kmeans.Partial, len(sums))
		for i, s := range sums {
			if s.Partial == nil {
				return nil, fmt.Errorf("%w: lloyd task %d: no partial", ErrCorrupt, i)
			}
			parts[i] = *s.Partial
		}
		merged, err := kmeans.MergePartials(parts...)
		if err != nil {
			return nil, err
		}
		next, shift := merged.Centroids(*p.sp.Centroids)
		p.fit.Iterations = p.iter
		if shift <= p.tolAbs || p.iter >= o.maxIter {
			p.fit.Converged = shift <= p.tolAbs
			p.sp.Centroids = &next
			return p.bucketStage("assign", OpSegAssign), nil
		}
		return p.lloydStage(next), nil
	case OpSegAssign:
		parts := make([]kmeans.Partial, len(sums))
		for i, s := range sums {
			if s.Partial == nil {
				return nil, fmt.Errorf("%w: assign task %d: no partial", ErrCorrupt, i)
			}
			parts[i] = *s.Partial
		}
		merged, err := kmeans.MergePartials(parts...)
		if err != nil {
			return nil, err
		}
		p.fit.K, p.fit.Scale, p.fit.Seed = o.k, o.method.String(), o.seed
		p.fit.Centroids, p.fit.Inertia = *p.sp.Centroids, merged.InertiaValue()
		fp := segParams{Scaler: p.sp.Scaler, Fit: &p.fit}
		return mergeStage("finish", OpSegFinish, c.keys(), fp), nil
	case OpSegFinish:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: unexpected stage %q", ErrPlan, c.Stage.Name)
}

func (p *segPlanner) costStage(round int) *Stage {
	cands := p.cands
	p.sp.Cands, p.sp.Cost, p.sp.Round = &cands, nil, round
	p.sp.Moments = round == 1 && p.o.tol > 0
	return p.bucketStage(fmt.Sprintf("seed-cost-%d", round), OpSegCost)
}

func (p *segPlanner) lloydStage(c kmeans.Matrix) *Stage {
	p.iter++
	p.sp.Cands, p.sp.Cost, p.sp.Round, p.sp.Moments = nil, nil, 0, false
	p.sp.Centroids = &c
	return p.bucketStage(fmt.Sprintf("lloyd-%d", p.iter), OpSegLloyd)
}

// paramsRound returns the k-means|| round of a seeding task.
func (t *TaskSpec) paramsRound() int {
	var sp segParams
	if err := params(t, &sp); err != nil {
		return 0
	}
	return sp.Round
}
