package worker

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/quarrydata/quarry/internal/httpserve"
)

// DefaultMetricsAddr is where `quarry worker` serves its metrics unless
// told otherwise (--metrics-addr, QUARRY_METRICS_ADDR; empty disables).
const DefaultMetricsAddr = "127.0.0.1:7703"

// MetricsHandler returns the worker's metrics endpoint: GET /metrics, and
// 404 for every other path.
func MetricsHandler(m *Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// ServeMetrics serves MetricsHandler(m) on lis until ctx ends, then shuts
// the server down gracefully (at most 5 s for scrapes in flight). It
// returns nil after a clean shutdown. The server has read, write and idle
// timeouts, so a stuck scraper cannot hold a connection forever.
func ServeMetrics(ctx context.Context, lis net.Listener, m *Metrics) error {
	srv := &http.Server{
		Handler:           MetricsHandler(m),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	return httpserve.Serve(ctx, srv, lis, 5*time.Second, "metrics server")
}
