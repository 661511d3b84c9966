package crmapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetrics loads models through the server, answers requests and
// scrapes /metrics: requests count by route pattern and code, the model
// version and the loads, swaps, rollbacks and refusals move.
func TestMetrics(t *testing.T) {
	f := sharedFixture(t)
	s, err := NewServer(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got := gaugeValue(t, s.metrics.loadedAt); got != 0 {
		t.Fatalf("quarry_crmapi_model_loaded_timestamp_seconds before any model: got %v; want 0", got)
	}
	before := float64(time.Now().UnixNano()) / 1e9
	if _, err := s.LoadAndSwap(ctx, f.store, "retail", 1); err != nil {
		t.Fatal(err)
	}
	swapped := gaugeValue(t, s.metrics.loadedAt)
	if after := float64(time.Now().UnixNano()) / 1e9; swapped < before || swapped > after {
		t.Fatalf("quarry_crmapi_model_loaded_timestamp_seconds after a swap: got %v; want within [%v, %v]", swapped, before, after)
	}
	if _, err := s.LoadAndSwap(ctx, f.store, "retail", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadAndSwap(ctx, f.store, "retail", 99); err == nil {
		t.Fatal("load of a missing version: got nil; want an error")
	}
	refused := gaugeValue(t, s.metrics.loadedAt)
	if _, err := s.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := gaugeValue(t, s.metrics.loadedAt); got <= refused || refused < swapped {
		t.Fatalf("quarry_crmapi_model_loaded_timestamp_seconds: %v after the first swap, %v after the second, %v after a rollback; want it to grow", swapped, refused, got)
	}
	cust := s.Model().bySegment[0][0]
	for _, path := range []string{"/v1/customers/" + cust, "/v1/customers/" + cust, "/v1/customers/nope", "/nowhere"} {
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: got %d; want 200", rec.Code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"quarry_crmapi_requests_total", map[string]string{"route": "GET /v1/customers/{id}", "code": "200"}, 2},
		{"quarry_crmapi_requests_total", map[string]string{"route": "GET /v1/customers/{id}", "code": "404"}, 1},
		{"quarry_crmapi_requests_total", map[string]string{"route": "/", "code": "404"}, 1},
		{"quarry_crmapi_request_duration_seconds", map[string]string{"route": "GET /v1/customers/{id}"}, 3},
		{"quarry_crmapi_model_version", nil, 1},
		{"quarry_crmapi_model_published_version", nil, 0},
		{"quarry_crmapi_model_load_duration_seconds", nil, 3},
		{"quarry_crmapi_model_swaps_total", map[string]string{"kind": "swap"}, 2},
		{"quarry_crmapi_model_swaps_total", map[string]string{"kind": "rollback"}, 1},
		{"quarry_crmapi_model_swaps_total", map[string]string{"kind": "refused"}, 1},
		{"quarry_crmapi_rate_limited_total", nil, 0},
	} {
		if got := seriesValue(fams[tc.family], tc.labels); got != tc.want {
			t.Errorf("%s%v: got %v; want %v", tc.family, tc.labels, got, tc.want)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("go_goroutines: missing; want the Go collector")
	}
}

// gaugeValue returns the value of g.
func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var d dto.Metric
	if err := g.Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetGauge().GetValue()
}

// seriesValue returns the value (a histogram's sample count) of the
// series of f whose labels include labels, -1 when there is none.
func seriesValue(f *dto.MetricFamily, labels map[string]string) float64 {
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range labels {
			found := false
			for _, lp := range m.GetLabel() {
				found = found || lp.GetName() == k && lp.GetValue() == v
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}
