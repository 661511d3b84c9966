package testenv

import (
	"fmt"
	"net"
	"testing"
)

// FreeAddrs returns n distinct loopback addresses ("127.0.0.1:port") whose
// ports were free a moment ago. It holds every listener until all n are
// picked, so that the kernel cannot hand the same port out twice; another
// process may still take one before the caller binds it.
func FreeAddrs(n int) ([]string, error) {
	out := make([]string, 0, n)
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		held = append(held, l)
		out = append(out, l.Addr().String())
	}
	return out, nil
}

// MustFreeAddrs is FreeAddrs failing t on error.
func MustFreeAddrs(t testing.TB, n int) []string {
	t.Helper()
	addrs, err := FreeAddrs(n)
	if err != nil {
		t.Fatal(err)
	}
	return addrs
}
