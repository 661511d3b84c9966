package crmapi

import (
	"crypto/tls"
	"fmt"
)

// tlsConfig returns the TLS configuration serving Config.TLSCert and
// Config.TLSKey (TLS 1.2 at least), or nil when they are not set.
func (c Config) tlsConfig() (*tls.Config, error) {
	if c.TLSCert == "" && c.TLSKey == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("crmapi tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Scheme returns "https" when the server serves TLS (Config.TLSCert and
// Config.TLSKey are set), else "http": what to print in its URL.
func (s *Server) Scheme() string {
	if s.cfg.TLSCert != "" {
		return "https"
	}
	return "http"
}
