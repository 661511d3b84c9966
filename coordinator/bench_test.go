package coordinator

import (
	"context"
	"testing"
	"time"
)

// BenchmarkAssignmentThroughput reports task assignments per second
// committed through a 3-replica raft group on loopback.
func BenchmarkAssignmentThroughput(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var rate float64
	for i := 0; i < b.N; i++ {
		r, err := BenchmarkAssignments(ctx, b.TempDir(), 50000)
		if err != nil {
			b.Fatal(err)
		}
		rate = r
	}
	b.ReportMetric(rate, "assignments/s")
}
