package coordinator_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
)

// apiReply is a decoded answer of the HTTP API.
type apiReply struct {
	status int
	body   map[string]any
}

// code returns the error code of an error answer.
func (r apiReply) code() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// message returns the error message of an error answer.
func (r apiReply) message() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// call sends method path with body to srv and decodes the JSON answer.
func call(t *testing.T, srv *httptest.Server, method, path, body string) apiReply {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s content type: got %q; want application/json", method, path, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s: got body %q; want JSON: %v", method, path, data, err)
	}
	return apiReply{status: resp.StatusCode, body: m}
}

// startAPI serves the HTTP API of a fresh single-node cluster.
func startAPI(t *testing.T) (*testCluster, *httptest.Server) {
	t.Helper()
	c := startCluster(t)
	srv := httptest.NewServer(coordinator.NewHTTPHandler(coordinator.NewJobAPI(c.driver, c.store), nil))
	t.Cleanup(srv.Close)
	return c, srv
}

// TestHTTPAPIErrors checks every route's error answers and the job life
// cycle without workers: submitted, listed, cancelled.
func TestHTTPAPIErrors(t *testing.T) {
	_, srv := startAPI(t)
	submitBody := `{"id":"h1","spec":` + e2eSpec + `,"priority":3}`
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
		msgHas                   string
	}{
		{"bad json", "POST", "/v1/jobs", `{"spec":`, 400, "bad_request", ""},
		{"unknown field", "POST", "/v1/jobs", `{"spec":{},"prio":1}`, 400, "bad_request", `"prio"`},
		{"missing spec", "POST", "/v1/jobs", `{"id":"x"}`, 400, "bad_request", `"spec"`},
		{"trailing data", "POST", "/v1/jobs", `{"spec":{}} {}`, 400, "bad_request", "trailing"},
		{"oversized", "POST", "/v1/jobs", `{"id":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "body_too_large", ""},
		{"invalid spec", "POST", "/v1/jobs", `{"spec":{"type":"nope","dataset":"r"}}`, 400, "invalid_spec", ""},
		{"unknown spec field", "POST", "/v1/jobs", `{"spec":{"type":"itemsets","dataset":"r","bogus":1}}`, 400, "invalid_spec", "bogus"},
		{"bad id", "POST", "/v1/jobs", `{"id":"a b","spec":` + e2eSpec + `}`, 400, "invalid_spec", ""},
		{"unknown dataset", "POST", "/v1/jobs", `{"spec":{"type":"itemsets","dataset":"zz","itemsets":{"min_support":0.1}}}`, 400, "unknown_dataset", ""},
		{"get unknown", "GET", "/v1/jobs/nope", "", 404, "not_found", "nope"},
		{"cancel unknown", "DELETE", "/v1/jobs/nope", "", 404, "not_found", "nope"},
		{"no route", "GET", "/v2/x", "", 404, "not_found", ""},
		{"submit", "POST", "/v1/jobs", submitBody, 201, "", ""},
		{"submit again", "POST", "/v1/jobs", submitBody, 409, "job_exists", ""},
		{"cancel", "DELETE", "/v1/jobs/h1", "", 200, "", ""},
		{"cancel again", "DELETE", "/v1/jobs/h1", "", 409, "job_finished", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tt.method, tt.path, tt.body)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("got %d %q (%s); want %d %q", r.status, r.code(), r.message(), tt.status, tt.code)
			}
			if !strings.Contains(r.message(), tt.msgHas) {
				t.Errorf("message: got %q; want it to contain %q", r.message(), tt.msgHas)
			}
		})
	}
	r := call(t, srv, "GET", "/v1/jobs/h1", "")
	if r.status != 200 || r.body["state"] != "cancelled" || r.body["priority"] != 3.0 || r.body["spec"] == nil {
		t.Errorf("GET h1: got %d %v; want 200, cancelled, priority 3, with spec", r.status, r.body)
	}
}

// TestHTTPAPIListsAndHealth checks the list routes, newest first, and
// healthz.
func TestHTTPAPIListsAndHealth(t *testing.T) {
	_, srv := startAPI(t)
	for _, id := range []string{"", "second"} {
		body := `{"spec":` + e2eSpec + `}`
		if id != "" {
			body = `{"id":"` + id + `","spec":` + e2eSpec + `}`
		}
		r := call(t, srv, "POST", "/v1/jobs", body)
		if r.status != 201 || r.body["state"] != "queued" {
			t.Fatalf("submit %q: got %d %v; want 201 queued", id, r.status, r.body)
		}
		if id == "" && !strings.HasPrefix(r.body["id"].(string), "job-") {
			t.Errorf("generated id: got %v; want job-…", r.body["id"])
		}
	}
	r := call(t, srv, "GET", "/v1/jobs", "")
	list, _ := r.body["jobs"].([]any)
	if r.status != 200 || len(list) != 2 {
		t.Fatalf("list: got %d %v; want 200 with 2 jobs", r.status, r.body)
	}
	first := list[0].(map[string]any)
	if first["id"] != "second" || first["spec"] != nil {
		t.Errorf("list[0]: got %v; want job second without spec", first)
	}
	if prog, _ := first["progress"].([]any); len(prog) == 0 {
		t.Errorf("list[0] progress: got %v; want per-stage progress", first["progress"])
	}
	for _, tt := range []struct{ path, key string }{{"/v1/datasets", "datasets"}, {"/v1/workers", "workers"}} {
		r := call(t, srv, "GET", tt.path, "")
		if _, ok := r.body[tt.key].([]any); r.status != 200 || !ok {
			t.Errorf("GET %s: got %d %v; want 200 with a %s list", tt.path, r.status, r.body, tt.key)
		}
	}
	if r := call(t, srv, "GET", "/healthz", ""); r.status != 200 || r.body["leader"] != true {
		t.Errorf("healthz: got %d %v; want 200 leader", r.status, r.body)
	}
}

// TestHTTPAPIRunsJob submits through the API and polls until a worker has
// finished the job.
func TestHTTPAPIRunsJob(t *testing.T) {
	c, srv := startAPI(t)
	c.startWorker(t, "w1", 2, c.bucket, c.addr)
	c.waitWorkers(t, "w1")
	if r := call(t, srv, "POST", "/v1/jobs", `{"id":"run1","spec":`+e2eSpec+`}`); r.status != 201 {
		t.Fatalf("submit: got %d %v; want 201", r.status, r.body)
	}
	deadline := time.Now().Add(45 * time.Second)
	for {
		r := call(t, srv, "GET", "/v1/jobs/run1", "")
		if r.body["state"] == "succeeded" {
			if r.body["result_key"] == nil {
				t.Errorf("succeeded job: got %v; want a result_key", r.body)
			}
			break
		}
		if s := r.body["state"]; s == "failed" || s == "cancelled" || time.Now().After(deadline) {
			t.Fatalf("job run1: got %v; want succeeded", r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := call(t, srv, "GET", "/v1/workers", "")
	if ws, _ := r.body["workers"].([]any); len(ws) != 1 {
		t.Errorf("workers: got %v; want w1", r.body)
	}
}

// followerAPI is a JobAPI of a follower.
type followerAPI struct{ coordinator.JobAPI }

func (followerAPI) Leader() (bool, string, string) { return false, "n2", "127.0.0.1:9" }

// TestHTTPAPIFollower checks that a follower answers 503 naming the leader.
func TestHTTPAPIFollower(t *testing.T) {
	srv := httptest.NewServer(coordinator.NewHTTPHandler(followerAPI{}, nil))
	defer srv.Close()
	for _, p := range []string{"/v1/jobs", "/v1/jobs/x", "/v1/workers"} {
		r := call(t, srv, "GET", p, "")
		if r.status != 503 || r.code() != "not_leader" || r.body["leader"] != "n2@127.0.0.1:9" {
			t.Errorf("GET %s: got %d %v; want 503 not_leader with leader n2", p, r.status, r.body)
		}
	}
}

// TestServeHTTPAPIShutdown checks that ServeHTTPAPI serves and returns nil
// once its context ends.
func TestServeHTTPAPIShutdown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- coordinator.ServeHTTPAPI(ctx, lis, coordinator.NewHTTPHandler(followerAPI{}, nil)) }()
	resp, err := http.Get("http://" + lis.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: got %d; want 200", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeHTTPAPI: got %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeHTTPAPI did not return after cancel")
	}
}
