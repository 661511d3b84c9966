package coordinator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// submitTarget is a single-node raft store, its driver and both job APIs
// over a bucket holding dataset "r" (the retail sample). The driver does
// not run: submitted jobs stay queued, which is all the request decoders
// need.
type submitTarget struct {
	http http.Handler
	grpc *coordinator.JobServer
}

// startSubmitTarget starts the target for the inputs of one fuzz target;
// it stops when f ends.
func startSubmitTarget(f *testing.F) *submitTarget {
	f.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := testenv.Path(f, "retail-sample.dat")
	b, err := local.New(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { b.Close() })
	src, err := local.New(filepath.Dir(path))
	if err != nil {
		f.Fatal(err)
	}
	defer src.Close()
	_, err = dataset.Import(ctx, b, "r", []dataset.SourceObject{{Bucket: src, Key: filepath.Base(path), URL: path}},
		dataset.Options{Spec: dataset.Spec{Format: format.FormatFIMI, Partitions: 2}, Workers: 1})
	if err != nil {
		f.Fatal(err)
	}
	stores, err := coordinator.LocalCluster(ctx, f.TempDir(), 1, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { stores[0].Close() })
	d := coordinator.NewDriver(stores[0], b, 0)
	return &submitTarget{
		http: coordinator.NewHTTPHandler(coordinator.NewJobAPI(d, stores[0]), nil),
		grpc: coordinator.NewJobServer(stores[0], d, b),
	}
}

// submitSeeds are job specs of every type, valid and not.
var submitSeeds = []string{
	e2eSpec,
	`{"type":"sequences","dataset":"r","sequences":{"min_support":0.05,"max_gap":3,"time_unit":"week"}}`,
	`{"type":"segments","dataset":"r","segments":{"k":3,"tol":-1}}`,
	`{"type":"model","dataset":"r","model":{"rules_job":"x"}}`,
	`{"type":"import","dataset":"r2","import":{"sources":["../etc/passwd"],"partitions":5000}}`,
	`{"type":"itemsets","dataset":"nope","itemsets":{"min_support":1e308}}`,
	`{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.5},"sequences":{"min_support":1}}`,
	`null`, `[]`, `"x"`, `{"type":1}`, `{}`,
}

// FuzzHTTPSubmit posts fuzzed bodies to POST /v1/jobs: the answer is 201
// or a 4xx JSON error with a code and a message, never 5xx or a panic.
func FuzzHTTPSubmit(f *testing.F) {
	for _, s := range submitSeeds {
		f.Add(`{"spec":` + s + `}`)
		f.Add(`{"id":"fz-1","spec":` + s + `,"priority":-7}`)
	}
	f.Add(`{"spec":{}} trailing`)
	f.Add(`{"id":"../x","spec":{}}`)
	f.Add(`{"spec":` + e2eSpec + `,"extra":1}`)
	f.Add(strings.Repeat("[", 100000))
	tgt := startSubmitTarget(f)
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		tgt.http.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(body)))
		res := rec.Result()
		data, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 || (res.StatusCode != http.StatusCreated && res.StatusCode < 400) {
			t.Fatalf("POST /v1/jobs %q: got status %d (%s); want 201 or 4xx", body, res.StatusCode, data)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("got content type %q; want application/json", ct)
		}
		var reply struct {
			Error *struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(data, &reply); err != nil {
			t.Fatalf("got body %q; want JSON: %v", data, err)
		}
		if res.StatusCode >= 400 && (reply.Error == nil || reply.Error.Code == "" || reply.Error.Message == "") {
			t.Fatalf("got error body %q; want a code and a message", data)
		}
	})
}

// FuzzGRPCSubmit calls JobService.SubmitJob with a fuzzed spec, type and
// dataset: the answer is a status or an InvalidArgument, NotFound or
// FailedPrecondition error, never Internal or Unknown, and never a panic.
func FuzzGRPCSubmit(f *testing.F) {
	for _, s := range submitSeeds {
		f.Add([]byte(s), int32(0), "")
		f.Add([]byte(s), int32(quarryv1.JobType_JOB_TYPE_RULES), "r")
	}
	f.Add([]byte(nil), int32(quarryv1.JobType_JOB_TYPE_ITEMSETS), "r")
	f.Add([]byte(`{"type":"sequences"}`), int32(quarryv1.JobType_JOB_TYPE_ITEMSETS), "r")
	f.Add([]byte(`{"dataset":7}`), int32(99), "r")
	tgt := startSubmitTarget(f)
	f.Fuzz(func(t *testing.T, spec []byte, typ int32, ds string) {
		req := &quarryv1.SubmitJobRequest{Spec: spec, Type: quarryv1.JobType(typ), Dataset: ds}
		st, err := tgt.grpc.SubmitJob(context.Background(), req)
		if err == nil {
			if st.GetJobId() == "" {
				t.Fatalf("SubmitJob(%q, %d, %q): got a status without a job id", spec, typ, ds)
			}
			return
		}
		switch c := status.Code(err); c {
		case codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition:
		default:
			t.Fatalf("SubmitJob(%q, %d, %q): got %v (%v); want InvalidArgument, NotFound or FailedPrecondition", spec, typ, ds, c, err)
		}
	})
}
