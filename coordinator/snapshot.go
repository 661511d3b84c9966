package coordinator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/raft"
)

// snapshotVersion is the format of a snapshot; Restore refuses others.
const snapshotVersion = 1

// ErrSnapshotVersion means a snapshot was written in a format this build
// does not read.
var ErrSnapshotVersion = errors.New("unsupported snapshot version")

// ErrCorruptSnapshot means a snapshot decoded but does not describe a state
// (a null job, stage, task or attempt, a job filed under another id, an
// attempt id used twice).
var ErrCorruptSnapshot = errors.New("corrupt snapshot")

// snapshotFile is what a snapshot holds: a version, then the state.
type snapshotFile struct {
	Version int    `json:"version"`
	State   *State `json:"state"`
}

// marshalSnapshot encodes s canonically (encoding/json sorts map keys).
func marshalSnapshot(s *State) ([]byte, error) {
	b, err := json.Marshal(snapshotFile{Version: snapshotVersion, State: s})
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return b, nil
}

// readSnapshot decodes a snapshot and rebuilds the state's indexes.
func readSnapshot(r io.Reader) (*State, error) {
	var f snapshotFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if f.Version != snapshotVersion {
		return nil, fmt.Errorf("decode snapshot version %d: %w", f.Version, ErrSnapshotVersion)
	}
	s := f.State
	if s == nil {
		s = newState()
	}
	if s.Datasets == nil {
		s.Datasets = map[string]Dataset{}
	}
	if s.Jobs == nil {
		s.Jobs = map[string]*Job{}
	}
	if s.Workers == nil {
		s.Workers = map[string]Worker{}
	}
	if s.Models == nil {
		s.Models = map[string]Model{}
	}
	if err := checkSnapshot(s); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	s.reindex()
	return s, nil
}

// checkSnapshot refuses what reindex could not index: null entries, a job
// under a key other than its id, an attempt id seen twice.
func checkSnapshot(s *State) error {
	seen := map[uint64]bool{}
	for id, j := range s.Jobs {
		if j == nil || j.ID != id {
			return fmt.Errorf("job %q: %w", id, ErrCorruptSnapshot)
		}
		for si, st := range j.Stages {
			if st == nil {
				return fmt.Errorf("job %s stage %d: %w", id, si, ErrCorruptSnapshot)
			}
			for ti, t := range st.Tasks {
				if t == nil {
					return fmt.Errorf("job %s stage %d task %d: %w", id, si, ti, ErrCorruptSnapshot)
				}
				for ai, a := range t.Attempts {
					if a == nil || seen[a.ID] {
						return fmt.Errorf("job %s stage %d task %d attempt %d: %w", id, si, ti, ai, ErrCorruptSnapshot)
					}
					seen[a.ID] = true
				}
			}
		}
	}
	return nil
}

// fsmSnapshot is a serialised state waiting to be persisted.
type fsmSnapshot struct{ data []byte }

// Persist implements raft.FSMSnapshot.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s.data); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot.
func (s *fsmSnapshot) Release() {}
