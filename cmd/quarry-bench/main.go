// Command quarry-bench runs Quarry's kernels on the shared real datasets and,
// where a peer implementation is installed (Weka, scikit-learn), the peer on
// the same input in the same run, and prints one table: dataset, task,
// parameter, patterns found, seconds, peak memory, and the peer's figures
// with the speed ratio.
//
// Each case runs in a child process of its own (the binary re-executes
// itself with -case), so the peak resident set size reported is the case's
// alone. Kernel seconds exclude loading the input; a peer's seconds are its
// own reported kernel time when it prints one, else its wall time.
//
// Usage:
//
//	quarry-bench [-datasets DIR] [-run REGEXP] [-peers=false]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
)

// Case is one benchmark: a kernel on one dataset with one parameter.
type Case struct {
	Name    string // unique, e.g. "itemsets/mushroom.dat/0.2"
	Task    string // "itemsets", "rules", "closed", "sequences", "kmeans", ...
	Dataset string // file name in the shared datasets folder, or a synthetic name
	Param   string // threshold or k, as shown in the table
	// Run loads its input (path is the dataset's full path, "" for a
	// synthetic dataset) and runs the kernel, reporting the kernel's time
	// alone and a pattern count.
	Run func(path string) (Result, error)
	// Peer optionally returns a peer implementation to run on the same
	// input, or nil when the peer is not installed.
	Peer func(path, tmpDir string) (*Peer, error)
}

// Result is what a case reports from its child process.
type Result struct {
	Patterns int
	Seconds  float64
	Note     string
}

// Peer is a peer implementation run as a command on the same input.
type Peer struct {
	Name string
	Cmd  *exec.Cmd
	// Parse reads the peer's standard output and returns its pattern count
	// and, if the peer reports it, its own kernel time in seconds (0 means:
	// use the command's wall time). It sees the first and the last 256 KiB
	// of the output (joined by a newline): the driver keeps no more, so that
	// its own memory, which the next child process's peak RSS would inherit
	// through fork and exec, stays small.
	Parse func(stdout []byte) (patterns int, seconds float64, err error)
}

var cases = map[string]Case{}

func register(c Case) {
	if _, dup := cases[c.Name]; dup {
		panic("quarry-bench: duplicate case " + c.Name)
	}
	cases[c.Name] = c
}

type childReport struct {
	Result
	Err string
}

