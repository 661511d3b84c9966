package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// EventType says what happened to a worker.
type EventType int

// The event types.
const (
	// Joined: a worker appeared (or was there when the watch started).
	Joined EventType = iota + 1
	// Updated: a known worker changed its info or re-registered.
	Updated
	// Left: a worker's key is gone; Reason says how.
	Left
)

// String returns the type's name.
func (t EventType) String() string {
	switch t {
	case Joined:
		return "joined"
	case Updated:
		return "updated"
	case Left:
		return "left"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// LeftReason says how a worker left.
type LeftReason int

// The reasons a worker leaves.
const (
	// NotLeft is the reason of Joined and Updated events.
	NotLeft LeftReason = iota
	// Revoked: the worker closed its registration (graceful drain or exit).
	Revoked
	// Expired: the key vanished without a graceful leave: the lease
	// expired (the worker died, hung or lost etcd for longer than the TTL),
	// or someone deleted the key, or it vanished while the watch was
	// re-listing after a compaction.
	Expired
)

// String returns the reason's name.
func (r LeftReason) String() string {
	switch r {
	case NotLeft:
		return "-"
	case Revoked:
		return "revoked"
	case Expired:
		return "expired"
	}
	return fmt.Sprintf("LeftReason(%d)", int(r))
}

// Event is a change in the set of registered workers.
type Event struct {
	// Type says what happened.
	Type EventType
	// ID names the worker.
	ID string
	// Info is the worker's new info (Joined, Updated) or its last known
	// info (Left).
	Info WorkerInfo
	// Reason says how the worker left (Left only).
	Reason LeftReason
	// Revision is the etcd revision of the change.
	Revision int64
}

// String describes the event for logs and test failures.
func (e Event) String() string {
	if e.Type == Left {
		return fmt.Sprintf("%s(%s, %s)@%d", e.Type, e.ID, e.Reason, e.Revision)
	}
	return fmt.Sprintf("%s(%s)@%d", e.Type, e.ID, e.Revision)
}

// Watch follows the workers registered under prefix. It lists them first
// (an error here is returned), then sends Joined for each, in id order, then
// one event per change, with no gap and no duplicate between the listing
// and the changes. It retries through etcd outages and compactions on its
// own, and closes the channel when ctx ends. The channel is unbuffered: a
// slow reader delays the watch, never loses events.
func Watch(ctx context.Context, cli *clientv3.Client, prefix string) (<-chan Event, error) {
	f := follower{cli: cli, key: newKeys(prefix).workers(), prefix: true}
	kvs, rev, err := f.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch workers under %q: %w", prefix, err)
	}
	out := make(chan Event)
	w := &workerView{ctx: ctx, out: out, base: f.key, known: map[string]WorkerInfo{}}
	go func() {
		defer close(out)
		if !w.reset(kvs, rev) {
			return
		}
		f.run(ctx, w, rev)
	}()
	return out, nil
}

// workerView turns key changes into events, remembering which workers it
// has reported present.
type workerView struct {
	ctx   context.Context
	out   chan<- Event
	base  string // "<prefix>/workers/"
	known map[string]WorkerInfo
}

// decode returns the worker id and value of a key, ok false for a key or
// value that is not a worker registration (nested key, bad JSON), which is
// ignored.
func (w *workerView) decode(kv *mvccpb.KeyValue) (string, stored, bool) {
	id, ok := w.id(string(kv.Key))
	if !ok {
		return "", stored{}, false
	}
	var s stored
	if err := json.Unmarshal(kv.Value, &s); err != nil {
		return "", stored{}, false
	}
	s.ID = id
	return id, s, true
}

func (w *workerView) id(key string) (string, bool) {
	id := strings.TrimPrefix(key, w.base)
	if id == "" || len(id) == len(key) || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}

func (w *workerView) send(e Event) bool {
	select {
	case w.out <- e:
		return true
	case <-w.ctx.Done():
		return false
	}
}

func (w *workerView) reset(kvs []*mvccpb.KeyValue, rev int64) bool {
	now := make(map[string]WorkerInfo, len(kvs))
	modRev := make(map[string]int64, len(kvs))
	for _, kv := range kvs {
		id, s, ok := w.decode(kv)
		if !ok || s.Leaving {
			continue
		}
		now[id] = s.WorkerInfo
		modRev[id] = kv.ModRevision
	}
	var events []Event
	for id, info := range w.known {
		if _, ok := now[id]; !ok {
			events = append(events, Event{Type: Left, ID: id, Info: info, Reason: Expired, Revision: rev})
		}
	}
	for id, info := range now {
		old, ok := w.known[id]
		switch {
		case !ok:
			events = append(events, Event{Type: Joined, ID: id, Info: info, Revision: modRev[id]})
		case !sameInfo(old, info):
			events = append(events, Event{Type: Updated, ID: id, Info: info, Revision: modRev[id]})
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i].ID < events[j].ID })
	w.known = now
	for _, e := range events {
		if !w.send(e) {
			return false
		}
	}
	return true
}

func (w *workerView) put(kv *mvccpb.KeyValue) bool {
	id, s, ok := w.decode(kv)
	if !ok {
		return true
	}
	old, known := w.known[id]
	switch {
	case s.Leaving && known:
		delete(w.known, id)
		return w.send(Event{Type: Left, ID: id, Info: old, Reason: Revoked, Revision: kv.ModRevision})
	case s.Leaving:
		return true
	case known:
		w.known[id] = s.WorkerInfo
		return w.send(Event{Type: Updated, ID: id, Info: s.WorkerInfo, Revision: kv.ModRevision})
	default:
		w.known[id] = s.WorkerInfo
		return w.send(Event{Type: Joined, ID: id, Info: s.WorkerInfo, Revision: kv.ModRevision})
	}
}

func (w *workerView) del(key string, rev int64) bool {
	id, ok := w.id(key)
	if !ok {
		return true
	}
	old, known := w.known[id]
	if !known {
		return true // already reported gone when it was marked leaving
	}
	delete(w.known, id)
	return w.send(Event{Type: Left, ID: id, Info: old, Reason: Expired, Revision: rev})
}

// sameInfo compares infos, times by instant.
func sameInfo(a, b WorkerInfo) bool {
	if !a.StartedAt.Equal(b.StartedAt) || !a.RegisteredAt.Equal(b.RegisteredAt) {
		return false
	}
	a.StartedAt, b.StartedAt = time.Time{}, time.Time{}
	a.RegisteredAt, b.RegisteredAt = time.Time{}, time.Time{}
	return a == b
}
