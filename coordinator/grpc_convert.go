package coordinator

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
)

// The FSM's priorities of the three classes: higher runs first.
const (
	priorityBatch  = -1
	priorityNormal = 0
	priorityHigh   = 1
)

// priorityOf maps a protocol priority class onto the FSM's number.
func priorityOf(p quarryv1.Priority) int {
	switch p {
	case quarryv1.Priority_PRIORITY_BATCH:
		return priorityBatch
	case quarryv1.Priority_PRIORITY_HIGH:
		return priorityHigh
	}
	return priorityNormal
}

// priorityClass maps the FSM's priority number onto its class.
func priorityClass(p int) quarryv1.Priority {
	switch {
	case p < priorityNormal:
		return quarryv1.Priority_PRIORITY_BATCH
	case p > priorityNormal:
		return quarryv1.Priority_PRIORITY_HIGH
	}
	return quarryv1.Priority_PRIORITY_NORMAL
}

// typeName returns the jobs.Type name of a protocol job type; "rules" is
// an itemsets job with a rules section, so it maps to "itemsets".
func typeName(t quarryv1.JobType) string {
	switch t {
	case quarryv1.JobType_JOB_TYPE_UNSPECIFIED:
		return ""
	case quarryv1.JobType_JOB_TYPE_RULES:
		return string(jobs.TypeItemsets)
	}
	return strings.ToLower(strings.TrimPrefix(t.String(), "JOB_TYPE_"))
}

// JobTypeOf maps a job's type name, and whether its spec asks for rules,
// onto the protocol's job type.
func JobTypeOf(name string, spec jobs.Spec) quarryv1.JobType {
	if name == string(jobs.TypeItemsets) && spec.Itemsets != nil && spec.Itemsets.Rules != nil {
		return quarryv1.JobType_JOB_TYPE_RULES
	}
	if v, ok := quarryv1.JobType_value["JOB_TYPE_"+strings.ToUpper(name)]; ok {
		return quarryv1.JobType(v)
	}
	return quarryv1.JobType_JOB_TYPE_UNSPECIFIED
}

// jobStates maps the FSM's job states onto the protocol's.
var jobStates = map[scheduler.JobState]quarryv1.JobState{
	scheduler.JobQueued:    quarryv1.JobState_JOB_STATE_PENDING,
	scheduler.JobRunning:   quarryv1.JobState_JOB_STATE_RUNNING,
	scheduler.JobSucceeded: quarryv1.JobState_JOB_STATE_SUCCEEDED,
	scheduler.JobFailed:    quarryv1.JobState_JOB_STATE_FAILED,
	scheduler.JobCancelled: quarryv1.JobState_JOB_STATE_CANCELLED,
}

// terminal reports whether a protocol job state is final.
func terminal(s quarryv1.JobState) bool {
	return s == quarryv1.JobState_JOB_STATE_SUCCEEDED || s == quarryv1.JobState_JOB_STATE_FAILED ||
		s == quarryv1.JobState_JOB_STATE_CANCELLED
}

// timestamp returns t as a protocol timestamp, nil for the zero time.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// JobStatusOf returns the protocol status of j, without result objects.
func JobStatusOf(j *Job) *quarryv1.JobStatus {
	var spec jobs.Spec
	_ = json.Unmarshal(j.Spec, &spec) // the driver stored it; zero if not
	st := &quarryv1.JobStatus{
		JobId: j.ID, Type: JobTypeOf(j.Type, spec), Dataset: spec.Dataset, Priority: priorityClass(j.Priority),
		State: jobStates[j.State], Reason: j.Reason, Spec: j.Spec,
		SubmittedAt: timestamp(j.SubmitTime), StartedAt: timestamp(j.StartTime), FinishedAt: timestamp(j.EndTime),
	}
	if spec.Version > 0 {
		st.DatasetVersion = "v" + strconv.Itoa(spec.Version)
	}
	progress := j.Progress()
	for i, s := range j.Stages {
		p := &quarryv1.StageProgress{Index: uint32(i), Name: s.Name, TasksTotal: uint32(len(s.Tasks)),
			RowsProcessed: uint64(max(progress[i].Rows, 0))}
		for _, t := range s.Tasks {
			if t.Done {
				p.TasksDone++
			}
			live := false
			for _, a := range t.Attempts {
				switch a.State {
				case scheduler.AttemptRunning:
					live = true
				case scheduler.AttemptFailed:
					p.AttemptsFailed++
				}
			}
			if live && !t.Done {
				p.TasksRunning++
			}
		}
		st.Stages = append(st.Stages, p)
	}
	return st
}

// resultObjects lists a result manifest's objects for a job status.
func resultObjects(m *jobs.ResultManifest) []*quarryv1.ResultObject {
	out := make([]*quarryv1.ResultObject, 0, len(m.Objects))
	for _, o := range m.Objects {
		name, format, _ := strings.Cut(o.Name, ".")
		out = append(out, &quarryv1.ResultObject{Key: o.Key, Format: format, Kind: name, Size: uint64(max(o.Size, 0))})
	}
	return out
}

// DatasetInfoOf summarises a dataset version's manifest.
func DatasetInfoOf(m *dataset.Manifest) *quarryv1.DatasetInfo {
	d := &quarryv1.DatasetInfo{
		Name: m.Name, Version: "v" + strconv.Itoa(m.Version), ManifestKey: dataset.ManifestKey(m.Name, m.Version),
		Partitions: uint32(len(m.Partitions)), Transactions: uint64(max(m.Counts.Records, 0)),
		Customers: uint64(max(m.Counts.Customers, 0)), Items: uint64(max(m.NumItems, 0)), CreatedAt: timestamp(m.Created),
	}
	if m.Counts.Orders > 0 {
		d.Transactions = uint64(m.Counts.Orders)
	}
	for _, p := range m.Partitions {
		d.Bytes += uint64(max(p.Size, 0))
	}
	return d
}
