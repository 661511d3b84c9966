package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/quarrydata/quarry/coordinator"
)

// The coordinator case measures scheduler throughput: task assignments per
// second committed through a 3-node raft group on loopback, each plan of
// the scheduler batched into one log entry. "patterns" is the number of
// tasks assigned and "seconds" the time to commit them all.
func init() {
	const tasks = 50_000
	register(Case{
		Name:    "coordinator/assignments/3-nodes",
		Task:    "raft-assign",
		Dataset: "synthetic-50k-tasks",
		Param:   "3 nodes",
		Run: func(string) (Result, error) {
			dir, err := os.MkdirTemp("", "quarry-bench-raft-")
			if err != nil {
				return Result{}, err
			}
			defer os.RemoveAll(dir)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			perSecond, err := coordinator.BenchmarkAssignments(ctx, dir, tasks)
			if err != nil {
				return Result{}, err
			}
			return Result{Patterns: tasks, Seconds: tasks / perSecond,
				Note: fmt.Sprintf("%.0f task assignments/s committed through 3 raft nodes on loopback (target >= 5,000)", perSecond)}, nil
		},
	})
}
