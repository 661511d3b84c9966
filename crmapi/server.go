package crmapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/quarrydata/quarry/internal/httpserve"
	"github.com/quarrydata/quarry/storage/objstore"
)

// ErrNoPrevious is returned by Rollback when there is no previous model.
var ErrNoPrevious = errors.New("no previous model")

// Config tunes a Server.
type Config struct {
	// MaxBodyBytes bounds request bodies (413 beyond).
	MaxBodyBytes int64
	// MaxK is the largest k a recommendation request may ask for.
	MaxK int
	// PageSize and MaxPageSize are the default and largest page of segment
	// customers.
	PageSize, MaxPageSize int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// http.Server's; ShutdownTimeout bounds a graceful shutdown.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration

	// Tokens are the bearer tokens accepted; nil turns authentication off
	// (every route open, no rate limit: for tests and in-process use).
	Tokens *Tokens
	// RequestTimeout bounds the handling of an authenticated route's
	// request (503 timeout beyond); 0 (the default): no bound of its own.
	// The handlers answer from memory, and WriteTimeout already bounds a
	// whole exchange; the bound runs each request on a second goroutine
	// (http.TimeoutHandler), which measured 25% of a lookup's time.
	RequestTimeout time.Duration
	// RateLimit is the requests per second each token may make, in a
	// token bucket of RateBurst requests (429 beyond); 0: no limit.
	RateLimit float64
	RateBurst int
	// TLSCert and TLSKey, both or neither, are the PEM files of the
	// certificate (chain) and key Serve serves HTTPS with.
	TLSCert, TLSKey string
}

// DefaultConfig returns the defaults: 64 KiB bodies, k ≤ 100, pages of 100
// (at most 1000) customers, timeouts of 5 s (headers), 10 s (read), 10 s
// (write), 60 s (idle), 5 s per request and 5 s for shutdown, 500
// requests/s per token in bursts of up to 1000, no tokens (authentication
// off) and no TLS.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 64 << 10, MaxK: 100, PageSize: 100, MaxPageSize: 1000,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		IdleTimeout: 60 * time.Second, ShutdownTimeout: 5 * time.Second,
		RateLimit: 500, RateBurst: 1000}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.MaxBodyBytes < 1:
		return fmt.Errorf("crmapi: max body bytes %d must be positive", c.MaxBodyBytes)
	case c.MaxK < 1:
		return fmt.Errorf("crmapi: max k %d must be positive", c.MaxK)
	case c.PageSize < 1 || c.MaxPageSize < c.PageSize:
		return fmt.Errorf("crmapi: page size %d must be within [1, max page size %d]", c.PageSize, c.MaxPageSize)
	case c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0 || c.ShutdownTimeout <= 0:
		return errors.New("crmapi: timeouts must be positive")
	case c.RequestTimeout < 0:
		return fmt.Errorf("crmapi: request timeout %s must not be negative", c.RequestTimeout)
	case c.RateLimit < 0 || math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0):
		return fmt.Errorf("crmapi: rate limit %g must be a non-negative number", c.RateLimit)
	case c.RateLimit > 0 && c.RateBurst < 1:
		return fmt.Errorf("crmapi: rate burst %d must be positive with a rate limit", c.RateBurst)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("crmapi: TLS needs both a certificate and a key file")
	}
	return nil
}

// Server serves the current model. The zero model state answers /readyz
// with 503 and every /v1 route with 503 not_ready.
type Server struct {
	cfg Config
	log *slog.Logger
	cur atomic.Pointer[Model]

	mu   sync.Mutex // serialises Swap and Rollback
	prev *Model

	mux      *http.ServeMux
	handler  http.Handler // mux, instrumented
	metrics  *Metrics
	tokens   *Tokens
	limiters []*rate.Limiter // by token
}

// NewServer returns a Server without a model.
func NewServer(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log.With("component", "crmapi"), tokens: cfg.Tokens,
		limiters: newLimiters(cfg.Tokens, cfg.RateLimit, cfg.RateBurst), metrics: NewMetrics()}
	s.mux = s.routes()
	s.handler = s.metrics.Instrument(s.mux)
	if s.tokens == nil {
		s.log.Warn("authentication off: every route is open to anyone who can connect")
	} else {
		s.log.Info("authentication on", "tokens", s.tokens, "rate_limit", cfg.RateLimit, "rate_burst", cfg.RateBurst)
	}
	return s, nil
}

// Model returns the current model, or nil.
func (s *Server) Model() *Model { return s.cur.Load() }

// Swap makes m the current model and the current one the previous. A nil
// m is ignored. Requests in flight finish on the model they started with.
func (s *Server) Swap(m *Model) {
	if m == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.cur.Swap(m); old != nil {
		s.prev = old
	}
	s.metrics.modelChanged("swap", m.Version, time.Now())
	s.log.Info("model swapped in", "dataset", m.Dataset, "version", m.Version, "rules", len(m.rules), "customers", len(m.customers))
}

// Rollback makes the previous model current again (and the current one
// the previous, so a second Rollback undoes the first). It returns the
// model now current, or ErrNoPrevious.
func (s *Server) Rollback() (*Model, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prev == nil {
		return nil, ErrNoPrevious
	}
	p := s.prev
	s.prev = s.cur.Swap(p)
	s.metrics.modelChanged("rollback", p.Version, time.Now())
	s.log.Info("model rolled back", "dataset", p.Dataset, "version", p.Version)
	return p, nil
}

// LoadAndSwap loads a model version with Load and swaps it in; a model
// that fails to load is refused and the current one keeps serving. It is
// what a watcher of the current-version key calls.
func (s *Server) LoadAndSwap(ctx context.Context, b objstore.Bucket, dataset string, version int) (*Model, error) {
	start := time.Now()
	m, err := Load(ctx, b, dataset, version)
	s.metrics.modelLoaded(time.Since(start), err)
	if err != nil {
		s.log.Error("model refused", "dataset", dataset, "version", version, "err", err)
		return nil, err
	}
	s.Swap(m)
	return m, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Serve serves the API on lis until ctx ends, then shuts down gracefully
// within Config.ShutdownTimeout. It serves HTTPS when Config.TLSCert and
// Config.TLSKey are set, failing at once if they do not load. A client
// that has not sent its whole header within Config.ReadHeaderTimeout is
// disconnected.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	tc, err := s.cfg.tlsConfig()
	if err != nil {
		lis.Close()
		return err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tc,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelInfo),
	}
	return httpserve.Serve(ctx, srv, lis, s.cfg.ShutdownTimeout, "crmapi")
}
