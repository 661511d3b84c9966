package jobs

import (
	"errors"
	"fmt"

	"github.com/quarrydata/quarry/storage/format"
)

// The stages of an import job, in order.
const (
	stageParse      = "parse"
	stageDictionary = "dictionary"
	stageBuild      = "build"
	stagePublish    = "publish"
)

var importStages = []string{stageParse, stageDictionary, stageBuild, stagePublish}

// parseParams name a parse task's split.
type parseParams = importSplit

// parseSummary is what a parse task reports: the records and lines of its
// split, or the first bad line (strict mode), whose line Next makes
// absolute with the line counts of the splits before it.
type parseSummary struct {
	Records int      `json:"records"`
	Lines   int      `json:"lines"`
	Bad     *badLine `json:"bad,omitempty"`
}

// badLine is a format.LineError whose Line counts from the split's first
// line (1-based).
type badLine struct {
	Object  string `json:"object"`
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Reason  string `json:"reason"`
	Text    string `json:"text,omitempty"`
	TooLong bool   `json:"too_long,omitempty"`
}

// dictSummary is what the dictionary task reports.
type dictSummary struct {
	Items   int `json:"items"`
	Records int `json:"records"`
}

// partSummary is what a build task reports: its partition's manifest
// entry without the key, which is the task's result key.
type partSummary struct {
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Records   int    `json:"records"`
	Orders    int    `json:"orders,omitempty"`
	Rows      int    `json:"rows"`
	Customers int    `json:"customers,omitempty"`
}

// publishParams carry every partition's entry to the publish task.
type publishParams struct {
	Parts []partSummary `json:"parts"`
}

// publishSummary is what the publish task reports.
type publishSummary struct {
	Version int `json:"version"`
}

// nextImport plans the stages of an import job:
//
//	parse      one task per split of each source: parse it, write its rows
//	           in one section per hash bucket (dataset.EncodeShuffle)
//	dictionary one task: merge the splits' dictionaries in source order
//	           into the global one, write the plan (dataset.MergeShuffled)
//	build      one task per bucket: read its section of every split, build
//	           and write the partition create-only where the manifest
//	           will reference it
//	publish    one task: the quarantine, a large dictionary, the manifest
//	           create-only at the next version (dataset.PublishOnce)
//
// A bad line in strict mode fails the job after the parse stage, with the
// line counted from the start of its source.
func nextImport(st *State) (*Stage, error) {
	is := st.Job.Spec.Import
	if is.Pinned == nil {
		return nil, fmt.Errorf("%w: import spec not prepared (call Prepare when the job is submitted)", ErrPlan)
	}
	done := len(st.Stages)
	for i, c := range st.Stages {
		if i >= len(importStages) || c.Stage.Name != importStages[i] {
			return nil, fmt.Errorf("%w: completed stage %d is %q, not an import stage in order", ErrPlan, i, c.Stage.Name)
		}
	}
	splits := importSplits(is)
	P := is.Pinned.Partitions
	switch done {
	case 0:
		s := &Stage{Name: stageParse}
		for _, sp := range splits {
			s.Tasks = append(s.Tasks, TaskSpec{Op: OpImportParse, Params: rawParams(sp)})
		}
		return s, nil
	case 1:
		if err := badInput(st, splits); err != nil {
			return nil, err
		}
		return mergeStage(stageDictionary, OpImportDict, st.Stages[0].keys(), nil), nil
	case 2:
		inputs := append(st.Stages[1].keys(), st.Stages[0].keys()...)
		s := &Stage{Name: stageBuild}
		for b := range P {
			s.Tasks = append(s.Tasks, TaskSpec{Op: OpImportBuild, Buckets: []int{b}, Inputs: inputs})
		}
		return s, nil
	case 3:
		var p publishParams
		for i, r := range st.Stages[2].Results {
			var ps partSummary
			if err := decodeJSON(r.Summary, &ps); err != nil {
				return nil, fmt.Errorf("build task %d: %w", i, err)
			}
			p.Parts = append(p.Parts, ps)
		}
		if len(p.Parts) != P {
			return nil, fmt.Errorf("%w: %d partitions built; want %d", ErrPlan, len(p.Parts), P)
		}
		return mergeStage(stagePublish, OpImportPublish, append(st.Stages[1].keys(), st.Stages[2].keys()...), p), nil
	case 4:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %d stages completed, an import has %d", ErrPlan, done, len(importStages))
}

// badInput returns the first bad line of the parsed splits in source
// order, numbered from the start of its source as 'quarry dataset import'
// reports it, or nil.
func badInput(st *State, splits []importSplit) error {
	c := st.Stages[0]
	if len(c.Results) != len(splits) {
		return fmt.Errorf("%w: %d parse results for %d splits", ErrPlan, len(c.Results), len(splits))
	}
	linesBefore := 0
	for i, r := range c.Results {
		var s parseSummary
		if err := decodeJSON(r.Summary, &s); err != nil {
			return fmt.Errorf("parse task %d: %w", i, err)
		}
		if i > 0 && splits[i-1].Source != splits[i].Source {
			linesBefore = 0
		}
		if b := s.Bad; b != nil {
			le := &format.LineError{Object: b.Object, Line: linesBefore + b.Line, Field: b.Field, Reason: b.Reason, Text: b.Text}
			if b.TooLong {
				le.Err = format.ErrLineTooLong
			}
			return fmt.Errorf("import into %s: %w", st.Job.Spec.Dataset, le)
		}
		linesBefore += s.Lines
	}
	return nil
}

// lineError converts the bad line of a split (its line relative to the
// split, header copy excluded) for a parse summary.
func lineError(err error, lineInSplit func(int) int) (*badLine, bool) {
	var le *format.LineError
	if !errors.As(err, &le) {
		return nil, false
	}
	return &badLine{Object: le.Object, Line: lineInSplit(le.Line), Field: le.Field, Reason: le.Reason, Text: le.Text,
		TooLong: errors.Is(le, format.ErrLineTooLong)}, true
}
