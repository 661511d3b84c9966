package crmapi

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestOverload drives the API over loopback at ten times a token's rated
// load (issue 7, point 4): it keeps answering, with 200 within the token's
// rate and 429 past it, no error and no request left hanging; it recovers
// at once when the load drops back; and its goroutines return to where
// they were.
func TestOverload(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of load: skipped with -short")
	}
	const rated = 100 // requests/s a token may make
	cfg := DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = rated, rated
	s := newAuthServer(t, cfg, nil)
	addr := serve(t, s)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := "http://" + addr + "/v1/segments/0"
	runtime.GC()
	base := runtime.NumGoroutine()

	calm := drive(t, client, url, rated/2, 2*time.Second)
	if calm.codes[200] != calm.sent {
		t.Errorf("at half the rated load: got %v; want %d × 200", calm.codes, calm.sent)
	}

	start := time.Now()
	storm := drive(t, client, url, 10*rated, 2*time.Second)
	elapsed := time.Since(start)
	t.Logf("calm: %d requests, p99 %v; 10× load: %v, p99 %v", calm.sent, calm.p99(), storm.codes, storm.p99())
	if storm.errors > 0 || storm.codes[200]+storm.codes[429] != storm.sent {
		t.Errorf("at 10× load: got %v and %d errors for %d requests; want only 200 and 429", storm.codes, storm.errors, storm.sent)
	}
	// The token bucket admits its burst plus the rate over the run.
	if most := rated + int(float64(rated)*elapsed.Seconds()*1.2) + 10; storm.codes[200] > most {
		t.Errorf("at 10× load: %d answered 200; want at most %d (burst + rate × %v)", storm.codes[200], most, elapsed.Round(time.Millisecond))
	}
	if storm.codes[429] < storm.sent/2 {
		t.Errorf("at 10× load: %d answered 429 of %d; want most of them refused", storm.codes[429], storm.sent)
	}

	time.Sleep(time.Second) // the bucket refills: burst / rate
	after := drive(t, client, url, rated/2, time.Second)
	if after.codes[200] != after.sent {
		t.Errorf("after the load dropped: got %v; want %d × 200", after.codes, after.sent)
	}

	tr.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d after the load; want at most %d as before it\n%s", runtime.NumGoroutine(), base+2, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loadStats is what one drive saw.
type loadStats struct {
	sent, errors int
	codes        map[int]int
	latencies    []time.Duration
}

// p99 returns the 99th percentile latency.
func (s loadStats) p99() time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	l := slices.Clone(s.latencies)
	slices.Sort(l)
	return l[len(l)*99/100]
}

// drive sends GET url at perSecond requests/s for d, open loop: 32
// senders each keep their own schedule, so a slow answer does not slow
// the offered load.
func drive(t *testing.T, client *http.Client, url string, perSecond int, d time.Duration) loadStats {
	t.Helper()
	const senders = 32
	interval := time.Duration(float64(time.Second) * senders / float64(perSecond))
	n := int(float64(perSecond) * d.Seconds() / senders)
	var (
		mu  sync.Mutex
		st  = loadStats{codes: map[int]int{}}
		wg  sync.WaitGroup
		err error
	)
	for i := range senders {
		wg.Go(func() {
			next := time.Now().Add(time.Duration(i) * interval / senders)
			var inner sync.WaitGroup
			for range n {
				time.Sleep(time.Until(next))
				next = next.Add(interval)
				inner.Go(func() {
					code, lat, e := timedGet(client, url, secretRead)
					mu.Lock()
					defer mu.Unlock()
					st.sent++
					if e != nil {
						st.errors++
						err = e
						return
					}
					st.codes[code]++
					st.latencies = append(st.latencies, lat)
				})
			}
			inner.Wait()
		})
	}
	wg.Wait()
	if err != nil {
		t.Logf("last error: %v", err)
	}
	return st
}

// timedGet sends one GET with a bearer token and reads the whole answer.
func timedGet(client *http.Client, url, secret string) (int, time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return 0, 0, fmt.Errorf("read body: %w", err)
	}
	return res.StatusCode, time.Since(start), nil
}
