package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrk, when installed (Debian's wrk 4.1), is the lighter load generator:
// one thread (-t1) multiplexing every connection on epoll, so it takes less
// of the two cores than the Go generator. It is driven by a Lua script that
// cycles through the same paths and bodies as the Go generator; a first run
// of the warm-up length is discarded.

// wrkBinary returns the path of wrk.
func wrkBinary() (string, error) {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return "", fmt.Errorf("skipped: wrk not installed (apt-get install wrk)")
	}
	return p, nil
}

// wrkScript writes the Lua script of spec into dir.
func wrkScript(dir string, spec loadSpec) (string, error) {
	var b bytes.Buffer
	b.WriteString("local paths = {\n")
	for _, p := range spec.Paths {
		fmt.Fprintf(&b, "  %q,\n", p)
	}
	b.WriteString("}\nlocal bodies = {\n")
	for _, body := range spec.Bodies {
		fmt.Fprintf(&b, "  %q,\n", body)
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "local method = %q\nlocal headers = {}\n", spec.Method)
	if spec.Token != "" {
		fmt.Fprintf(&b, "headers[\"Authorization\"] = %q\n", "Bearer "+spec.Token)
	}
	if len(spec.Bodies) > 0 {
		b.WriteString("headers[\"Content-Type\"] = \"application/json\"\n")
	}
	b.WriteString(`local i = 0
request = function()
  i = i + 1
  local body = nil
  if #bodies > 0 then body = bodies[(i % #bodies) + 1] end
  return wrk.format(method, paths[(i % #paths) + 1], headers, body)
end
`)
	f, err := os.CreateTemp(dir, "wrk-*.lua")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return "", err
	}
	return f.Name(), f.Close()
}

// runWrk runs wrk on spec (warm-up run, then the measured run).
func runWrk(spec loadSpec) (loadReport, error) {
	bin, err := wrkBinary()
	if err != nil {
		return loadReport{}, err
	}
	dir, err := os.MkdirTemp("", "quarry-bench-wrk-")
	if err != nil {
		return loadReport{}, err
	}
	defer os.RemoveAll(dir)
	script, err := wrkScript(dir, spec)
	if err != nil {
		return loadReport{}, err
	}
	run := func(d time.Duration) ([]byte, error) {
		cmd := exec.Command(bin, "-t1", fmt.Sprintf("-c%d", spec.Conns), fmt.Sprintf("-d%ds", max(1, int(d.Round(time.Second).Seconds()))),
			"--latency", "--timeout", "5s", "-s", filepath.Clean(script), spec.Base)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("wrk: %v: %s", err, firstLine(errb.String()))
		}
		return out.Bytes(), nil
	}
	if spec.Warm > 0 {
		if _, err := run(spec.Warm); err != nil {
			return loadReport{}, err
		}
	}
	out, err := run(spec.Measure)
	if err != nil {
		return loadReport{}, err
	}
	rep, err := parseWrk(out)
	if err != nil {
		return rep, fmt.Errorf("wrk output: %w", err)
	}
	rep.Seconds = spec.Measure.Seconds()
	return rep, nil
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkTotal   = regexp.MustCompile(`([0-9]+) requests in`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+([0-9]+)`)
	wrkSockErr = regexp.MustCompile(`Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)`)
	wrkPct     = regexp.MustCompile(`^\s*(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$`)
)

// parseWrk reads wrk's report.
func parseWrk(out []byte) (loadReport, error) {
	var rep loadReport
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		return rep, fmt.Errorf("no Requests/sec in %q", firstLine(string(out)))
	}
	rep.RPS, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := wrkTotal.FindSubmatch(out); m != nil {
		rep.Requests, _ = strconv.Atoi(string(m[1]))
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		rep.Errors += n
	}
	if m := wrkSockErr.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(string(g))
			rep.Errors += n
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := wrkPct.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		switch m[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if strings.HasPrefix(m[1], "50") {
			rep.P50 = v
		} else {
			rep.P99 = v
		}
	}
	return rep, nil
}
