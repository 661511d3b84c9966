package jobs

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/algorithms/support"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

var sequenceOps = twoPhaseOps{local: OpSequencesLocal, union: OpSequencesUnion, count: OpSequencesCount, finish: OpSequencesFinish}

func nextSequences(st *State) (*Stage, error) {
	m := st.Manifest
	switch {
	case m.Kind == dataset.KindLog && (m.Import.Columns.Customer == "" || m.Import.Columns.Time == ""):
		return nil, fmt.Errorf("%w: sequences need a customer and a time column; %s has none", ErrPlan, m.Name)
	case m.Kind != dataset.KindSequences && m.Kind != dataset.KindLog:
		return nil, fmt.Errorf("%w: sequences need a sequences or log dataset; %s is %s", ErrPlan, m.Name, m.Kind)
	}
	return nextTwoPhase(st, sequenceOps, st.Job.Spec.Sequences.MinSupport)
}

// seqOptions are the kernel options of a sequences spec.
func seqOptions(s *SequencesSpec) sequences.Options {
	return sequences.Options{MaxLength: s.MaxLength, MinGap: s.MinGap, MaxGap: s.MaxGap, MaxWindow: s.MaxWindow, MaxPatterns: maxPatterns(s.MaxPatterns)}
}

func taskSequences(ctx context.Context, d *dataset.Dataset, t *TaskSpec, res *TaskResult) ([]sequences.Sequence, error) {
	unit, err := ParseTimeUnit(t.Spec.Sequences.TimeUnit)
	if err != nil {
		return nil, err
	}
	return readSequences(ctx, d, t, unit, res)
}

func runSequencesLocal(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	var p thresholdParams
	if err := params(t, &p); err != nil {
		return err
	}
	seqs, err := taskSequences(ctx, d, t, res)
	if err != nil {
		return err
	}
	var (
		cands    [][][]uint32
		supports []int
	)
	if p.N >= p.MinCount && len(seqs) > 0 {
		o := seqOptions(t.Spec.Sequences)
		o.MinCount = support.Local(p.MinCount, len(seqs), p.N)
		pats, err := sequences.Mine(seqs, o)
		if err != nil {
			return fmt.Errorf("bucket %v: %w", t.Buckets, err)
		}
		for _, pt := range pats {
			cands = append(cands, pt.Elements)
			supports = append(supports, pt.Support)
		}
	}
	summarize(res, sizeSummary{Records: len(cands)})
	return writePartial(ctx, b, t, encodeCounted(cands, supports, true), res)
}

func decodeCountedPatterns(data []byte) ([][][]uint32, error) {
	l, _, err := decodeCounted(data, true)
	return l, err
}

// patternKey returns a map key for a pattern's elements.
func patternKey(dst []byte, elems [][]uint32) []byte {
	for _, e := range elems {
		dst = binary.AppendUvarint(dst, uint64(len(e)))
		dst = itemKey(dst, e)
	}
	return dst
}

func runSequencesUnion(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	seen := map[string]bool{}
	var all []sequences.Pattern
	var key []byte
	for _, in := range t.Inputs {
		ps, err := readInput(ctx, b, in, decodeCountedPatterns)
		if err != nil {
			return err
		}
		for _, p := range ps {
			key = patternKey(key[:0], p)
			if !seen[string(key)] {
				seen[string(key)] = true
				all = append(all, sequences.Pattern{Elements: p})
			}
		}
	}
	sequences.Sort(all)
	out := make([][][]uint32, len(all))
	for i, p := range all {
		out[i] = p.Elements
	}
	summarize(res, sizeSummary{Records: len(out)})
	return writePartial(ctx, b, t, encodePatterns(out), res)
}

func runSequencesCount(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	if len(t.Inputs) != 1 {
		return fmt.Errorf("task %s/%d: %w: want 1 input, got %d", t.Stage, t.Index, ErrPlan, len(t.Inputs))
	}
	cands, err := readInput(ctx, b, t.Inputs[0], decodePatterns)
	if err != nil {
		return err
	}
	seqs, err := taskSequences(ctx, d, t, res)
	if err != nil {
		return err
	}
	counts, err := sequences.Count(seqs, cands, seqOptions(t.Spec.Sequences))
	if err != nil {
		return fmt.Errorf("bucket %v: %w", t.Buckets, err)
	}
	return writePartial(ctx, b, t, encodeCounts(counts), res)
}

func runSequencesFinish(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	var p thresholdParams
	if err := params(t, &p); err != nil {
		return err
	}
	cands, total, err := sumCounts(ctx, b, t, true)
	if err != nil {
		return err
	}
	out := []sequences.Pattern{}
	if p.N >= p.MinCount {
		for i, el := range cands {
			if total[i] >= p.MinCount {
				out = append(out, sequences.Pattern{Elements: el, Support: total[i]})
			}
		}
	}
	if mp := maxPatterns(t.Spec.Sequences.MaxPatterns); mp > 0 && len(out) > mp {
		return fmt.Errorf("%w: more than %d at min count %d", sequences.ErrTooManyPatterns, mp, p.MinCount)
	}
	names, raw, err := outputNames(ctx, d)
	if err != nil {
		return err
	}
	if raw != nil {
		for i := range out {
			els := make([][]uint32, len(out[i].Elements))
			for j, e := range out[i].Elements {
				if els[j], err = translate(e, raw); err != nil {
					return err
				}
			}
			out[i].Elements = els
		}
	}
	w := newResultWriter(b, t, p.N, p.MinCount, res)
	var parts []resultPart
	for _, f := range []format.OutputFormat{format.JSONLines, format.SPMF} {
		parts = append(parts, resultPart{"sequences." + ext(f), len(out), func(wr io.Writer) error {
			pw := format.NewPatternWriter(wr, f, names, p.N)
			if err := pw.Sequences(out); err != nil {
				return err
			}
			return pw.Close()
		}})
	}
	if err := w.addAll(ctx, parts...); err != nil {
		return err
	}
	res.Rows = int64(len(cands))
	return w.close(ctx)
}
