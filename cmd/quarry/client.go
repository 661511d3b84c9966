package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/bearer"
)

// clientFlags locate the coordinators a client command talks to.
type clientFlags struct {
	addrs   string
	timeout time.Duration
	tls     tlsFlags
	token   tokenFlags
}

func (f *clientFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.addrs, "coordinator", envOr("QUARRY_COORDINATOR", "127.0.0.1:7701"),
		"coordinators' gRPC addresses, comma-separated; any replica will do, followers name the leader (env QUARRY_COORDINATOR)")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to keep trying while no leader answers")
	f.tls.register(fs)
	f.token.register(fs)
}

// jobClient calls the JobService of whichever replica leads: it follows a
// follower's answer to the leader it names, tries the next address when
// one is unreachable, and keeps trying (an election takes a moment) until
// its timeout.
type jobClient struct {
	addrs   []string
	timeout time.Duration
	dial    []grpc.DialOption
	conns   map[string]*grpc.ClientConn
	current string // the last address that answered as leader
}

// client returns the jobClient of the flags; close it when done.
func (f *clientFlags) client() (*jobClient, error) {
	addrs := splitList(f.addrs)
	if len(addrs) == 0 {
		return nil, usagef("--coordinator: no address")
	}
	tc, err := f.tls.client()
	if err != nil {
		return nil, err
	}
	creds := insecure.NewCredentials()
	if tc != nil {
		creds = credentials.NewTLS(tc)
	}
	dial := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if tok := f.token.value(); tok != "" {
		dial = append(dial, grpc.WithPerRPCCredentials(bearer.Token(tok)))
	}
	return &jobClient{addrs: addrs, timeout: f.timeout, dial: dial, conns: map[string]*grpc.ClientConn{}}, nil
}

func (c *jobClient) close() {
	for _, conn := range c.conns {
		conn.Close()
	}
}

func (c *jobClient) conn(addr string) (quarryv1.JobServiceClient, error) {
	conn, ok := c.conns[addr]
	if !ok {
		var err error
		conn, err = grpc.NewClient(addr, c.dial...)
		if err != nil {
			return nil, fmt.Errorf("coordinator %s: %w", addr, err)
		}
		c.conns[addr] = conn
	}
	return quarryv1.NewJobServiceClient(conn), nil
}

// leaderHint returns the leader's address named by a follower's answer.
func leaderHint(err error) (string, bool) {
	st := status.Convert(err)
	if st.Code() != codes.FailedPrecondition {
		return "", false
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.Reason == coordinator.NotLeaderReason {
			return info.Metadata["leader_addr"], true
		}
	}
	return "", false
}

// retryable reports whether err means "ask again, maybe elsewhere".
func retryable(err error) bool {
	if _, ok := leaderHint(err); ok {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// call runs the unary call fn against the leader. fn must be safe to
// repeat (submissions carry a request id for that).
func (c *jobClient) call(ctx context.Context, fn func(context.Context, quarryv1.JobServiceClient) error) error {
	return c.run(ctx, func(ctx context.Context, cli quarryv1.JobServiceClient, _ func()) error {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return fn(actx, cli)
	})
}

// run runs fn against the leader, again elsewhere while it fails with a
// retryable error, until c.timeout passes without fn calling progress (a
// stream calls it on every message, so a long watch survives a leader
// change).
func (c *jobClient) run(ctx context.Context, fn func(ctx context.Context, cli quarryv1.JobServiceClient, progress func()) error) error {
	deadline := time.Now().Add(c.timeout)
	progress := func() { deadline = time.Now().Add(c.timeout) }
	next, hops := 0, 0
	addr := c.current
	if addr == "" {
		addr = c.addrs[0]
	}
	for pause := 20 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		cli, err := c.conn(addr)
		if err != nil {
			return err
		}
		err = fn(ctx, cli, progress)
		if err == nil {
			c.current = addr
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return clientError(err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no coordinator leads (tried %s): %w", strings.Join(c.addrs, ", "), clientError(err))
		}
		if hint, ok := leaderHint(err); ok && hint != "" && hint != addr && hops < 3 {
			addr, hops = hint, hops+1
			continue
		}
		hops = 0
		next = (next + 1) % len(c.addrs)
		addr = c.addrs[next]
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// clientError returns a gRPC error as the server's message.
func clientError(err error) error {
	if st, ok := status.FromError(err); ok {
		return errors.New(st.Message())
	}
	return err
}

// unary opens a client of f, makes one call against the leader and
// closes the client.
func unary[T any](ctx context.Context, f *clientFlags, call func(context.Context, quarryv1.JobServiceClient) (T, error)) (T, error) {
	var out T
	c, err := f.client()
	if err != nil {
		return out, err
	}
	defer c.close()
	err = c.call(ctx, func(ctx context.Context, cli quarryv1.JobServiceClient) (err error) {
		out, err = call(ctx, cli)
		return err
	})
	return out, err
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
