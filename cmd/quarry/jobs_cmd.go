package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
)

func newJobsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "jobs ls|get|cancel|watch", Short: "List, inspect, watch and cancel the cluster's jobs"}
	cmd.AddCommand(newJobsLsCmd(), newJobsGetCmd(), newJobsCancelCmd(), newJobsWatchCmd())
	return cmd
}

func newJobsLsCmd() *cobra.Command {
	var (
		f       clientFlags
		state   string
		dataset string
		limit   int
		output  string
	)
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &quarryv1.ListJobsRequest{Dataset: dataset}
			if state != "" {
				for s := range strings.SplitSeq(state, ",") {
					v, ok := quarryv1.JobState_value["JOB_STATE_"+strings.ToUpper(strings.TrimSpace(s))]
					if !ok || v == 0 {
						return usagef("--state %q: want pending, running, succeeded, failed or cancelled", s)
					}
					req.States = append(req.States, quarryv1.JobState(v))
				}
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			defer c.close()
			var all []*quarryv1.JobStatus
			for {
				var page *quarryv1.ListJobsResponse
				if err := c.call(cmd.Context(), func(ctx context.Context, cli quarryv1.JobServiceClient) (err error) {
					page, err = cli.ListJobs(ctx, req)
					return err
				}); err != nil {
					return fmt.Errorf("list jobs: %w", err)
				}
				all = append(all, page.Jobs...)
				if page.NextPageToken == "" || limit > 0 && len(all) >= limit {
					break
				}
				req.PageToken = page.NextPageToken
			}
			if limit > 0 && len(all) > limit {
				all = all[:limit]
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				for _, st := range all {
					if err := printStatusJSON(out, st); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tDATASET\tSTATE\tSUBMITTED\tPROGRESS")
			for _, st := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.JobId, typeLabel(st.Type), st.Dataset+" "+st.DatasetVersion,
					stateLabel(st.State), st.SubmittedAt.AsTime().Local().Format(time.DateTime), progressSummary(st))
			}
			return tw.Flush()
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&state, "state", "", "only jobs in these states, comma-separated")
	cmd.Flags().StringVar(&dataset, "dataset", "", "only jobs over this dataset")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many jobs (0: all)")
	cmd.Flags().StringVar(&output, "output", "text", "text or json (one JobStatus per line)")
	return cmd
}

func newJobsGetCmd() *cobra.Command {
	var (
		f      clientFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a job's state, stages and results",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := getJob(cmd.Context(), &f, args[0])
			if err != nil {
				return err
			}
			if output == "json" {
				return printStatusJSON(cmd.OutOrStdout(), st)
			}
			return printStatus(cmd.OutOrStdout(), st)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&output, "output", "text", "text or json")
	return cmd
}

func getJob(ctx context.Context, f *clientFlags, id string) (*quarryv1.JobStatus, error) {
	st, err := unary(ctx, f, func(ctx context.Context, cli quarryv1.JobServiceClient) (*quarryv1.JobStatus, error) {
		return cli.GetJob(ctx, &quarryv1.GetJobRequest{JobId: id})
	})
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	return st, nil
}

func newJobsCancelCmd() *cobra.Command {
	var (
		f      clientFlags
		reason string
	)
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a job: its running tasks stop and it ends cancelled",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := unary(cmd.Context(), &f, func(ctx context.Context, cli quarryv1.JobServiceClient) (*quarryv1.JobStatus, error) {
				return cli.CancelJob(ctx, &quarryv1.CancelJobRequest{JobId: args[0], Reason: reason})
			})
			if err != nil {
				return fmt.Errorf("cancel job %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "job %s: %s\n", st.JobId, stateLine(st))
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded in the job's status")
	return cmd
}

func newJobsWatchCmd() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "watch ID",
		Short: "Show a job's progress live, a bar per stage, until it ends",
		Long: `Show a job's progress live, a bar per stage, until it ends. It follows the
leader through elections. Exit status 0 when the job succeeded, 1 otherwise.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			defer c.close()
			return watchJob(cmd.Context(), c, cmd.OutOrStdout(), args[0])
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// errJobUnsuccessful is returned by a watch whose job did not succeed.
var errJobUnsuccessful = errors.New("job did not succeed")

// watchJob streams job id's statuses to out through a progress display,
// until the job ends; it fails unless the job succeeded.
func watchJob(ctx context.Context, c *jobClient, out io.Writer, id string) error {
	disp := newProgressDisplay(out)
	var last *quarryv1.JobStatus
	err := c.run(ctx, func(ctx context.Context, cli quarryv1.JobServiceClient, progress func()) error {
		stream, err := cli.WatchJob(ctx, &quarryv1.WatchJobRequest{JobId: id})
		if err != nil {
			return err
		}
		for {
			st, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			progress()
			last = st
			disp.show(st)
		}
	})
	if err != nil {
		return fmt.Errorf("watch job %s: %w", id, err)
	}
	if last == nil {
		return fmt.Errorf("watch job %s: the stream ended without a status", id)
	}
	disp.done(last)
	if last.State != quarryv1.JobState_JOB_STATE_SUCCEEDED {
		return fmt.Errorf("job %s %s: %w", id, stateLine(last), errJobUnsuccessful)
	}
	return nil
}

func newWorkersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "workers ls|drain", Short: "List the cluster's workers, or drain one"}
	var (
		f      clientFlags
		output string
	)
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List the registered workers: slots, running attempts, state, lease age, uptime, version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := unary(cmd.Context(), &f, func(ctx context.Context, cli quarryv1.JobServiceClient) (*quarryv1.ListWorkersResponse, error) {
				return cli.ListWorkers(ctx, &quarryv1.ListWorkersRequest{})
			})
			if err != nil {
				return fmt.Errorf("list workers: %w", err)
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				b, err := protojson.Marshal(r)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(out, "%s\n", b)
				return err
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSLOTS\tRUNNING\tSTATE\tLEASE AGE\tUP\tVERSION")
			for _, w := range r.Workers {
				state := "active"
				if w.Draining {
					state = "draining"
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", w.Id, w.Slots, w.Running, state,
					since(w.RegisteredAt), since(w.StartedAt), w.Version)
			}
			return tw.Flush()
		},
	}
	f.register(ls.Flags())
	ls.Flags().StringVar(&output, "output", "text", "text or json")
	cmd.AddCommand(ls, newWorkersDrainCmd())
	return cmd
}

// since is the time elapsed from ts to now in seconds, "-" when unset.
func since(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return time.Since(ts.AsTime()).Round(time.Second).String()
}

func newWorkersDrainCmd() *cobra.Command {
	var (
		ef      etcdFlags
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "drain ID",
		Short: "Drain a worker: it takes no new task, finishes its running ones and leaves",
		Long: `Drain worker ID through etcd (as quarry worker --drain --id ID, and as
SIGTERM to the worker process): the coordinator stops assigning it tasks,
the worker finishes and reports those it runs, and leaves. Waits until it
has left, up to --timeout. No task fails.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cli, err := ef.client()
			if err != nil {
				return err
			}
			defer cli.Close()
			return drainWorker(cmd.Context(), cmd.OutOrStdout(), cli, ef.prefix, args[0], timeout)
		},
	}
	ef.register(cmd.Flags())
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the worker to leave")
	return cmd
}
