package main

import (
	"fmt"
	"log/slog"
	"net"

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
	)
	cmd := &cobra.Command{
		Use:   "crmapi --dataset D [--addr A]",
		Short: "Serve the CRM API: profiles, segments and explained recommendations from a dataset's model",
		Long: `Serve the CRM API over the published model of dataset D (docs/crmapi.md).
It follows the current model version that the coordinators publish in etcd
(--etcd, --prefix) and swaps each new version in atomically: requests in
flight finish on the old model, and a version that fails to load is refused
while the old one keeps serving. With --version N it serves version N and
follows nothing. SIGTERM or SIGINT stops it gracefully.`,
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
				s, err := crmapi.NewServer(crmapi.DefaultConfig(), slog.Default())
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
				fmt.Fprintf(cmd.OutOrStdout(), "crmapi: serving dataset %s on http://%s\n", name, lis.Addr())
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
	return cmd
}
