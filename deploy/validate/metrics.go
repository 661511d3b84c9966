package validate

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/crmapi"
	"github.com/quarrydata/quarry/worker"
)

// Catalog is the set of metric names Quarry's processes export, with
// each family's type, so that a query may name a histogram's _bucket,
// _sum and _count series.
type Catalog struct {
	families map[string]dto.MetricType // family name → type
}

// ExportedMetrics builds the catalog from the real metrics of the three
// processes, scraped through their own handlers: the coordinator's, the
// worker's and the CRM API's. Families a registry exports only after a
// first observation (histograms labelled by job type and stage) are
// taken from sources, the Go files of the three packages, as the names
// of their collector options (see sourceFamilies).
func ExportedMetrics(repoRoot string) (*Catalog, error) {
	c := &Catalog{families: map[string]dto.MetricType{}}
	handlers := map[string]http.Handler{
		"coordinator": coordinator.NewMetrics().Handler(),
		"worker":      worker.NewMetrics().Handler(),
		"crmapi":      crmapi.NewMetrics().Handler(),
	}
	for name, h := range handlers {
		fams, err := scrape(h)
		if err != nil {
			return nil, fmt.Errorf("scrape %s metrics: %w", name, err)
		}
		for n, f := range fams {
			c.families[n] = f.GetType()
		}
	}
	src, err := sourceFamilies(repoRoot)
	if err != nil {
		return nil, err
	}
	for n, t := range src {
		if _, ok := c.families[n]; !ok {
			c.families[n] = t
		}
	}
	return c, nil
}

// scrape serves one GET /metrics from h and parses the text format.
func scrape(h http.Handler) (map[string]*dto.MetricFamily, error) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: status %d", rec.Code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		return nil, fmt.Errorf("parse /metrics: %w", err)
	}
	return fams, nil
}

// Has reports whether name is a series name some process exports: a
// family's own name, or a histogram's or summary's _bucket, _sum or
// _count series.
func (c *Catalog) Has(name string) bool {
	if _, ok := c.families[name]; ok {
		return true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suf)
		if !ok {
			continue
		}
		switch c.families[base] {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			return true
		case dto.MetricType_SUMMARY:
			return suf != "_bucket"
		}
	}
	return false
}

// Names returns the family names in the catalog, sorted.
func (c *Catalog) Names() []string {
	names := make([]string, 0, len(c.families))
	for n := range c.families {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// prometheusSeries are series Prometheus itself adds to every target
// (and the ALERTS series of its rule manager); queries may name them.
var prometheusSeries = map[string]bool{
	"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true,
	"scrape_series_added": true, "scrape_samples_post_metric_relabeling": true,
	"ALERTS": true, "ALERTS_FOR_STATE": true,
}

// Unknown returns the metric names in names that neither a Quarry
// process nor Prometheus itself exports, sorted and without repeats.
func (c *Catalog) Unknown(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if seen[n] || prometheusSeries[n] || c.Has(n) {
			continue
		}
		seen[n] = true
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// grafanaIntervals matches Grafana's built-in interval variables
// ($__rate_interval, ${__interval}, $__range …), which stand where
// PromQL wants a duration.
var grafanaIntervals = regexp.MustCompile(`\$\{?__[a-z_]+\}?`)

// promqlParser parses with Prometheus's default options, the language a
// stock Prometheus server accepts.
var promqlParser = parser.NewParser(parser.Options{})

// MetricNames parses a PromQL expression and returns the metric names its
// selectors name (by name or by an equality matcher on __name__). Grafana
// interval variables are replaced by a duration first; other dashboard
// variables belong inside label matcher strings, where they parse as they
// are.
func MetricNames(expr string) ([]string, error) {
	e, err := promqlParser.ParseExpr(grafanaIntervals.ReplaceAllString(expr, "5m"))
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", expr, err)
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name != "" {
			names = append(names, vs.Name)
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				names = append(names, m.Value)
			}
		}
		return nil
	})
	return names, nil
}
