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
	s.reindex()
	return s, nil
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
