package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCertsCommands makes a CA and certificates with quarry certs and
// checks the files, their modes and the refusals.
func TestCertsCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	mustRun(t, "certs", "init", "--dir", dir)
	out := mustRun(t, "certs", "issue", "--dir", dir, "--name", "c1", "--ip", "127.0.0.1", "--dns", "localhost")
	if !strings.Contains(out, filepath.Join(dir, "c1.pem")) {
		t.Errorf("issue: got %q; want it to name c1.pem", out)
	}
	for name, mode := range map[string]os.FileMode{"ca.pem": 0o644, "ca-key.pem": 0o600, "c1.pem": 0o644, "c1-key.pem": 0o600} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: got mode %v; want %v", name, st.Mode().Perm(), mode)
		}
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"init twice", []string{"certs", "init", "--dir", dir}, "already exists"},
		{"issue twice", []string{"certs", "issue", "--dir", dir, "--name", "c1"}, "already exists"},
		{"bad ip", []string{"certs", "issue", "--dir", dir, "--name", "c2", "--ip", "nope"}, `--ip "nope"`},
		{"no CA", []string{"certs", "issue", "--dir", t.TempDir(), "--name", "c3"}, "ca.pem"},
		{"hostile name", []string{"certs", "issue", "--dir", dir, "--name", "../c4"}, `name "../c4"`},
		{"partial TLS flags", []string{"jobs", "ls", "--tls-cert", filepath.Join(dir, "c1.pem")}, "--tls-cert, --tls-key and --tls-ca together"},
		{"missing key file", []string{"jobs", "ls", "--tls-cert", filepath.Join(dir, "c1.pem"), "--tls-key", filepath.Join(dir, "nope.pem"), "--tls-ca", filepath.Join(dir, "ca.pem")}, filepath.Join(dir, "nope.pem")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runOut(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error with %q", err, tt.want)
			}
		})
	}
}

// TestSubmitRefusesHostileNames checks that quarry submit refuses names
// that could escape their object-key prefix before dialling anyone.
func TestSubmitRefusesHostileNames(t *testing.T) {
	hostile := []string{"../x", "a/../../b", "%2e%2e", "/etc/passwd", "a\x00b", "..", strings.Repeat("a", 4096)}
	for _, v := range hostile {
		for _, flag := range []string{"--dataset", "--id"} {
			t.Run(flag+"/"+v[:min(len(v), 12)], func(t *testing.T) {
				args := []string{"submit", "itemsets", "--dataset", "ok", "--min-support", "0.1", "--coordinator", "127.0.0.1:1", "--timeout", "1ms", flag, v}
				_, err := runOut(t, args...)
				if _, usage := err.(usageError); !usage || !strings.Contains(err.Error(), flag) {
					t.Errorf("got %v; want a usage error naming %s", err, flag)
				}
			})
		}
	}
}
