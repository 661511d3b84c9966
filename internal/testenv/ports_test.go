package testenv

import "testing"

func TestFreeAddrsDistinct(t *testing.T) {
	addrs := MustFreeAddrs(t, 64)
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Fatalf("address %s handed out twice in %v", a, addrs)
		}
		seen[a] = true
	}
}
