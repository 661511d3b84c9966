package coordinator_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/storage/objstore"
)

// hostileNames are names that must never become (part of) an object key.
var hostileNames = []struct{ name, value string }{
	{"parent", "../x"},
	{"nested parent", "a/../../b"},
	{"encoded parent", "%2e%2e"},
	{"encoded slash", "a%2f..%2fb"},
	{"absolute", "/etc/passwd"},
	{"slash", "a/b"},
	{"dot dot", ".."},
	{"backslash", `..\x`},
	{"NUL", "a\x00b"},
	{"newline", "a\nb"},
	{"very long", strings.Repeat("a", 4096)},
}

// hostileKeys are object keys (import sources) that would escape the
// store's prefix; "%2e%2e" is not among them: it is a literal key inside
// the prefix, which no backend decodes.
var hostileKeys = []struct{ name, value string }{
	{"parent", "../x"},
	{"nested parent", "a/../../b"},
	{"absolute", "/etc/passwd"},
	{"dot", "./x"},
	{"backslash", `..\x`},
	{"NUL", "a\x00b"},
	{"very long", strings.Repeat("a/", 600) + "x"},
}

// hostileRequest is one way a hostile value reaches the job API: the
// field to name in the refusal, the gRPC call and the HTTP request.
type hostileRequest struct {
	field string
	grpc  func(ctx context.Context, js *coordinator.JobServer, v string) error
	// http returns the method, path and body; "" method: no HTTP route.
	http func(v string) (method, path, body string)
}

