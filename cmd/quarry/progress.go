package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
)

// stateLabel is a job state as the CLI names it.
func stateLabel(s quarryv1.JobState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "JOB_STATE_"))
}

// stateLine is a job's state with its reason and, once it ended, how long
// it took.
func stateLine(st *quarryv1.JobStatus) string {
	s := stateLabel(st.State)
	if st.FinishedAt != nil && st.SubmittedAt != nil {
		s += " after " + st.FinishedAt.AsTime().Sub(st.SubmittedAt.AsTime()).Round(time.Millisecond).String()
	}
	if st.Reason != "" {
		s += ": " + st.Reason
	}
	return s
}

// progressSummary is "stage i/n name done/total" for a job list.
func progressSummary(st *quarryv1.JobStatus) string {
	if len(st.Stages) == 0 {
		return "-"
	}
	cur := st.Stages[len(st.Stages)-1]
	for _, s := range st.Stages {
		if s.TasksDone < s.TasksTotal {
			cur = s
			break
		}
	}
	return fmt.Sprintf("stage %d %s %d/%d", cur.Index+1, cur.Name, cur.TasksDone, cur.TasksTotal)
}

// printStatusJSON writes st as one line of protobuf JSON.
func printStatusJSON(w io.Writer, st *quarryv1.JobStatus) error {
	b, err := protojson.Marshal(st)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// printStatus writes a job's status for people.
func printStatus(w io.Writer, st *quarryv1.JobStatus) error {
	fmt.Fprintf(w, "job %s: %s over %s %s, priority %s\n", st.JobId, typeLabel(st.Type), st.Dataset, st.DatasetVersion,
		strings.ToLower(strings.TrimPrefix(st.Priority.String(), "PRIORITY_")))
	fmt.Fprintf(w, "state: %s\n", stateLine(st))
	if st.SubmittedAt != nil {
		fmt.Fprintf(w, "submitted: %s\n", st.SubmittedAt.AsTime().Local().Format(time.RFC3339))
	}
	for _, s := range st.Stages {
		fmt.Fprintln(w, stageLine(s, 30))
	}
	for _, r := range st.Results {
		fmt.Fprintf(w, "result %s (%s, %d bytes): %s\n", r.Kind, r.Format, r.Size, r.Key)
	}
	return nil
}

// stageLine is one stage with a bar of width cells.
func stageLine(s *quarryv1.StageProgress, width int) string {
	filled := 0
	if s.TasksTotal > 0 {
		filled = int(s.TasksDone) * width / int(s.TasksTotal)
	}
	line := fmt.Sprintf("stage %d %-12s [%s%s] %d/%d tasks", s.Index+1, s.Name,
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), s.TasksDone, s.TasksTotal)
	if s.TasksRunning > 0 {
		line += fmt.Sprintf(", %d running", s.TasksRunning)
	}
	if s.AttemptsFailed > 0 {
		line += fmt.Sprintf(", %d failed attempts", s.AttemptsFailed)
	}
	if s.RowsProcessed > 0 {
		line += fmt.Sprintf(", %d rows", s.RowsProcessed)
	}
	return line
}

// progressDisplay shows a watched job: on a terminal it redraws a bar per
// stage in place; otherwise it prints a line whenever a stage's done count
// or the job's state changes.
type progressDisplay struct {
	w     io.Writer
	tty   bool
	drawn int               // lines drawn last time (tty)
	seen  map[uint32]uint32 // tasks done per stage already printed
	state quarryv1.JobState
}

func newProgressDisplay(w io.Writer) *progressDisplay {
	d := &progressDisplay{w: w, seen: map[uint32]uint32{}}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			d.tty = true
		}
	}
	return d
}

func (d *progressDisplay) show(st *quarryv1.JobStatus) {
	if d.tty {
		if d.drawn > 0 {
			fmt.Fprintf(d.w, "\x1b[%dA", d.drawn)
		}
		lines := []string{fmt.Sprintf("job %s: %s", st.JobId, stateLabel(st.State))}
		for _, s := range st.Stages {
			lines = append(lines, stageLine(s, 30))
		}
		for _, l := range lines {
			fmt.Fprintf(d.w, "\x1b[2K%s\n", l)
		}
		d.drawn = len(lines)
		return
	}
	if st.State != d.state {
		fmt.Fprintf(d.w, "job %s: %s\n", st.JobId, stateLabel(st.State))
		d.state = st.State
	}
	for _, s := range st.Stages {
		if done, ok := d.seen[s.Index]; !ok || done != s.TasksDone {
			fmt.Fprintln(d.w, stageLine(s, 30))
			d.seen[s.Index] = s.TasksDone
		}
	}
}

// done prints the final line: the state with its reason and the results.
func (d *progressDisplay) done(st *quarryv1.JobStatus) {
	fmt.Fprintf(d.w, "job %s %s\n", st.JobId, stateLine(st))
	for _, r := range st.Results {
		fmt.Fprintf(d.w, "result %s: %s\n", r.Kind, r.Key)
	}
}
