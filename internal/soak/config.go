package soak

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"time"
)

// The environment variables the suite reads.
const (
	// EnvSeconds is the length of the fault phase in seconds.
	EnvSeconds = "SOAK_SECONDS"
	// EnvSeed replays a run: the same fault schedule and job stream.
	EnvSeed = "SOAK_SEED"
)

// DefaultSeconds is the fault phase of `go test` (make test); make soak
// sets SOAK_SECONDS=600.
const DefaultSeconds = 50

// Config is one run of the suite.
type Config struct {
	// Seed seeds the fault schedule and the job stream (two PCG streams).
	Seed uint64
	// Duration is the fault phase: jobs are submitted and faults injected
	// until it ends.
	Duration time.Duration
	// Faults are the kinds the schedule draws from, each once per round
	// in a shuffled order.
	Faults []FaultKind
	// Gap is the range of the pause before each fault.
	Gap [2]time.Duration
	// WorkerDown is the range of how long a killed worker stays dead.
	WorkerDown [2]time.Duration
	// InFlight is how many submitted jobs may be unfinished at once.
	InFlight int
	// Drain bounds the wait, after the fault phase, for every job to end;
	// Stall ends it sooner once no job has moved for that long.
	Drain, Stall time.Duration
	// CoordinatorEnv is added to the coordinators' environment (the test
	// fault switch).
	CoordinatorEnv []string
}

// DefaultConfig is the configuration of TestSoak: the whole fault
// schedule, a fault every 1–4 s, four jobs in flight.
func DefaultConfig() Config {
	return Config{
		Duration:   DefaultSeconds * time.Second,
		Faults:     AllFaults,
		Gap:        [2]time.Duration{time.Second, 4 * time.Second},
		WorkerDown: [2]time.Duration{time.Second, 6 * time.Second},
		InFlight:   4,
		Drain:      3 * time.Minute,
		Stall:      60 * time.Second,
	}
}

// FromEnv applies SOAK_SECONDS and SOAK_SEED to cfg; without SOAK_SEED the
// seed is random (and printed by the run).
func FromEnv(cfg Config) (Config, error) {
	if v := os.Getenv(EnvSeconds); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("%s=%q: want a positive number of seconds", EnvSeconds, v)
		}
		cfg.Duration = time.Duration(n) * time.Second
	}
	if v := os.Getenv(EnvSeed); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return cfg, fmt.Errorf("%s=%q: want an unsigned integer", EnvSeed, v)
		}
		cfg.Seed = n
		return cfg, nil
	}
	var b [8]byte
	rand.Read(b[:])
	cfg.Seed = binary.LittleEndian.Uint64(b[:]) >> 1 // fits an int64 too, for any tool
	return cfg, nil
}

// between returns a duration uniform in [r[0], r[1]] from u in [0, 1).
func between(r [2]time.Duration, u float64) time.Duration {
	return r[0] + time.Duration(u*float64(r[1]-r[0]))
}
