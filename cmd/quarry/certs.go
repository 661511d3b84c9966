package main

import (
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrydata/quarry/internal/certs"
)

func newCertsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "certs init|issue",
		Short: "Make a development CA and the certificates of a mutual-TLS cluster",
		Long: `Make the certificates of a cluster running mutual TLS (docs/security.md):
'certs init' makes a certificate authority in --dir, 'certs issue' signs a
certificate for a coordinator, worker or client with it. Keys are ECDSA
P-256, written 0600. Pass the files to --tls-cert, --tls-key and --tls-ca.`,
	}
	cmd.AddCommand(newCertsInitCmd(), newCertsIssueCmd())
	return cmd
}

func newCertsInitCmd() *cobra.Command {
	var (
		dir      string
		validity time.Duration
	)
	cmd := &cobra.Command{
		Use:   "init --dir D",
		Short: "Make a development certificate authority: D/ca.pem and D/ca-key.pem",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := certs.InitCA(dir, validity); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "CA %s (key %s, keep it private)\n", filepath.Join(dir, certs.CAFile), filepath.Join(dir, certs.CAKeyFile))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "certs", "folder of the CA and the certificates")
	cmd.Flags().DurationVar(&validity, "validity", certs.DefaultCAValidity, "how long the CA is valid")
	return cmd
}

func newCertsIssueCmd() *cobra.Command {
	var (
		dir      string
		name     string
		dns      []string
		ips      []string
		validity time.Duration
	)
	cmd := &cobra.Command{
		Use:   "issue --dir D --name N [--dns H,...] [--ip A,...]",
		Short: "Sign a server-and-client certificate: D/N.pem and D/N-key.pem",
		Long: `Sign a certificate named N with the CA of --dir, valid for both server and
client authentication. A coordinator's certificate must name every host
name (--dns) and IP address (--ip) that workers, clients and the other
coordinators dial it by, gRPC, HTTP and raft alike; a worker's or a
client's needs none.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := certs.Request{Name: name, DNS: dns, Validity: validity}
			for _, s := range ips {
				ip := net.ParseIP(s)
				if ip == nil {
					return usagef("--ip %q is not an IP address", s)
				}
				req.IPs = append(req.IPs, ip)
			}
			cert, key, err := certs.Issue(dir, req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "certificate %s, key %s\n", cert, key)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "certs", "folder of the CA (from certs init) and the certificates")
	cmd.Flags().StringVar(&name, "name", "", "certificate name: its common name and file name (required)")
	cmd.Flags().StringSliceVar(&dns, "dns", nil, "host names the holder is dialled by, comma-separated")
	cmd.Flags().StringSliceVar(&ips, "ip", nil, "IP addresses the holder is dialled by, comma-separated")
	cmd.Flags().DurationVar(&validity, "validity", certs.DefaultCertValidity, "how long the certificate is valid (at most the CA's remaining time)")
	return cmd
}
