package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// File names in a certificate folder.
const (
	CAFile    = "ca.pem"
	CAKeyFile = "ca-key.pem"
)

// Default validities: a CA for five years, a certificate for one.
const (
	DefaultCAValidity   = 5 * 365 * 24 * time.Hour
	DefaultCertValidity = 365 * 24 * time.Hour
)

// ErrExists reports a file InitCA or Issue would overwrite.
var ErrExists = errors.New("already exists")

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$`)

// CertFile and KeyFile return the paths Issue writes name's certificate
// and key to, in dir.
func CertFile(dir, name string) string { return filepath.Join(dir, name+".pem") }

// KeyFile returns the path of name's private key in dir.
func KeyFile(dir, name string) string { return filepath.Join(dir, name+"-key.pem") }

// InitCA makes a self-signed ECDSA P-256 certificate authority valid for
// validity (DefaultCAValidity when 0) in dir: ca.pem and ca-key.pem (0600).
// It refuses to overwrite an existing CA.
func InitCA(dir string, validity time.Duration) error {
	if validity <= 0 {
		validity = DefaultCAValidity
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("certs init %s: %w", dir, err)
	}
	certPath, keyPath := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	if err := absent(certPath, keyPath); err != nil {
		return fmt.Errorf("certs init: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("certs init: generate key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Quarry development CA", Organization: []string{"Quarry"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("certs init: sign: %w", err)
	}
	return writePair(certPath, keyPath, der, key)
}

// Request describes a certificate to issue.
type Request struct {
	// Name is the certificate's common name and file name (letters,
	// digits, '.', '_', '-').
	Name string
	// DNS and IPs are the subject alternative names a server is dialled
	// by; a certificate used only as a client may have none.
	DNS []string
	IPs []net.IP
	// Validity defaults to DefaultCertValidity; it is cut to the CA's.
	Validity time.Duration
}

// Issue signs a certificate for req with the CA in dir and writes it with
// its key (0600) as NAME.pem and NAME-key.pem. The certificate is good for
// both server and client authentication, so one certificate serves a
// coordinator's gRPC, HTTP and raft listeners and its raft dials. It
// refuses to overwrite existing files.
func Issue(dir string, req Request) (certPath, keyPath string, err error) {
	if !nameRE.MatchString(req.Name) {
		return "", "", fmt.Errorf("certs issue: name %q: use 1 to 64 letters, digits, '.', '_' or '-'", req.Name)
	}
	if req.Validity <= 0 {
		req.Validity = DefaultCertValidity
	}
	ca, caKey, err := loadCA(dir)
	if err != nil {
		return "", "", err
	}
	certPath, keyPath = CertFile(dir, req.Name), KeyFile(dir, req.Name)
	if err := absent(certPath, keyPath); err != nil {
		return "", "", fmt.Errorf("certs issue: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("certs issue %s: generate key: %w", req.Name, err)
	}
	serial, err := newSerial()
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: req.Name, Organization: []string{"Quarry"}},
		DNSNames:     req.DNS,
		IPAddresses:  req.IPs,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(req.Validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if tmpl.NotAfter.After(ca.NotAfter) {
		tmpl.NotAfter = ca.NotAfter
	}
	if tmpl.NotAfter.Before(now) {
		return "", "", fmt.Errorf("certs issue %s: CA %s expired on %s", req.Name, filepath.Join(dir, CAFile), ca.NotAfter.Format(time.DateOnly))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", fmt.Errorf("certs issue %s: sign: %w", req.Name, err)
	}
	if err := writePair(certPath, keyPath, der, key); err != nil {
		return "", "", err
	}
	return certPath, keyPath, nil
}

// loadCA reads the CA certificate and key of dir.
func loadCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPath, keyPath := filepath.Join(dir, CAFile), filepath.Join(dir, CAKeyFile)
	cb, err := readPEM(certPath, "CERTIFICATE")
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(cb)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: CA certificate %s: %w", certPath, err)
	}
	kb, err := readPEM(keyPath, "EC PRIVATE KEY")
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(kb)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: CA key %s: %w", keyPath, err)
	}
	if !key.PublicKey.Equal(ca.PublicKey) {
		return nil, nil, fmt.Errorf("certs: CA key %s does not match certificate %s", keyPath, certPath)
	}
	return ca, key, nil
}

// readPEM returns the first block of type typ in file path.
func readPEM(path, typ string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("certs: %w (run quarry certs init first?)", err)
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("certs: %s: no PEM block %q", path, typ)
		}
		if b.Type == typ {
			return b.Bytes, nil
		}
	}
}

// writePair writes a certificate (0644) and its key (0600), neither
// existing before.
func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("certs: encode key %s: %w", keyPath, err)
	}
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	if err := writeNew(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		os.Remove(keyPath)
		return err
	}
	return nil
}

// writeNew creates path with perm, failing if it exists.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	return nil
}

// absent fails when any of paths exists.
func absent(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s %w; remove it first", p, ErrExists)
		}
	}
	return nil
}

// newSerial returns a random 128-bit serial number.
func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("certs: serial: %w", err)
	}
	return n, nil
}
