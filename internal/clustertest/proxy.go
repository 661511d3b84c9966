package clustertest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// StoreProxy stands between one worker and MinIO. It records the objects
// the worker writes and can hold its task reads (GETs of dataset and job
// objects) until released, so a test catches the worker in the middle of
// a task as surely as it likes. It forwards the Host header unchanged, so
// the worker's SigV4 signatures stay valid.
type StoreProxy struct {
	srv *httptest.Server

	mu   sync.Mutex
	gate chan struct{} // nil: reads pass; else reads wait until it is closed
	held int           // reads that waited at the gate so far
	puts []string      // paths of the objects written, in order
}

// taskRead matches the paths of the objects tasks read: dataset
// partitions and earlier stages' outputs.
var taskRead = regexp.MustCompile(`/(datasets|jobs)/`)

// NewStoreProxy starts a proxy to the MinIO server at target (a URL),
// closed when the test ends.
func NewStoreProxy(t testing.TB, target string) *StoreProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &StoreProxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		// MinIO down (a test stops it) is what the worker must see, as a
		// 502, without a log line per request.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && taskRead.MatchString(r.URL.Path) {
			p.mu.Lock()
			gate := p.gate
			if gate != nil {
				p.held++
			}
			p.mu.Unlock()
			if gate != nil {
				select {
				case <-gate:
				case <-r.Context().Done():
					return
				}
			}
		}
		if r.Method == http.MethodPut {
			p.mu.Lock()
			p.puts = append(p.puts, r.URL.Path)
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		p.Release()
		p.srv.Close()
	})
	return p
}

// URL returns the proxy's URL, the worker's S3 endpoint.
func (p *StoreProxy) URL() string { return p.srv.URL }

// Hold makes task reads wait from now on.
func (p *StoreProxy) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gate == nil {
		p.gate = make(chan struct{})
	}
}

// Release lets the waiting and later reads through.
func (p *StoreProxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gate != nil {
		close(p.gate)
		p.gate = nil
	}
}

// HeldReads returns how many reads waited at the gate so far.
func (p *StoreProxy) HeldReads() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// Partials returns the paths of the attempt partials of job id that the
// worker wrote (jobs/<id>/<stage>/<task>/<attempt>.bin).
func (p *StoreProxy) Partials(id string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, path := range p.puts {
		_, rest, ok := strings.Cut(path, "/jobs/"+id+"/")
		if ok && !strings.HasPrefix(rest, "result/") && strings.HasSuffix(rest, ".bin") {
			out = append(out, path)
		}
	}
	return out
}
