// Command quarry is Quarry's single binary. Today it carries the
// single-process miner, `quarry mine`, which analysts run on a laptop and
// which is the reference that every distributed result is checked against.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "quarry:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError marks an error in the command line itself (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func newRootCmd() *cobra.Command {
	var logLevel string
	root := &cobra.Command{
		Use:           "quarry",
		Short:         "Quarry: exact data mining for customer analytics",
		Long:          "Quarry mines transaction logs for frequent itemsets, association rules, sequential patterns and customer segments.",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
				return usagef("--log-level: %v", err)
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&logLevel, "log-level", envOr("QUARRY_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env QUARRY_LOG_LEVEL)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newMineCmd())
	root.AddCommand(newDatasetCmd())
	root.AddCommand(newDevCmd())
	root.AddCommand(newCoordinatorCmd(), newWorkerCmd())
	root.AddCommand(newSubmitCmd(), newJobsCmd(), newWorkersCmd())
	root.AddCommand(newCRMAPICmd())
	root.AddCommand(newEvalCmd())
	root.AddCommand(newCertsCmd())
	return root
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
