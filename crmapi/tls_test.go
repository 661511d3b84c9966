package crmapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key
// into dir and returns their paths and the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "quarry crmapi test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

func TestTLS(t *testing.T) {
	cfg := DefaultConfig()
	var cert *x509.Certificate
	cfg.TLSCert, cfg.TLSKey, cert = selfSigned(t, t.TempDir())
	s := newAuthServer(t, cfg, nil)
	if s.Scheme() != "https" {
		t.Errorf("scheme %q; want https", s.Scheme())
	}
	addr := serve(t, s)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	for _, c := range []struct {
		path, secret string
		status       int
	}{
		{"/healthz", "", 200},
		{"/v1/segments", "", 401},
		{"/v1/segments", secretRead, 200},
	} {
		req, _ := http.NewRequest("GET", "https://"+addr+c.path, nil)
		if c.secret != "" {
			req.Header.Set("Authorization", "Bearer "+c.secret)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status || res.TLS == nil {
			t.Errorf("GET %s over TLS: got %d (TLS %v); want %d over TLS", c.path, res.StatusCode, res.TLS != nil, c.status)
		}
	}
	// Plain HTTP to the TLS port is refused.
	if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 {
			t.Error("plain HTTP to the TLS port: got 200; want a refusal")
		}
	}
	// A client that does not trust the certificate fails the handshake.
	if res, err := http.Get("https://" + addr + "/healthz"); err == nil {
		res.Body.Close()
		t.Error("an untrusted certificate was accepted")
	}
}

func TestTLSBadFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSigned(t, dir)
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a pem"), 0o600)
	for _, c := range [][2]string{{filepath.Join(dir, "missing.pem"), keyFile}, {certFile, junk}, {keyFile, certFile}} {
		cfg := DefaultConfig()
		cfg.TLSCert, cfg.TLSKey = c[0], c[1]
		s, err := NewServer(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		err = s.Serve(context.Background(), lis)
		if err == nil || !strings.Contains(err.Error(), "crmapi tls") {
			t.Errorf("cert %s, key %s: got %v; want a crmapi tls error", filepath.Base(c[0]), filepath.Base(c[1]), err)
		}
	}
}
