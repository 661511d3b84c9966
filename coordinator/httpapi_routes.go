package coordinator

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
)

// HTTPOptions are the options of NewHTTPHandlerWith.
type HTTPOptions struct {
	// Logger receives the API's logs (default slog.Default()).
	Logger *slog.Logger
	// Tokens, when set, are checked on every route by HTTPRoutes'
	// permissions (401 without a known token, 403 when its roles lack the
	// permission); nil turns authentication off.
	Tokens *Tokens
	// Metrics, when set, is served at GET /metrics, open.
	Metrics http.Handler
}

// Route is one route of the HTTP API: its pattern (method and path, as
// http.ServeMux takes it) and the permission it needs.
type Route struct {
	Pattern    string
	Permission Permission
}

// httpRoute is a Route with its handler.
type httpRoute struct {
	Route
	h http.Handler
}

// routes returns the API's routes; NewHTTPHandlerWith registers exactly
// these, each behind the auth check of its permission.
func (a *httpAPI) routes() []httpRoute {
	rs := []httpRoute{
		{Route{"GET /healthz", PermOpen}, http.HandlerFunc(a.healthz)},
		{Route{"POST /v1/jobs", PermSubmitJobs}, a.leaderOnly(a.submit)},
		{Route{"GET /v1/jobs", PermReadJobs}, a.leaderOnly(a.list)},
		{Route{"GET /v1/jobs/{id}", PermReadJobs}, a.leaderOnly(a.get)},
		{Route{"DELETE /v1/jobs/{id}", PermSubmitJobs}, a.leaderOnly(a.cancel)},
		{Route{"GET /v1/datasets", PermReadDatasets}, a.leaderOnly(a.datasets)},
		{Route{"GET /v1/workers", PermReadWorkers}, a.leaderOnly(a.workers)},
	}
	if a.opts.Metrics != nil {
		rs = append(rs, httpRoute{Route{"GET /metrics", PermOpen}, a.opts.Metrics})
	}
	return rs
}

// HTTPRoutes returns the routes NewHTTPHandlerWith(_, opts) serves, with
// the permission each needs. Any other path answers 404, open: it
// reveals no data.
func HTTPRoutes(opts HTTPOptions) []Route {
	a := &httpAPI{opts: opts}
	var out []Route
	for _, r := range a.routes() {
		out = append(out, r.Route)
	}
	return out
}

// NewHTTPHandler returns the HTTP/JSON job API over core without
// authentication; see NewHTTPHandlerWith.
func NewHTTPHandler(core JobAPI, log *slog.Logger) http.Handler {
	return NewHTTPHandlerWith(core, HTTPOptions{Logger: log})
}

// NewHTTPHandlerWith returns the HTTP/JSON job API over core: POST and GET
// /v1/jobs, GET and DELETE /v1/jobs/{id}, GET /v1/datasets, GET
// /v1/workers, GET /healthz and, with opts.Metrics, GET /metrics. A
// follower answers the /v1 routes with 503 naming the leader. With
// opts.Tokens every route but /healthz and /metrics needs a bearer token
// whose roles grant the route's permission (HTTPRoutes).
func NewHTTPHandlerWith(core JobAPI, opts HTTPOptions) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &httpAPI{core: core, log: opts.Logger.With("component", "httpapi"), opts: opts}
	mux := http.NewServeMux()
	for _, r := range a.routes() {
		mux.Handle(r.Pattern, a.guard(r.Permission, r.h))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// authRealm is the realm of the WWW-Authenticate challenges.
const authRealm = "quarry-coordinator"

// guard wraps the handler of a route needing p: with tokens configured it
// answers 401 (with a WWW-Authenticate challenge) without a known bearer
// token and 403 when the token's roles lack p, naming the token by its
// name, never its secret.
func (a *httpAPI) guard(p Permission, h http.Handler) http.Handler {
	if a.opts.Tokens == nil || p == PermOpen {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, err := a.opts.Tokens.Authorize(r.Header.Get("Authorization"), p)
		switch {
		case err == nil:
			h.ServeHTTP(w, r)
		case errors.Is(err, ErrForbidden):
			a.log.Info("request refused", "method", r.Method, "path", r.URL.Path, "token", name, "err", err)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error="insufficient_scope"`, authRealm))
			a.fail(w, http.StatusForbidden, "forbidden", err.Error())
		default:
			a.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "err", err)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q`, authRealm))
			a.fail(w, http.StatusUnauthorized, "unauthorized", err.Error())
		}
	})
}