func specJSON(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

var hostileRequests = []hostileRequest{
	{"request_id", func(ctx context.Context, js *coordinator.JobServer, v string) error {
		_, err := js.SubmitJob(ctx, &quarryv1.SubmitJobRequest{RequestId: v, Spec: []byte(e2eSpec)})
		return err
	}, func(v string) (string, string, string) {
		return "POST", "/v1/jobs", specJSON(map[string]any{"id": v, "spec": json.RawMessage(e2eSpec)})
	}},
	{"dataset", func(ctx context.Context, js *coordinator.JobServer, v string) error {
		_, err := js.SubmitJob(ctx, &quarryv1.SubmitJobRequest{Dataset: v, Type: quarryv1.JobType_JOB_TYPE_ITEMSETS,
			Spec: []byte(`{"itemsets":{"min_support":0.1}}`)})
		return err
	}, func(v string) (string, string, string) {
		return "POST", "/v1/jobs", specJSON(map[string]any{"spec": map[string]any{"type": "itemsets", "dataset": v, "itemsets": map[string]any{"min_support": 0.1}}})
	}},
	{"model.rules_job", func(ctx context.Context, js *coordinator.JobServer, v string) error {
		_, err := js.SubmitJob(ctx, &quarryv1.SubmitJobRequest{Spec: []byte(specJSON(map[string]any{"type": "model", "dataset": "r", "model": map[string]any{"rules_job": v}}))})
		return err
	}, func(v string) (string, string, string) {
		return "POST", "/v1/jobs", specJSON(map[string]any{"spec": map[string]any{"type": "model", "dataset": "r", "model": map[string]any{"rules_job": v}}})
	}},
	{"job_id", func(ctx context.Context, js *coordinator.JobServer, v string) error {
		_, err := js.GetJob(ctx, &quarryv1.GetJobRequest{JobId: v})
		return err
	}, func(v string) (string, string, string) { return "GET", "/v1/jobs/" + url.PathEscape(v), "" }},
	{"job_id", func(ctx context.Context, js *coordinator.JobServer, v string) error {
		_, err := js.CancelJob(ctx, &quarryv1.CancelJobRequest{JobId: v})
		return err
	}, func(v string) (string, string, string) { return "DELETE", "/v1/jobs/" + url.PathEscape(v), "" }},
	{"job_id", func(ctx context.Context, js *coordinator.JobServer, v string) error {
		return js.WatchJob(&quarryv1.WatchJobRequest{JobId: v}, watchStream{ctx: ctx})
	}, nil},
	{"dataset", func(ctx context.Context, js *coordinator.JobServer, v string) error {
		_, err := js.ListJobs(ctx, &quarryv1.ListJobsRequest{Dataset: v})
		return err
	}, nil},
}

// TestHostileNames sends every hostile name through every entry point of
// the job API, gRPC and HTTP, and checks that each is refused as invalid
// (InvalidArgument, 400) with a message naming the field, and that
// nothing was written outside the store's prefixes.
func TestHostileNames(t *testing.T) {
	c := startCluster(t)
	js := coordinator.NewJobServer(c.store, c.driver, c.bucket)
	srv := httptest.NewServer(coordinator.NewHTTPHandler(coordinator.NewJobAPI(c.driver, c.store), nil))
	t.Cleanup(srv.Close)
	before, err := objstore.List(context.Background(), c.bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range hostileRequests {
		for _, h := range hostileNames {
			t.Run("grpc/"+req.field+"/"+h.name, func(t *testing.T) {
				err := req.grpc(context.Background(), js, h.value)
				st := status.Convert(err)
				if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), req.field) {
					t.Errorf("got %v %.200q; want InvalidArgument naming %s", st.Code(), st.Message(), req.field)
				}
			})
			if req.http == nil {
				continue
			}
			method, path, body := req.http(h.value)
			if strings.Contains(path, "/v1/jobs/") && (h.value == ".." || strings.HasPrefix(h.value, "../") || strings.Contains(h.value, "/")) {
				// ServeMux cleans or splits such paths before any handler:
				// they cannot name a job. Checked below.
				continue
			}
			t.Run("http/"+req.field+"/"+h.name, func(t *testing.T) {
				r := call(t, srv, method, path, body)
				field := req.field
				if strings.HasSuffix(field, "_id") {
					field = "id" // the body's "id", the path's id
				}
				if r.status != 400 || !strings.Contains(r.message(), field) {
					t.Errorf("%s %.80s: got %d %.200q; want 400 naming %s", method, path, r.status, r.message(), field)
				}
			})
		}
	}
	for _, p := range []string{"/v1/jobs/..%2fx", "/v1/jobs/%2e%2e", "/v1/jobs/a%2f..%2f..%2fb"} {
		for _, m := range []string{"GET", "DELETE"} {
			r := call(t, srv, m, p, "")
			if r.status != 400 && r.status != 404 {
				t.Errorf("%s %s: got %d %q; want 400 or 404", m, p, r.status, r.message())
			}
		}
	}
	for _, h := range hostileKeys {
		t.Run("import.sources/"+h.name, func(t *testing.T) {
			spec := specJSON(map[string]any{"type": "import", "dataset": "imp", "import": map[string]any{"sources": []string{h.value}, "format": "fimi"}})
			_, err := js.SubmitJob(context.Background(), &quarryv1.SubmitJobRequest{Spec: []byte(spec)})
			if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "import.sources[0]") {
				t.Errorf("gRPC: got %v %.200q; want InvalidArgument naming import.sources[0]", st.Code(), st.Message())
			}
			r := call(t, srv, "POST", "/v1/jobs", specJSON(map[string]any{"spec": json.RawMessage(spec)}))
			if r.status != 400 || !strings.Contains(r.message(), "import.sources[0]") {
				t.Errorf("HTTP: got %d %.200q; want 400 naming import.sources[0]", r.status, r.message())
			}
		})
	}
	after, err := objstore.List(context.Background(), c.bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("store keys: got %d after the hostile requests; want the %d before", len(after), len(before))
	}
	if jobs := c.store.FSM().Jobs(); len(jobs) != 0 {
		t.Errorf("got %d jobs submitted; want none", len(jobs))
	}
}

// watchStream is a WatchJob server stream that drops what it is sent.
type watchStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s watchStream) Context() context.Context       { return s.ctx }
func (s watchStream) Send(*quarryv1.JobStatus) error { return nil }
