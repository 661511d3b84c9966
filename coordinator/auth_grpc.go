package coordinator

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/bearer"
)

// grpcPermissions is what each gRPC method needs, by full method name.
// A method missing here needs permDenied: nobody may call it while
// authentication is on (deny by default). The route-walk test fails for
// a method of the services' descriptors that this table lacks.
var grpcPermissions = map[string]Permission{
	method(quarryv1.JobService_ServiceDesc, "SubmitJob"):    PermSubmitJobs,
	method(quarryv1.JobService_ServiceDesc, "CancelJob"):    PermSubmitJobs,
	method(quarryv1.JobService_ServiceDesc, "GetJob"):       PermReadJobs,
	method(quarryv1.JobService_ServiceDesc, "ListJobs"):     PermReadJobs,
	method(quarryv1.JobService_ServiceDesc, "WatchJob"):     PermReadJobs,
	method(quarryv1.JobService_ServiceDesc, "ListDatasets"): PermReadDatasets,
	method(quarryv1.JobService_ServiceDesc, "ListWorkers"):  PermReadWorkers,

	method(quarryv1.WorkerService_ServiceDesc, "PullTasks"):     PermWorker,
	method(quarryv1.WorkerService_ServiceDesc, "ReportAttempt"): PermWorker,
	method(quarryv1.WorkerService_ServiceDesc, "Heartbeat"):     PermWorker,
}

// openGRPCServices are the services every caller may use: the standard
// health service, which load balancers and `grpc_health_probe` call.
var openGRPCServices = []string{healthpb.Health_ServiceDesc.ServiceName}

// method returns the full method name of method name of service sd.
func method(sd grpc.ServiceDesc, name string) string { return "/" + sd.ServiceName + "/" + name }

// GRPCPermission returns the permission the gRPC method fullMethod
// ("/package.Service/Method") needs: PermOpen for the health service, the
// table's entry for the Quarry services, and, for anything else, a
// permission no role has.
func GRPCPermission(fullMethod string) Permission {
	if p, ok := grpcPermissions[fullMethod]; ok {
		return p
	}
	for _, s := range openGRPCServices {
		if strings.HasPrefix(fullMethod, "/"+s+"/") {
			return PermOpen
		}
	}
	return permDenied
}

// grpcAuth checks the bearer token of a gRPC call.
type grpcAuth struct {
	tokens *Tokens
	log    *slog.Logger
}

// AuthServerOptions returns the interceptors that check every gRPC call's
// bearer token (metadata "authorization: Bearer <token>") against tokens
// by GRPCPermission: Unauthenticated without a known token,
// PermissionDenied when its roles lack the permission. With tokens nil it
// returns no option (authentication off).
func AuthServerOptions(tokens *Tokens, log *slog.Logger) []grpc.ServerOption {
	if tokens == nil {
		return nil
	}
	if log == nil {
		log = slog.Default()
	}
	a := &grpcAuth{tokens: tokens, log: log.With("component", "auth")}
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(a.unary), grpc.ChainStreamInterceptor(a.stream)}
}

// check authorizes the call of fullMethod carrying ctx's metadata.
func (a *grpcAuth) check(ctx context.Context, fullMethod string) error {
	header := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(bearer.MetadataKey); len(v) > 0 {
			header = v[0]
		}
	}
	name, err := a.tokens.Authorize(header, GRPCPermission(fullMethod))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrForbidden):
		a.log.Info("call refused", "method", fullMethod, "token", name, "err", err)
		return status.Error(codes.PermissionDenied, err.Error())
	default:
		a.log.Debug("call refused", "method", fullMethod, "err", err)
		return status.Error(codes.Unauthenticated, err.Error())
	}
}

func (a *grpcAuth) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (a *grpcAuth) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := a.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}
