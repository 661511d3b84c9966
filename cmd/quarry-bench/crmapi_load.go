package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sync"
	"time"
)

// The CRM API cases drive the server with a closed-loop load generator:
// Conns connections, each a goroutine with its own keep-alive net/http
// client, sending the next request as soon as the previous answer has
// been read whole. It runs in a process of its own (this binary,
// re-executed with QUARRY_BENCH_LOADGEN set to its JSON loadSpec), with
// GOMAXPROCS 1, so its CPU is the generator's alone and the server's
// process keeps both cores' worth of Ps; on 2 cores they still compete
// for CPU, which the table's notes say. Debian's wrk, when installed, is
// the lighter alternative (crmapi.go); both report the same figures.

// loadgenEnv names the variable that turns this binary into the load
// generator.
const loadgenEnv = "QUARRY_BENCH_LOADGEN"

// loadSpec is what the generator process is asked to do.
type loadSpec struct {
	Base    string        `json:"base"` // e.g. http://127.0.0.1:1234
	Method  string        `json:"method"`
	Paths   []string      `json:"paths"`  // request i of a connection uses Paths[(conn+i*7) % len]
	Bodies  []string      `json:"bodies"` // POST bodies, cycled like Paths
	Token   string        `json:"token,omitempty"`
	Conns   int           `json:"conns"`
	Warm    time.Duration `json:"warm"`
	Measure time.Duration `json:"measure"`
	// Samples, when set, names a file to write every measured request to
	// as two little-endian int64: its start (Unix ns) and latency (ns).
	Samples string `json:"samples,omitempty"`
}

// loadReport is the generator's answer.
type loadReport struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"` // transport errors and non-2xx answers
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

func init() {
	raw := os.Getenv(loadgenEnv)
	if raw == "" {
		return
	}
	var spec loadSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "quarry-bench loadgen:", err)
		os.Exit(2)
	}
	rep, err := generate(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quarry-bench loadgen:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(rep)
	os.Exit(0)
}

// runLoadgen runs the generator in a child process with GOMAXPROCS 1.
func runLoadgen(spec loadSpec) (loadReport, error) {
	exe, err := os.Executable()
	if err != nil {
		return loadReport{}, err
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return loadReport{}, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), loadgenEnv+"="+string(raw), "GOMAXPROCS=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return loadReport{}, fmt.Errorf("loadgen: %v: %s", err, firstLine(errb.String()))
	}
	var rep loadReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return loadReport{}, fmt.Errorf("loadgen output: %w", err)
	}
	return rep, nil
}

// sample is one measured request.
type sample struct{ start, lat int64 }

// generate runs spec in this process.
func generate(spec loadSpec) (loadReport, error) {
	if spec.Conns < 1 || len(spec.Paths) == 0 {
		return loadReport{}, fmt.Errorf("need connections and paths")
	}
	begin := time.Now()
	measureFrom := begin.Add(spec.Warm)
	end := measureFrom.Add(spec.Measure)
	per := make([][]sample, spec.Conns)
	errs := make([]int, spec.Conns)
	var wg sync.WaitGroup
	for c := range spec.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr}
			buf := make([]byte, 32<<10)
			samples := make([]sample, 0, 1<<16)
			for i := 0; ; i++ {
				j := (c + i*7) % len(spec.Paths)
				var body io.Reader
				if len(spec.Bodies) > 0 {
					body = bytes.NewReader([]byte(spec.Bodies[(c+i*7)%len(spec.Bodies)]))
				}
				req, err := http.NewRequest(spec.Method, spec.Base+spec.Paths[j], body)
				if err != nil {
					errs[c]++
					return
				}
				if spec.Token != "" {
					req.Header.Set("Authorization", "Bearer "+spec.Token)
				}
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				resp, err := cl.Do(req)
				ok := err == nil
				if err == nil {
					for {
						if _, rerr := resp.Body.Read(buf); rerr != nil {
							ok = rerr == io.EOF
							break
						}
					}
					resp.Body.Close()
					ok = ok && resp.StatusCode < 300
				}
				if t0.Before(measureFrom) {
					continue
				}
				if !ok {
					errs[c]++
					continue
				}
				samples = append(samples, sample{t0.UnixNano(), int64(time.Since(t0))})
			}
			per[c] = samples
		}()
	}
	wg.Wait()
	var all []sample
	rep := loadReport{Seconds: spec.Measure.Seconds()}
	for c := range per {
		all = append(all, per[c]...)
		rep.Errors += errs[c]
	}
	per = nil
	runtime.GC()
	rep.Requests = len(all)
	rep.RPS = float64(len(all)) / spec.Measure.Seconds()
	if spec.Samples != "" {
		if err := writeSamples(spec.Samples, all); err != nil {
			return rep, err
		}
	}
	lats := make([]int64, len(all))
	for i, s := range all {
		lats[i] = s.lat
	}
	rep.P50, rep.P99, rep.Max = latencyStats(lats)
	return rep, nil
}

// latencyStats returns the median, 99th percentile and maximum of lats
// (ns) in milliseconds.
func latencyStats(lats []int64) (p50, p99, mx float64) {
	if len(lats) == 0 {
		return 0, 0, 0
	}
	slices.Sort(lats)
	q := func(p float64) float64 { return float64(lats[min(len(lats)-1, int(p*float64(len(lats))))]) / 1e6 }
	return q(0.50), q(0.99), float64(lats[len(lats)-1]) / 1e6
}

func writeSamples(path string, all []sample) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var b [16]byte
	for _, s := range all {
		binary.LittleEndian.PutUint64(b[:8], uint64(s.start))
		binary.LittleEndian.PutUint64(b[8:], uint64(s.lat))
		w.Write(b[:])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readSamples reads a file written by writeSamples.
func readSamples(path string) ([]sample, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]sample, len(data)/16)
	for i := range out {
		out[i] = sample{int64(binary.LittleEndian.Uint64(data[16*i:])), int64(binary.LittleEndian.Uint64(data[16*i+8:]))}
	}
	return out, nil
}
