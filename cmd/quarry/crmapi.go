package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/quarrydata/quarry/crmapi"
	"github.com/quarrydata/quarry/storage/objstore"
)

func newCRMAPICmd() *cobra.Command {
	var (
		st      storeFlags
		ef      etcdFlags
		name    string
		addr    string
		version int
		tokens  string
		noAuth  bool
		cert    string
		key     string

		rateLimit float64
		rateBurst int
	)
	cmd := &cobra.Command{
		Use:   "crmapi --dataset D [--addr A]",
		Short: "Serve the CRM API: profiles, segments and explained recommendations from a dataset's model",
		Long: `Serve the CRM API over the published model of dataset D (docs/crmapi.md).
It follows the current model version that the coordinators publish in etcd
(--etcd, --prefix) and swaps each new version in atomically: requests in
flight finish on the old model, and a version that fails to load is refused
while the old one keeps serving. With --version N it serves version N and
follows nothing. SIGTERM or SIGINT stops it gracefully.

Every /v1 route needs a bearer token: tokens come from --tokens-file or the
QUARRY_CRM_TOKENS variable, one "token scope[,scope] [name]" per line
(scopes read and admin; see docs/crmapi.md). --tls-cert and --tls-key serve
HTTPS. /healthz, /readyz, /openapi.json and /metrics are open.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usagef("--dataset is required")
			}
			lis, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("crmapi listen: %w", err)
			}
			defer lis.Close() // Serve closes it too; this covers the failures before
			return st.run(cmd.Context(), func(b objstore.Bucket) error {
				cfg := crmapi.DefaultConfig()
				cfg.TLSCert, cfg.TLSKey = cert, key
				cfg.RateLimit, cfg.RateBurst = rateLimit, rateBurst
				if cfg.Tokens, err = crmTokens(tokens, noAuth); err != nil {
					return err
				}
				s, err := crmapi.NewServer(cfg, slog.Default())
				if err != nil {
					return err
				}
				ctx := cmd.Context()
				if version > 0 {
					if _, err := s.LoadAndSwap(ctx, b, name, version); err != nil {
						return err
					}
				} else {
					cli, err := ef.client()
					if err != nil {
						return err
					}
					defer cli.Close()
					go crmapi.Follow(ctx, s, b, cli, ef.prefix, name)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "crmapi: serving dataset %s on %s://%s\n", name, s.Scheme(), lis.Addr())
				return s.Serve(ctx, lis)
			})
		},
	}
	fs := cmd.Flags()
	st.register(fs)
	ef.register(fs)
	fs.StringVar(&name, "dataset", envOr("QUARRY_CRM_DATASET", ""), "dataset whose model to serve (env QUARRY_CRM_DATASET)")
	fs.StringVar(&addr, "addr", envOr("QUARRY_CRM_ADDR", "127.0.0.1:7800"), "listen address (env QUARRY_CRM_ADDR)")
	fs.IntVar(&version, "version", 0, "serve this model version and follow nothing (0: follow the published version)")
	fs.StringVar(&tokens, "tokens-file", envOr("QUARRY_CRM_TOKENS_FILE", ""), "file of bearer tokens with their scopes (env QUARRY_CRM_TOKENS_FILE; or the tokens themselves in QUARRY_CRM_TOKENS)")
	fs.BoolVar(&noAuth, "no-auth", false, "serve without authentication (a trusted network only)")
	fs.StringVar(&cert, "tls-cert", envOr("QUARRY_CRM_TLS_CERT", ""), "TLS certificate file (PEM); with --tls-key serves HTTPS (env QUARRY_CRM_TLS_CERT)")
	fs.StringVar(&key, "tls-key", envOr("QUARRY_CRM_TLS_KEY", ""), "TLS private key file (PEM) (env QUARRY_CRM_TLS_KEY)")
	defaults := crmapi.DefaultConfig()
	fs.Float64Var(&rateLimit, "rate-limit", defaults.RateLimit, "requests per second each token may make; past it and its burst the API answers 429 (0: no limit)")
	fs.IntVar(&rateBurst, "rate-burst", defaults.RateBurst, "requests a token may make at once above --rate-limit")
	return cmd
}

// crmTokens returns the CRM API's tokens: from file, else from
// QUARRY_CRM_TOKENS; nil only with noAuth.
func crmTokens(file string, noAuth bool) (*crmapi.Tokens, error) {
	switch {
	case noAuth && (file != "" || os.Getenv(crmapi.TokensEnv) != ""):
		return nil, usagef("--no-auth with tokens given: choose one")
	case noAuth:
		return nil, nil
	case file != "":
		return crmapi.ReadTokensFile(file)
	case os.Getenv(crmapi.TokensEnv) != "":
		t, err := crmapi.ParseTokens(strings.NewReader(os.Getenv(crmapi.TokensEnv)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", crmapi.TokensEnv, err)
		}
		return t, nil
	}
	return nil, usagef("no tokens: give --tokens-file or %s, or --no-auth", crmapi.TokensEnv)
}
