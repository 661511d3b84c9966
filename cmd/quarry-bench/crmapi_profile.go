package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// crmProfileEnv names a variable that, when set to a file prefix, makes
// the CRM API HTTP cases write CPU profiles of the bench process (which
// hosts the server under test) while the endpoint, not the bare handler,
// is under load: <prefix>.<endpoint>.<round>.pprof, one per round
// (`go tool pprof` merges the files given together). It is for finding
// where a request's time goes; a profiled run measures a few percent
// lower.
const crmProfileEnv = "QUARRY_BENCH_CRMAPI_CPUPROFILE"

// crmProfile profiles the measured rounds of one case.
type crmProfile struct {
	prefix string
	round  int
	f      *os.File
}

// startCRMProfile returns the profiler of the endpoint name, inactive
// when the variable is unset.
func startCRMProfile(name string) *crmProfile {
	prefix := os.Getenv(crmProfileEnv)
	if prefix == "" {
		return &crmProfile{}
	}
	return &crmProfile{prefix: prefix + "." + name}
}

// resume starts profiling the next round.
func (p *crmProfile) resume() {
	if p.prefix == "" {
		return
	}
	p.round++
	f, err := os.Create(fmt.Sprintf("%s.%d.pprof", p.prefix, p.round))
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quarry-bench: cpu profile:", err)
		return
	}
	p.f = f
}

// pause ends the round's profile.
func (p *crmProfile) pause() {
	if p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	if err := p.f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "quarry-bench: cpu profile:", err)
	}
	p.f = nil
}
