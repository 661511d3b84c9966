package validate

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestDashboard checks deploy/grafana/quarry.json: it parses, its panel
// ids are unique, every query parses and names only exported metrics, and
// it has the four rows.
func TestDashboard(t *testing.T) {
	d, qs, err := ParseDashboard(readFile(t, deployPath("grafana", "quarry.json")))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckQueries(exported(t), qs); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			rows = append(rows, p.Title)
		}
	}
	for _, want := range []string{"Cluster overview", "Jobs", "Workers", "CRM API"} {
		if !strings.Contains(strings.Join(rows, "|"), want) {
			t.Errorf("rows %q: got no %q; want one", rows, want)
		}
	}
	if len(qs) < 30 {
		t.Errorf("got %d queries; want at least 30", len(qs))
	}
}

// TestDashboardRejects feeds broken copies of the dashboard to the checks.
func TestDashboardRejects(t *testing.T) {
	good := readFile(t, deployPath("grafana", "quarry.json"))
	c := exported(t)
	for _, tc := range []struct {
		name, want string
		edit       func(d map[string]any)
	}{
		{"duplicate id", "already used", func(d map[string]any) {
			ps := d["panels"].([]any)
			ps[2].(map[string]any)["id"] = ps[1].(map[string]any)["id"]
		}},
		{"unknown metric", "no process exports [quarry_coordinator_queue_depths]", func(d map[string]any) {
			target(d)["expr"] = "max(quarry_coordinator_queue_depths)"
		}},
		{"bad promql", "parse", func(d map[string]any) {
			target(d)["expr"] = "sum(rate(quarry_worker_read_bytes_total[5m])"
		}},
		{"no datasource variable", "no templating variable", func(d map[string]any) {
			d["templating"] = map[string]any{"list": []any{}}
		}},
		{"fixed datasource", "is not ${datasource}", func(d map[string]any) {
			d["panels"].([]any)[1].(map[string]any)["datasource"] = map[string]any{"type": "prometheus", "uid": "abc"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(good, &d); err != nil {
				t.Fatal(err)
			}
			tc.edit(d)
			data, _ := json.Marshal(d)
			_, qs, err := ParseDashboard(data)
			if err == nil {
				err = CheckQueries(c, qs)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v; want one containing %q", err, tc.want)
			}
		})
	}
	if _, _, err := ParseDashboard([]byte(`{"uid": "x", "panels": [`)); err == nil {
		t.Errorf("truncated JSON: got no error; want one")
	}
}

// target returns the first target of the dashboard's second panel.
func target(d map[string]any) map[string]any {
	p := d["panels"].([]any)[1].(map[string]any)
	return p["targets"].([]any)[0].(map[string]any)
}

// wantAlerts are the alerts issue 6 asks for, by the name they have.
var wantAlerts = []string{"QuarryNoLeader", "QuarryJobFailureRate", "QuarryQueueStuck",
	"QuarryWorkerLeaseChurn", "QuarryAPIErrorRate", "QuarryAPILatencySLO", "QuarryModelStale", "QuarryNoModelLoaded"}

// TestRules checks deploy/prometheus/alerts.yaml beyond promtool: house
// rules on every alert, exported metrics only, runbook anchors that exist
// in docs/operations.md, and a unit test per alert in alerts_test.yaml.
func TestRules(t *testing.T) {
	rules := readFile(t, deployPath("prometheus", "alerts.yaml"))
	qs, anchors, err := ParseRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckQueries(exported(t), qs); err != nil {
		t.Fatal(err)
	}
	docAnchors := MarkdownAnchors(readFile(t, repoRoot+"/docs/operations.md"))
	for _, a := range anchors {
		if !docAnchors[a] {
			t.Errorf("runbook anchor #%s: no such heading in docs/operations.md", a)
		}
	}
	tests := string(readFile(t, deployPath("prometheus", "alerts_test.yaml")))
	for _, q := range qs {
		name := q.Where[strings.Index(q.Where, "(")+1 : len(q.Where)-1]
		if !strings.Contains(tests, "alertname: "+name+"\n") {
			t.Errorf("%s: no test in alerts_test.yaml", q.Where)
		}
	}
	for _, a := range wantAlerts {
		if !strings.Contains(string(rules), "alert: "+a+"\n") {
			t.Errorf("alerts.yaml: got no alert %s; want one", a)
		}
	}
}

// TestRulesRejects feeds broken rules to the checks.
func TestRulesRejects(t *testing.T) {
	const ok = `groups:
  - name: g
    rules:
      - alert: A
        expr: max(quarry_coordinator_queue_depth) > 0
        for: 5m
        labels: {severity: warning}
        annotations:
          summary: s
          description: d
          runbook_url: ` + runbookPrefix + `quarryqueuestuck
`
	c := exported(t)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"no for", "        for: 5m\n", "", "no for:"},
		{"bad severity", "severity: warning", "severity: page", "severity"},
		{"no description", "          description: d\n", "", "description"},
		{"foreign runbook", runbookPrefix, "https://example.com/#", "runbook_url"},
		{"unknown field", "        for: 5m\n", "        for: 5m\n        fro: 5m\n", "fro"},
		{"unknown metric", "quarry_coordinator_queue_depth", "quarry_queue_depth", "no process exports"},
		{"bad promql", "> 0", "> > 0", "parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qs, _, err := ParseRules([]byte(strings.Replace(ok, tc.old, tc.new, 1)))
			if err == nil {
				err = CheckQueries(c, qs)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v; want one containing %q", err, tc.want)
			}
		})
	}
	qs, _, err := ParseRules([]byte(ok))
	if err == nil {
		err = CheckQueries(c, qs)
	}
	if err != nil {
		t.Errorf("good rules: got %v; want no error", err)
	}
}

func TestMarkdownAnchors(t *testing.T) {
	got := MarkdownAnchors([]byte("# Operating Quarry\n## Reading the dashboard\n```\n# not a heading\n```\n#### QuarryNoLeader\n### Cluster overview (row 1)\n## Sizing\n## Sizing\n"))
	for _, want := range []string{"operating-quarry", "reading-the-dashboard", "quarrynoleader", "cluster-overview-row-1", "sizing", "sizing-1"} {
		if !got[want] {
			t.Errorf("anchors %v: got no %q; want it", got, want)
		}
	}
	if got["not-a-heading"] {
		t.Errorf("anchors: got %q from a code block; want none", "not-a-heading")
	}
}

// TestOperationsDocListsEveryFamily checks that docs/operations.md's
// metrics tables name every quarry_ family the processes export, and no
// family they do not: the operator's reference cannot drift from the code.
func TestOperationsDocListsEveryFamily(t *testing.T) {
	doc := string(readFile(t, repoRoot+"/docs/operations.md"))
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(quarry_[a-z_]+)`").FindAllStringSubmatch(doc, -1) {
		listed[m[1]] = true
	}
	cat := exported(t)
	for _, name := range cat.Names() {
		if strings.HasPrefix(name, "quarry_") && !listed[name] {
			t.Errorf("docs/operations.md: family %s is exported but has no row in the metrics tables", name)
		}
	}
	for name := range listed {
		if !cat.Has(name) {
			t.Errorf("docs/operations.md: family %s has a row but no process exports it", name)
		}
	}
}
