package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/certs"
)

// tlsFlags name the PEM files of a process's mutual TLS: coordinators,
// workers and client commands take the same three.
type tlsFlags struct {
	files certs.Files
}

func (f *tlsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.files.Cert, "tls-cert", envOr("QUARRY_TLS_CERT", ""), "certificate file (PEM) of mutual TLS with the cluster; with --tls-key and --tls-ca (env QUARRY_TLS_CERT; see docs/security.md)")
	fs.StringVar(&f.files.Key, "tls-key", envOr("QUARRY_TLS_KEY", ""), "private key file (PEM) of --tls-cert (env QUARRY_TLS_KEY)")
	fs.StringVar(&f.files.CA, "tls-ca", envOr("QUARRY_TLS_CA", ""), "CA certificate file (PEM) the cluster's certificates are signed by (env QUARRY_TLS_CA)")
}

// client returns the TLS configuration dialling the cluster, nil without
// the flags.
func (f *tlsFlags) client() (*tls.Config, error) {
	c, err := f.files.Client()
	if err != nil {
		return nil, usageOrErr(err)
	}
	return c, nil
}

// coordinator returns a coordinator's TLS, nil without the flags.
func (f *tlsFlags) coordinator() (*coordinator.TLS, error) {
	t, err := coordinator.LoadTLS(f.files)
	if err != nil {
		return nil, usageOrErr(err)
	}
	return t, nil
}

// usageOrErr marks a partial set of TLS flags as a usage error.
func usageOrErr(err error) error {
	if !errors.Is(err, certs.ErrPartial) {
		return err
	}
	return usageError{err}
}

// tokenFlags give a client's bearer token.
type tokenFlags struct {
	token string
}

func (f *tokenFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.token, "token", "", "bearer token sent to the coordinators (default: env QUARRY_TOKEN, better than the flag, which shows in the process list)")
}

// value returns the flag, else QUARRY_TOKEN.
func (f *tokenFlags) value() string {
	if f.token != "" {
		return f.token
	}
	return os.Getenv("QUARRY_TOKEN")
}

// serverTokenFlags give a coordinator its client tokens.
type serverTokenFlags struct {
	file string
}

func (f *serverTokenFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.file, "tokens-file", envOr("QUARRY_TOKENS_FILE", ""), "file of client tokens with their roles, \"token role[,role] [name]\" per line (env QUARRY_TOKENS_FILE; or the tokens themselves in QUARRY_TOKENS); none: authentication off")
}

// tokens returns the tokens from the file, else from QUARRY_TOKENS; nil
// when neither is given (authentication off).
func (f *serverTokenFlags) tokens() (*coordinator.Tokens, error) {
	if f.file != "" {
		return coordinator.ReadTokensFile(f.file)
	}
	if v := os.Getenv(coordinator.TokensEnv); v != "" {
		t, err := coordinator.ParseTokens(strings.NewReader(v))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", coordinator.TokensEnv, err)
		}
		return t, nil
	}
	return nil, nil
}
