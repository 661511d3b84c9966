package promtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one parsed scrape: metric families by name.
type Scrape map[string]*dto.MetricFamily

// Get scrapes url over HTTP; any failure fails the test.
func Get(t testing.TB, url string) Scrape {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got status %d; want 200", url, resp.StatusCode)
	}
	return Parse(t, resp.Body)
}

// Handler scrapes h at GET /metrics without a network.
func Handler(t testing.TB, h http.Handler) Scrape {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: got status %d; want 200", rec.Code)
	}
	return Parse(t, rec.Body)
}

// Parse parses the Prometheus text format.
func Parse(t testing.TB, r io.Reader) Scrape {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// Value sums the values of the series of family name that carry the given
// label pairs (name, value, name, value…): a counter's or gauge's value, a
// histogram's or summary's sample count. found is false when no series
// matches.
func (s Scrape) Value(name string, labels ...string) (v float64, found bool) {
	f, ok := s[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Histogram != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			v += float64(m.GetSummary().GetSampleCount())
		case m.Untyped != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v, found
}

// MustValue is Value that fails the test when no series matches.
func (s Scrape) MustValue(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	v, found := s.Value(name, labels...)
	if !found {
		t.Fatalf("family %s: no series with labels %v", name, labels)
	}
	return v
}

// Missing returns the names of families that are not in the scrape.
func (s Scrape) Missing(names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := s[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// hasLabels reports whether m carries every label pair of labels.
func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		ok := false
		for _, lp := range m.GetLabel() {
			ok = ok || lp.GetName() == labels[i] && lp.GetValue() == labels[i+1]
		}
		if !ok {
			return false
		}
	}
	return true
}
