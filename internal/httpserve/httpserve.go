// Package httpserve runs an http.Server for the life of a context: every
// Quarry HTTP listener (the coordinator's job API, a worker's metrics, the
// CRM API) serves and shuts down the same way.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serve serves srv on lis until ctx ends, then shuts it down gracefully,
// giving requests in flight up to grace. With srv.TLSConfig set it serves
// TLS with that configuration's certificates. It returns nil after a
// clean shutdown; errors are prefixed with name.
func Serve(ctx context.Context, srv *http.Server, lis net.Listener, grace time.Duration, name string) error {
	served := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			served <- srv.ServeTLS(lis, "", "")
			return
		}
		served <- srv.Serve(lis)
	}()
	select {
	case err := <-served:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("%s shutdown: %w", name, err)
	}
	return nil
}
