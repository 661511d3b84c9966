package certs_test

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/certs"
)

// issue makes a CA in a fresh folder and issues the named certificates
// for 127.0.0.1 and localhost.
func issue(t *testing.T, names ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "certs")
	if err := certs.InitCA(dir, 0); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if _, _, err := certs.Issue(dir, certs.Request{Name: n, DNS: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func files(dir, name string) certs.Files {
	return certs.Files{Cert: certs.CertFile(dir, name), Key: certs.KeyFile(dir, name), CA: filepath.Join(dir, certs.CAFile)}
}

// TestIssueAndHandshake issues a server and a client certificate and
// checks the key files' modes, that they refuse to be overwritten, and
// that a mutual handshake succeeds.
func TestIssueAndHandshake(t *testing.T) {
	dir := issue(t, "server", "client")
	for _, p := range []string{filepath.Join(dir, certs.CAKeyFile), certs.KeyFile(dir, "server"), certs.KeyFile(dir, "client")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: got mode %v; want 0600", p, st.Mode().Perm())
		}
	}
	if err := certs.InitCA(dir, 0); !errors.Is(err, certs.ErrExists) {
		t.Errorf("init over an existing CA: got %v; want ErrExists", err)
	}
	if _, _, err := certs.Issue(dir, certs.Request{Name: "server"}); !errors.Is(err, certs.ErrExists) {
		t.Errorf("issue over an existing certificate: got %v; want ErrExists", err)
	}
	if _, _, err := certs.Issue(dir, certs.Request{Name: "../evil"}); err == nil || !strings.Contains(err.Error(), `name "../evil"`) {
		t.Errorf("issue ../evil: got %v; want a refusal naming the name", err)
	}
	if err := handshake(t, files(dir, "server"), files(dir, "client")); err != nil {
		t.Fatalf("mutual handshake: %v", err)
	}
}

// TestHandshakeRefusals checks that a server refuses a client with no
// certificate or one from another CA, and a client refuses a server from
// another CA.
func TestHandshakeRefusals(t *testing.T) {
	dir, other := issue(t, "server", "client"), issue(t, "stranger")
	srv, err := files(dir, "server").Server()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cli  *tls.Config
	}{
		{"no client certificate", &tls.Config{RootCAs: mustClient(t, files(dir, "client")).RootCAs}},
		{"client of another CA", func() *tls.Config {
			c := mustClient(t, files(other, "stranger"))
			c.RootCAs = mustClient(t, files(dir, "client")).RootCAs
			return c
		}()},
		{"server of another CA", mustClient(t, files(other, "stranger"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := handshakeConfigs(srv, tt.cli); err == nil {
				t.Error("got a handshake; want a refusal")
			}
		})
	}
}

// TestLoadErrors checks that every unusable file is named.
func TestLoadErrors(t *testing.T) {
	dir, other := issue(t, "a", "b"), issue(t, "c")
	a := files(dir, "a")
	tests := []struct {
		name string
		f    certs.Files
		want string
	}{
		{"partial", certs.Files{Cert: a.Cert}, "give --tls-cert, --tls-key and --tls-ca together"},
		{"missing cert", certs.Files{Cert: a.Cert + ".nope", Key: a.Key, CA: a.CA}, a.Cert + ".nope"},
		{"missing key", certs.Files{Cert: a.Cert, Key: a.Key + ".nope", CA: a.CA}, a.Key + ".nope"},
		{"missing CA", certs.Files{Cert: a.Cert, Key: a.Key, CA: a.CA + ".nope"}, a.CA + ".nope"},
		{"key of another cert", certs.Files{Cert: a.Cert, Key: certs.KeyFile(dir, "b"), CA: a.CA}, "certificate " + a.Cert + " with key " + certs.KeyFile(dir, "b")},
		{"CA file not PEM", certs.Files{Cert: a.Cert, Key: a.Key, CA: a.Key}, "tls CA certificate " + a.Key + ": no PEM certificate"},
		{"cert of another CA", certs.Files{Cert: a.Cert, Key: a.Key, CA: filepath.Join(other, certs.CAFile)}, "is not signed by CA " + filepath.Join(other, certs.CAFile)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.f.Server()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error with %q", err, tt.want)
			}
		})
	}
	if c, err := (certs.Files{}).Client(); c != nil || err != nil {
		t.Errorf("no files: got %v, %v; want nil, nil", c, err)
	}
}

func mustClient(t *testing.T, f certs.Files) *tls.Config {
	t.Helper()
	c, err := f.Client()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// handshake runs a TLS handshake between a server of srv and a client of
// cli over loopback.
func handshake(t *testing.T, srv, cli certs.Files) error {
	t.Helper()
	s, err := srv.Server()
	if err != nil {
		t.Fatal(err)
	}
	return handshakeConfigs(s, mustClient(t, cli))
}

func handshakeConfigs(srv, cli *tls.Config) error {
	lis, err := tls.Listen("tcp", "127.0.0.1:0", srv)
	if err != nil {
		return err
	}
	defer lis.Close()
	done := make(chan error, 1)
	go func() {
		c, err := lis.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- c.(*tls.Conn).Handshake()
	}()
	c, err := tls.Dial("tcp", lis.Addr().String(), cli)
	if err == nil {
		// TLS 1.3 reports a refused client certificate on the first read.
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	serr := <-done
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && !strings.Contains(err.Error(), "EOF") {
		return err
	}
	return serr
}
