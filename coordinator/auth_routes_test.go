package coordinator_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
)

// callers are the identities every route is called with: a token of each
// role, no token and a wrong one.
var callers = []struct{ name, token string }{
	{"analyst", tokAnalyst}, {"ops", tokOps}, {"reader", tokReader}, {"worker", tokWorker}, {"admin", tokAdmin},
	{"none", ""}, {"wrong", tokWrong},
}

// Expected outcomes of a call.
const (
	allowed   = "allowed"
	denied    = "denied"    // 403, PermissionDenied
	unauthent = "unauthent" // 401, Unauthenticated
)

// want returns the expected outcome of caller on a route the roles in
// allow may call ("*": anyone, even without a token).
func want(caller, allow string) string {
	switch {
	case allow == "*":
		return allowed
	case caller == "none" || caller == "wrong":
		return unauthent
	case caller == "admin" || strings.Contains(","+allow+",", ","+caller+","):
		return allowed
	}
	return denied
}

// grpcRoleTable is who may call each gRPC method, by full name: the role
// table of docs/security.md. Admin may call everything.
var grpcRoleTable = map[string]string{
	"/quarry.v1.JobService/SubmitJob":        "analyst",
	"/quarry.v1.JobService/CancelJob":        "analyst",
	"/quarry.v1.JobService/GetJob":           "analyst,ops",
	"/quarry.v1.JobService/ListJobs":         "analyst,ops",
	"/quarry.v1.JobService/WatchJob":         "analyst,ops",
	"/quarry.v1.JobService/ListDatasets":     "analyst",
	"/quarry.v1.JobService/ListWorkers":      "ops",
	"/quarry.v1.WorkerService/PullTasks":     "worker",
	"/quarry.v1.WorkerService/ReportAttempt": "worker",
	"/quarry.v1.WorkerService/Heartbeat":     "worker",
	"/grpc.health.v1.Health/Check":           "*",
	"/grpc.health.v1.Health/Watch":           "*",
	"/grpc.health.v1.Health/List":            "*",
}

// TestGRPCRouteWalk calls every method of every service the coordinator
// registers, enumerated from the service descriptors, with every caller,
// through the real interceptors, and checks the outcome against
// grpcRoleTable. A new method without a row fails here.
func TestGRPCRouteWalk(t *testing.T) {
	srv := grpc.NewServer(coordinator.AuthServerOptions(testTokens(t), nil)...)
	quarryv1.RegisterJobServiceServer(srv, quarryv1.UnimplementedJobServiceServer{})
	quarryv1.RegisterWorkerServiceServer(srv, quarryv1.UnimplementedWorkerServiceServer{})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn := dial(t, lis.Addr().String())

	seen := 0
	for svc, info := range srv.GetServiceInfo() {
		for _, m := range info.Methods {
			full := "/" + svc + "/" + m.Name
			allow, ok := grpcRoleTable[full]
			if !ok {
				t.Errorf("method %s: no row in the role table; add one (and to the coordinator's)", full)
				continue
			}
			seen++
			for _, c := range callers {
				t.Run(full+"/"+c.name, func(t *testing.T) {
					code := invoke(t, conn, full, m.IsServerStream || m.IsClientStream, c.token)
					if got, want := outcome(code), want(c.name, allow); got != want {
						t.Errorf("got %s (%s); want %s", got, code, want)
					}
				})
			}
		}
	}
	if seen != len(grpcRoleTable) {
		t.Errorf("walked %d methods; want the %d of the role table", seen, len(grpcRoleTable))
	}
	for _, sd := range []grpc.ServiceDesc{quarryv1.JobService_ServiceDesc, quarryv1.WorkerService_ServiceDesc} {
		if _, ok := srv.GetServiceInfo()[sd.ServiceName]; !ok {
			t.Errorf("service %s not walked", sd.ServiceName)
		}
	}
}

// invoke calls method with an empty request and token, and returns the
// status code of its answer.
func invoke(t *testing.T, conn *grpc.ClientConn, method string, stream bool, token string) codes.Code {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	if !stream {
		return status.Code(conn.Invoke(ctx, method, &emptypb.Empty{}, &emptypb.Empty{}))
	}
	s, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		return status.Code(err)
	}
	if err := s.SendMsg(&emptypb.Empty{}); err != nil {
		return status.Code(err)
	}
	if err := s.CloseSend(); err != nil {
		return status.Code(err)
	}
	return status.Code(s.RecvMsg(&emptypb.Empty{}))
}

// outcome classifies a status code: anything past the auth check (the
// stub's Unimplemented, the health service's answers) is allowed.
func outcome(code codes.Code) string {
	switch code {
	case codes.Unauthenticated:
		return unauthent
	case codes.PermissionDenied:
		return denied
	}
	return allowed
}

// httpRoleTable is who may call each HTTP route, by pattern.
var httpRoleTable = map[string]string{
	"GET /healthz":         "*",
	"GET /metrics":         "*",
	"POST /v1/jobs":        "analyst",
	"GET /v1/jobs":         "analyst,ops",
	"GET /v1/jobs/{id}":    "analyst,ops",
	"DELETE /v1/jobs/{id}": "analyst",
	"GET /v1/datasets":     "analyst",
	"GET /v1/workers":      "ops",
}

// TestHTTPRouteWalk calls every route the HTTP API registers (from the
// list it registers them from) with every caller and checks the outcome
// against httpRoleTable.
func TestHTTPRouteWalk(t *testing.T) {
	opts := coordinator.HTTPOptions{Tokens: testTokens(t), Metrics: http.NotFoundHandler()}
	srv := httptest.NewServer(coordinator.NewHTTPHandlerWith(leaderAPI{}, opts))
	t.Cleanup(srv.Close)
	routes := coordinator.HTTPRoutes(opts)
	if len(routes) != len(httpRoleTable) {
		t.Errorf("the API registers %d routes; the role table has %d", len(routes), len(httpRoleTable))
	}
	for _, r := range routes {
		allow, ok := httpRoleTable[r.Pattern]
		if !ok {
			t.Errorf("route %s: no row in the role table; add one", r.Pattern)
			continue
		}
		method, path, _ := strings.Cut(r.Pattern, " ")
		path = strings.ReplaceAll(path, "{id}", "job-1")
		for _, c := range callers {
			t.Run(r.Pattern+"/"+c.name, func(t *testing.T) {
				req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(`{"spec":{}}`))
				if err != nil {
					t.Fatal(err)
				}
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got := allowed
				switch resp.StatusCode {
				case http.StatusUnauthorized:
					got = unauthent
					if resp.Header.Get("WWW-Authenticate") == "" {
						t.Error("401 without a WWW-Authenticate challenge")
					}
				case http.StatusForbidden:
					got = denied
				}
				if w := want(c.name, allow); got != w {
					t.Errorf("got %s (%d); want %s", got, resp.StatusCode, w)
				}
			})
		}
	}
}

// leaderAPI is a JobAPI that leads, holds nothing and accepts nothing.
type leaderAPI struct{}

func (leaderAPI) Submit(context.Context, string, []byte, int) error {
	return coordinator.ErrInvalidCommand
}
func (leaderAPI) Job(string) (*coordinator.Job, bool)          { return nil, false }
func (leaderAPI) Jobs() []*coordinator.Job                     { return nil }
func (leaderAPI) Cancel(context.Context, string, string) error { return coordinator.ErrUnknownJob }
func (leaderAPI) Datasets() []coordinator.Dataset              { return nil }
func (leaderAPI) Workers() []coordinator.Worker                { return nil }
func (leaderAPI) Leader() (bool, string, string)               { return true, "c0", "127.0.0.1:1" }
