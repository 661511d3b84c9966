package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Files names the PEM files of one process: its certificate, its private
// key and the CA certificate(s) its peers' certificates must chain to.
type Files struct {
	Cert string
	Key  string
	CA   string
}

// ErrPartial reports Files with some but not all of the three names set.
var ErrPartial = errors.New("tls: give --tls-cert, --tls-key and --tls-ca together")

// Enabled reports whether TLS is configured; Validate reports a partial
// configuration.
func (f Files) Enabled() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

// Validate reports an error unless all three files or none are named.
func (f Files) Validate() error {
	if f.Enabled() && (f.Cert == "" || f.Key == "" || f.CA == "") {
		return fmt.Errorf("%w (got cert %q, key %q, ca %q)", ErrPartial, f.Cert, f.Key, f.CA)
	}
	return nil
}

// load reads the key pair and the CA pool.
func (f Files) load() (tls.Certificate, *x509.CertPool, error) {
	if err := f.Validate(); err != nil {
		return tls.Certificate{}, nil, err
	}
	for _, p := range [][2]string{{"certificate", f.Cert}, {"key", f.Key}, {"CA certificate", f.CA}} {
		if _, err := os.Stat(p[1]); err != nil {
			return tls.Certificate{}, nil, fmt.Errorf("tls %s %s: %w", p[0], p[1], err)
		}
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tls certificate %s with key %s: %w", f.Cert, f.Key, err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tls CA certificate %s: %w", f.CA, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return tls.Certificate{}, nil, fmt.Errorf("tls CA certificate %s: no PEM certificate in it", f.CA)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tls certificate %s: %w", f.Cert, err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tls certificate %s is not signed by CA %s: %w", f.Cert, f.CA, err)
	}
	return pair, pool, nil
}

// Server returns the configuration of a server that presents f's
// certificate and requires a client certificate signed by f's CA (TLS 1.2
// at least). It returns nil, nil when f names no file.
func (f Files) Server() (*tls.Config, error) {
	if !f.Enabled() {
		return nil, nil
	}
	pair, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// Client returns the configuration of a client that presents f's
// certificate and verifies the server's against f's CA (TLS 1.2 at least;
// the server name comes from the address dialled). It returns nil, nil
// when f names no file.
func (f Files) Client() (*tls.Config, error) {
	if !f.Enabled() {
		return nil, nil
	}
	pair, pool, err := f.load()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}
