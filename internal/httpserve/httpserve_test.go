package httpserve

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestServe serves a handler, answers a request, and returns nil once the
// context ends.
func TestServe(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })}
	go func() { done <- Serve(ctx, srv, lis, time.Second, "test") }()
	res, err := http.Get("http://" + lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "ok" {
		t.Errorf("body: got %q; want ok", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: got %v; want nil", err)
	}
}

// TestServeClosedListener reports a listener that fails at once.
func TestServeClosedListener(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis.Close()
	if err := Serve(context.Background(), &http.Server{}, lis, time.Second, "test"); err == nil {
		t.Error("Serve on a closed listener: got nil; want an error")
	}
}