func main() {
	datasets := flag.String("datasets", "", "folder of the shared datasets (default: $QUARRY_DATASETS or ../shared/datasets)")
	runRe := flag.String("run", ".", "run only the cases whose name matches this regular expression")
	peers := flag.Bool("peers", true, "run installed peer implementations on the same inputs")
	child := flag.String("case", "", "internal: run one case in this process and print its result as JSON")
	flag.Parse()

	if *child != "" {
		os.Exit(runChild(*child, *datasets))
	}
	dir := *datasets
	if dir == "" {
		d, ok := testenv.FindSharedDatasets()
		if !ok {
			fmt.Fprintln(os.Stderr, "quarry-bench: shared datasets not found beside the repository; set QUARRY_DATASETS or -datasets (synthetic cases still run)")
		}
		dir = d
	}
	re, err := regexp.Compile(*runRe)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quarry-bench: -run:", err)
		os.Exit(2)
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		if re.MatchString(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\ttask\tparam\tpatterns\tseconds\tpeak MiB\tpeer\tpeer s\tpeer patterns\tpeer/ours\tnote\t")
	// Our cases run first, each in a child process, while this process is
	// still small: a child's peak RSS starts at its parent's (fork copies
	// the address space and exec keeps the high-water mark), and preparing
	// a peer's input here (a million-row matrix for scikit-learn) would
	// inflate every later child's figure. Peers run afterwards.
	type done struct {
		c    Case
		path string
		rep  childReport
		rss  int64
		err  error
	}
	var runs []done
	for _, n := range names {
		c := cases[n]
		path := ""
		if c.Dataset != "" && !strings.HasPrefix(c.Dataset, "synthetic") {
			if dir == "" {
				runs = append(runs, done{c: c, err: errors.New("skipped: no shared datasets")})
				continue
			}
			path = filepath.Join(dir, c.Dataset)
		}
		fmt.Fprintf(os.Stderr, "quarry-bench: %s\n", n)
		rep, rss, err := runInChild(n, dir)
		runs = append(runs, done{c, path, rep, rss, err})
	}
	var notes []string
	failed := false
	for _, r := range runs {
		c := r.c
		if r.err != nil {
			failed = failed || !strings.HasPrefix(r.err.Error(), "skipped")
			notes = append(notes, fmt.Sprintf("ERROR: %v", r.err))
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t\t\t\t\t\t\t[%d]\t\n", c.Dataset, c.Task, c.Param, len(notes))
			continue
		}
		rep := r.rep
		row := fmt.Sprintf("%s\t%s\t%s\t%d\t%.3f\t%.0f\t", c.Dataset, c.Task, c.Param, rep.Patterns, rep.Seconds, float64(r.rss)/1024)
		if *peers && c.Peer != nil {
			fmt.Fprintf(os.Stderr, "quarry-bench: peer of %s\n", c.Name)
			row += runPeer(c, r.path, rep)
		} else {
			row += "-\t\t\t\t"
		}
		if rep.Note != "" {
			notes = append(notes, rep.Note)
			row += fmt.Sprintf("[%d]\t", len(notes))
		} else {
			row += "\t"
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	for i, n := range notes {
		fmt.Printf("[%d] %s\n", i+1, n)
	}
	if failed {
		os.Exit(1)
	}
}

// runPeer runs the case's peer and formats its table cells.
func runPeer(c Case, path string, ours childReport) string {
	tmp, err := os.MkdirTemp("", "quarry-bench-peer-")
	if err != nil {
		return fmt.Sprintf("error: %v\t\t\t\t", err)
	}
	defer os.RemoveAll(tmp)
	p, err := c.Peer(path, tmp)
	if err != nil {
		return fmt.Sprintf("error: %v\t\t\t\t", err)
	}
	if p == nil {
		return "not installed\t\t\t\t"
	}
	out := &headTail{max: 256 << 10}
	errb := &headTail{max: 4 << 10}
	p.Cmd.Stdout, p.Cmd.Stderr = out, errb
	start := time.Now()
	if err := p.Cmd.Run(); err != nil {
		return fmt.Sprintf("%s: %v %s\t\t\t\t", p.Name, err, firstLine(string(errb.Bytes())))
	}
	wall := time.Since(start).Seconds()
	n, secs, err := p.Parse(out.Bytes())
	if err != nil {
		return fmt.Sprintf("%s: %v\t\t\t\t", p.Name, err)
	}
	if secs == 0 {
		secs = wall
	}
	ratio := "-"
	if ours.Seconds > 0 {
		ratio = fmt.Sprintf("%.1fx", secs/ours.Seconds)
	}
	mark := ""
	if n != ours.Patterns {
		mark = " (differs)"
	}
	return fmt.Sprintf("%s\t%.3f\t%d%s\t%s\t", p.Name, secs, n, mark, ratio)
}

// headTail keeps the first and the last max bytes written to it.
type headTail struct {
	max  int
	head []byte
	tail []byte // a ring: the last max bytes, oldest first once rotated
	cut  bool   // bytes were dropped between head and tail
}

func (h *headTail) Write(p []byte) (int, error) {
	n := len(p)
	if room := h.max - len(h.head); room > 0 {
		k := min(room, len(p))
		h.head = append(h.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	h.tail = append(h.tail, p...)
	if len(h.tail) > h.max {
		h.cut = true
		h.tail = append(h.tail[:0], h.tail[len(h.tail)-h.max:]...)
	}
	return n, nil
}

// Bytes returns the head and the tail, joined by a newline if bytes were
// dropped between them.
func (h *headTail) Bytes() []byte {
	out := append([]byte(nil), h.head...)
	if h.cut {
		out = append(out, '\n')
	}
	return append(out, h.tail...)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// runInChild re-executes this binary for one case and returns its report
// and peak resident set size in KiB.
func runInChild(name, dir string) (childReport, int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return childReport{}, 0, err
	}
	cmd := exec.Command(exe, "-case", name, "-datasets", dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	var rep childReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		if runErr != nil {
			return rep, rss, fmt.Errorf("%v: %s", runErr, firstLine(errb.String()))
		}
		return rep, rss, fmt.Errorf("child output: %v", err)
	}
	if rep.Err != "" {
		return rep, rss, errors.New(rep.Err)
	}
	return rep, rss, nil
}

func runChild(name, dir string) int {
	c, ok := cases[name]
	if !ok {
		fmt.Fprintln(os.Stderr, "quarry-bench: no case", name)
		return 2
	}
	path := ""
	if c.Dataset != "" && !strings.HasPrefix(c.Dataset, "synthetic") {
		path = filepath.Join(dir, c.Dataset)
	}
	res, err := c.Run(path)
	rep := childReport{Result: res}
	if err != nil {
		rep.Err = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 1
	}
	return 0
}
