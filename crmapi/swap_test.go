package crmapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

type probe struct{ method, path, body string }

// expected serves each probe on a server holding only m and returns the
// bodies by probe.
func expected(t *testing.T, m *Model, probes []probe) [][]byte {
	t.Helper()
	s := newTestServer(t, m)
	out := make([][]byte, len(probes))
	for i, p := range probes {
		rec := httptest.NewRecorder()
		var body io.Reader
		if p.body != "" {
			body = strings.NewReader(p.body)
		}
		s.ServeHTTP(rec, httptest.NewRequest(p.method, p.path, body))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s: status %d", p.method, p.path, rec.Code)
		}
		out[i] = rec.Body.Bytes()
	}
	return out
}

// TestSwapUnderLoad hammers a real HTTP server while models are swapped
// in and rolled back: every request succeeds and every answer is exactly
// the answer of the one model version it names.
func TestSwapUnderLoad(t *testing.T) {
	m1, m2 := loadedModels(t)
	var probes []probe
	for i, id := range m1.bySegment[0][:6] {
		probes = append(probes, probe{"GET", "/v1/customers/" + id, ""}, probe{"GET", "/v1/customers/" + id + "/recommendations?k=" + strconv.Itoa(5+i), ""})
	}
	probes = append(probes, probe{"GET", "/v1/segments", ""}, probe{"GET", "/v1/segments/1/customers?limit=20", ""},
		probe{"POST", "/v1/recommendations", `{"items":["` + strings.Join(m2.names(m2.rules[0].ant), `","`) + `"]}`},
		probe{"GET", "/v1/items/" + m2.items[m2.rules[0].cons[0]].Name + "/associations", ""})
	want := map[int][][]byte{1: expected(t, m1, probes), 2: expected(t, m2, probes)}
	differ := 0
	for i := range probes {
		if !bytes.Equal(bytes.ReplaceAll(want[1][i], []byte(`"model_version":1`), []byte(`"model_version":2`)), want[2][i]) {
			differ++
		}
	}
	if differ < 3 {
		t.Fatalf("only %d probes differ between v1 and v2; the test could not see mixing", differ)
	}

	s := newTestServer(t, m1)
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, stop := context.WithCancel(context.Background())
	var swaps atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			switch i % 3 {
			case 0:
				s.Swap(m2)
			case 1:
				s.Swap(m1)
			default:
				if _, err := s.Rollback(); err != nil {
					t.Errorf("rollback: %v", err)
				}
			}
			swaps.Add(1)
		}
	}()
	const workers, perWorker = 8, 150
	errs := make(chan error, workers)
	var clients sync.WaitGroup
	for w := range workers {
		clients.Add(1)
		go func() {
			defer clients.Done()
			for i := range perWorker {
				j := (w*perWorker + i) % len(probes)
				if err := check(ts, probes, j, want); err != nil {
					p := probes[j]
					errs <- fmt.Errorf("%s %s: %w", p.method, p.path, err)
					return
				}
			}
		}()
	}
	clients.Wait()
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if swaps.Load() < 10 {
		t.Errorf("%d swaps during the run; want many", swaps.Load())
	}
}

// check runs probe i and compares the answer with the expected answer
// of the version it names in its header and body.
func check(ts *httptest.Server, probes []probe, i int, want map[int][][]byte) error {
	p := probes[i]
	var body io.Reader
	if p.body != "" {
		body = strings.NewReader(p.body)
	}
	req, err := http.NewRequest(p.method, ts.URL+p.path, body)
	if err != nil {
		return err
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", res.StatusCode, data)
	}
	v, err := strconv.Atoi(res.Header.Get(ModelVersionHeader))
	if err != nil || want[v] == nil {
		return fmt.Errorf("version header %q", res.Header.Get(ModelVersionHeader))
	}
	var mv struct {
		ModelVersion int `json:"model_version"`
	}
	if err := json.Unmarshal(data, &mv); err != nil || mv.ModelVersion != v {
		return fmt.Errorf("body version %d, header %d (%v)", mv.ModelVersion, v, err)
	}
	if !bytes.Equal(want[v][i], data) {
		return fmt.Errorf("answer differs from model v%d's own: mixed versions? %.200s", v, data)
	}
	return nil
}

// TestRollbackAndRefusal: rollback returns to the previous version (and a
// second one undoes it); a model with a corrupt object is refused by
// LoadAndSwap while the current one keeps serving.
func TestRollbackAndRefusal(t *testing.T) {
	f := sharedFixture(t)
	m1, m2 := loadedModels(t)
	s := newTestServer(t, m1)
	s.Swap(m2)
	version := func(want int) {
		t.Helper()
		var info ModelInfo
		res := get(t, s, "/readyz", http.StatusOK, &info)
		if info.ModelVersion != want || res.Header.Get(ModelVersionHeader) != strconv.Itoa(want) {
			t.Fatalf("serving v%d (header %q); want v%d", info.ModelVersion, res.Header.Get(ModelVersionHeader), want)
		}
	}
	version(2)
	var info ModelInfo
	do(t, s, "POST", "/v1/admin/model/rollback", "", http.StatusOK, &info)
	if info.ModelVersion != 1 {
		t.Errorf("rollback answered v%d; want v1", info.ModelVersion)
	}
	version(1)
	do(t, s, "POST", "/v1/admin/model/rollback", "", http.StatusOK, &info)
	version(2)

	restore := corrupt(t, f, 1)
	defer restore()
	if _, err := s.LoadAndSwap(context.Background(), f.store, "retail", 1); err == nil {
		t.Fatal("corrupt model v1: got no error")
	}
	version(2)
	get(t, s, "/v1/customers/"+m2.bySegment[0][0], http.StatusOK, nil)
	restore()
	if _, err := s.LoadAndSwap(context.Background(), f.store, "retail", 1); err != nil {
		t.Fatal(err)
	}
	version(1)
}
