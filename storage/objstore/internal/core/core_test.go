package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"syscall"
	"testing"
	"time"
)

func TestValidateKey(t *testing.T) {
	good := []string{"a", "a/b", "a.b/c-d_e", "x/.hidden", "a/..b", "ü/ñ", "a b"}
	bad := []string{"", "/a", "a/", "a//b", ".", "..", "a/../b", "a/./b", "../a", "a\\b", "a\x00b", "a\nb", TempMarker + "x", "d/" + TempMarker + "y"}
	for _, k := range good {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q): got %v; want nil", k, err)
		}
	}
	for _, k := range bad {
		if err := ValidateKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q): got %v; want ErrInvalidKey", k, err)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, Initial: 10 * time.Millisecond, Max: 80 * time.Millisecond}
	for attempt := 1; attempt <= 10; attempt++ {
		limit := min(p.Initial<<(attempt-1), p.Max)
		for range 200 {
			if d := p.Backoff(attempt); d < 0 || d > limit {
				t.Fatalf("Backoff(%d) = %v; want within [0, %v]", attempt, d, limit)
			}
		}
	}
}

func TestDo(t *testing.T) {
	transient := errors.New("transient")
	final := errors.New("final")
	isT := func(err error) bool { return errors.Is(err, transient) }
	p := RetryPolicy{MaxAttempts: 3, Initial: time.Microsecond, Max: time.Microsecond}
	tests := []struct {
		name  string
		errs  []error
		want  error
		calls int
	}{
		{"success", []error{nil}, nil, 1},
		{"retried then success", []error{transient, transient, nil}, nil, 3},
		{"bounded", []error{transient, transient, transient, nil}, transient, 3},
		{"final not retried", []error{final, nil}, final, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := p.Do(context.Background(), isT, func(int) error {
				calls++
				return tc.errs[calls-1]
			})
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) || calls != tc.calls {
				t.Errorf("got %v after %d calls; want %v after %d", err, calls, tc.want, tc.calls)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	slow := RetryPolicy{MaxAttempts: 5, Initial: time.Hour, Max: time.Hour}
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if err := slow.Do(ctx, isT, func(int) error { return transient }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancel during back-off: got %v; want context.Canceled", err)
	}
}

func TestIsTransientNetError(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{syscall.ECONNRESET, true},
		{syscall.ECONNREFUSED, true},
		{io.ErrUnexpectedEOF, true},
		{&url.Error{Op: "Get", URL: "http://x", Err: io.EOF}, true},
		{&url.Error{Op: "Get", URL: "http://x", Err: context.Canceled}, false},
		{errors.New("access denied"), false},
	}
	for _, tc := range tests {
		if got := IsTransientNetError(tc.err); got != tc.want {
			t.Errorf("IsTransientNetError(%v): got %v; want %v", tc.err, got, tc.want)
		}
	}
}
