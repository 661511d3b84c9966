package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 20 * time.Second

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recorder consumes a Watch channel, keeps every event and the view they
// imply, and records protocol violations: Joined for a worker already
// present, Updated or Left for one absent, a revision that does not grow.
type recorder struct {
	mu       sync.Mutex
	events   []Event
	view     map[string]WorkerInfo
	lastRev  map[string]int64
	problems []string
	done     chan struct{}
}

func record(ch <-chan Event) *recorder {
	r := &recorder{view: map[string]WorkerInfo{}, lastRev: map[string]int64{}, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for e := range ch {
			r.add(e)
		}
	}()
	return r
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	_, present := r.view[e.ID]
	switch e.Type {
	case Joined:
		if present {
			r.problems = append(r.problems, fmt.Sprintf("%v: already present", e))
		}
		r.view[e.ID] = e.Info
	case Updated:
		if !present {
			r.problems = append(r.problems, fmt.Sprintf("%v: not present", e))
		}
		r.view[e.ID] = e.Info
	case Left:
		if !present {
			r.problems = append(r.problems, fmt.Sprintf("%v: not present", e))
		}
		delete(r.view, e.ID)
	default:
		r.problems = append(r.problems, fmt.Sprintf("%v: unknown type", e))
	}
	if e.Revision <= r.lastRev[e.ID] {
		r.problems = append(r.problems, fmt.Sprintf("%v: revision not after %d", e, r.lastRev[e.ID]))
	}
	r.lastRev[e.ID] = e.Revision
}

// ids returns the ids in the recorder's view, sorted.
func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sortedKeys(r.view)
}

func (r *recorder) info(id string) (WorkerInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	info, ok := r.view[id]
	return info, ok
}

// has reports whether an event with this type, id and reason was seen.
func (r *recorder) has(typ EventType, id string, reason LeftReason) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Type == typ && e.ID == id && e.Reason == reason {
			return true
		}
	}
	return false
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *recorder) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.problems {
		t.Errorf("watch protocol violation: %s", p)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// etcdWorkers returns the ids of the registered, not leaving, workers as
// etcd has them now.
func etcdWorkers(t *testing.T, cli *clientv3.Client, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	base := newKeys(prefix).workers()
	resp, err := cli.Get(ctx, base, clientv3.WithPrefix())
	if err != nil {
		t.Fatalf("list workers: %v", err)
	}
	ids := []string{}
	for _, kv := range resp.Kvs {
		var s stored
		if err := json.Unmarshal(kv.Value, &s); err != nil {
			t.Fatalf("decode %s: %v", kv.Key, err)
		}
		if !s.Leaving {
			ids = append(ids, strings.TrimPrefix(string(kv.Key), base))
		}
	}
	return ids
}

func worker(id string) WorkerInfo {
	return WorkerInfo{ID: id, Addr: "127.0.0.1:9000", Slots: 2, FreeSlots: 2, Version: "test",
		StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	t.Cleanup(cancel)
	return ctx
}
