package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/internal/etcdembed"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/worker"
)

// benchPrefix is the registry prefix of the benchmark's cluster.
const benchPrefix = "/quarry-bench"

// benchCluster is what `quarry dev` runs, built the same way from the
// exported parts (cmd/quarry's devCluster is not importable): embedded
// etcd, a single-node raft coordinator with its gRPC and job driver, a
// local-folder store, and workers talking to the coordinator over gRPC
// on loopback. Everything logs to a discarding handler.
type benchCluster struct {
	etcd    *etcdembed.Server
	cli     *clientv3.Client
	bucket  *local.Bucket
	node    *coordinator.Node
	workers []*worker.Worker
}

// startBenchCluster starts a cluster with n workers of 2 slots each (as
// `quarry dev`) whose etcd, raft log and store live under dir, and
// returns once every worker is registered with the leader.
func startBenchCluster(ctx context.Context, dir string, n int) (c *benchCluster, err error) {
	quiet := slog.New(slog.DiscardHandler)
	c = &benchCluster{}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.close())
			c = nil
		}
	}()
	ecfg := etcdembed.DefaultConfig()
	ecfg.Dir = filepath.Join(dir, "etcd")
	ecfg.ClientAddr = "127.0.0.1:0"
	if c.etcd, err = etcdembed.Start(ctx, ecfg); err != nil {
		return nil, err
	}
	if c.cli, err = c.etcd.Client(); err != nil {
		return nil, err
	}
	if c.bucket, err = local.New(filepath.Join(dir, "quarry-data")); err != nil {
		return nil, err
	}
	rcfg := coordinator.LocalConfig("bench", filepath.Join(dir, "raft"))
	c.node, err = coordinator.StartNode(ctx, coordinator.NodeConfig{
		Raft: rcfg, Bucket: c.bucket, Etcd: c.cli, Prefix: benchPrefix,
		GRPCAddr: "127.0.0.1:0", Logger: quiet,
	})
	if err != nil {
		return nil, err
	}
	if _, err := c.node.Store().WaitForLeader(ctx); err != nil {
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	for i := range n {
		w, err := worker.Start(ctx, worker.Config{
			ID: "worker-" + strconv.Itoa(i+1), Slots: 2, Bucket: c.bucket, Etcd: c.cli, Prefix: benchPrefix,
			LeaseTTL: 5 * time.Second, LeaderAddr: c.node.GRPCAddr(), Logger: quiet,
		})
		if err != nil {
			return nil, err
		}
		c.workers = append(c.workers, w)
	}
	for len(c.node.Store().FSM().Workers()) < n {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("workers not registered: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return c, nil
}

// importDataset imports the raw file at path into the cluster's store as
// dataset name in p partitions and returns the seconds taken.
func (c *benchCluster) importDataset(ctx context.Context, name, path string, p int) (float64, error) {
	spec, err := benchSpec(path)
	if err != nil {
		return 0, err
	}
	spec.Partitions = p
	src, err := local.New(filepath.Dir(path))
	if err != nil {
		return 0, err
	}
	defer src.Close()
	start := time.Now()
	_, err = dataset.Import(ctx, c.bucket, name,
		[]dataset.SourceObject{{Bucket: src, Key: filepath.Base(path), URL: path}}, dataset.Options{Spec: spec, SplitSize: benchSplit})
	return time.Since(start).Seconds(), err
}

// runJob submits a job and waits until it ends, returning its result
// manifest and the seconds from submission to the terminal state seen in
// the FSM (the result manifest is then already published).
func (c *benchCluster) runJob(ctx context.Context, id, specJSON string) (*jobs.ResultManifest, float64, error) {
	fsm := c.node.Store().FSM()
	start := time.Now()
	if err := c.node.Driver().Submit(ctx, id, []byte(specJSON), 0); err != nil {
		return nil, 0, err
	}
	for {
		changed := fsm.Changed()
		if j, ok := fsm.Job(id); ok && j.State.Terminal() {
			secs := time.Since(start).Seconds()
			if j.State != scheduler.JobSucceeded {
				return nil, secs, fmt.Errorf("job %s ended %v: %s", id, j.State, j.Reason)
			}
			m, err := jobs.LoadResult(ctx, c.bucket, id)
			return m, secs, err
		}
		select {
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("job %s: %w", id, ctx.Err())
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// close stops what was started, in reverse order; a second call does
// nothing.
func (c *benchCluster) close() error {
	var errs []error
	for _, w := range c.workers {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := w.Drain(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain %s: %w", w.ID(), err))
		}
		cancel()
	}
	c.workers = nil
	if c.node != nil {
		errs = append(errs, c.node.Close())
		c.node = nil
	}
	if c.bucket != nil {
		c.bucket.Close()
		c.bucket = nil
	}
	if c.cli != nil {
		c.cli.Close()
		c.cli = nil
	}
	if c.etcd != nil {
		c.etcd.Close()
		c.etcd = nil
	}
	return errors.Join(errs...)
}
