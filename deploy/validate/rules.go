package validate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// RuleFile is a Prometheus rule file, as far as the checks read it;
// promtool check rules checks the rest.
type RuleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []Rule `yaml:"rules"`
	} `yaml:"groups"`
}

// Rule is one alerting or recording rule.
type Rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// severities are the severity labels alerts may carry.
var severities = map[string]bool{"critical": true, "warning": true, "info": true}

// runbookPrefix is where every alert's runbook_url points: an anchor of
// the operations guide.
const runbookPrefix = "https://github.com/quarrydata/quarry/blob/main/docs/operations.md#"

// ParseRules decodes a rule file (unknown fields are errors) and checks
// the house rules promtool does not: every alert has a for: duration, a
// severity label of critical, warning or info, summary and description
// annotations, and a runbook_url into docs/operations.md. It returns the
// rules' expressions as queries, and the runbook anchors used.
func ParseRules(data []byte) ([]Query, []string, error) {
	var f RuleFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("rules: %w", err)
	}
	if len(f.Groups) == 0 {
		return nil, nil, fmt.Errorf("rules: no group")
	}
	var qs []Query
	var anchors []string
	for _, g := range f.Groups {
		for i, r := range g.Rules {
			name := r.Alert
			if name == "" {
				name = r.Record
			}
			where := fmt.Sprintf("group %q rule %d (%s)", g.Name, i+1, name)
			qs = append(qs, Query{Where: where, Expr: r.Expr})
			if r.Alert == "" {
				continue
			}
			switch {
			case r.For == "":
				return nil, nil, fmt.Errorf("rules: %s: no for: duration", where)
			case !severities[r.Labels["severity"]]:
				return nil, nil, fmt.Errorf("rules: %s: severity %q is not critical, warning or info", where, r.Labels["severity"])
			case r.Annotations["summary"] == "" || r.Annotations["description"] == "":
				return nil, nil, fmt.Errorf("rules: %s: summary and description annotations are required", where)
			}
			anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], runbookPrefix)
			if !ok || anchor == "" {
				return nil, nil, fmt.Errorf("rules: %s: runbook_url %q is not %s<anchor>", where, r.Annotations["runbook_url"], runbookPrefix)
			}
			anchors = append(anchors, anchor)
		}
	}
	return qs, anchors, nil
}

// MarkdownAnchors returns the anchors GitHub gives the headings of a
// Markdown document: the heading text in lower case, spaces as hyphens,
// punctuation other than hyphens and underscores dropped; a repeated
// anchor gets -1, -2 … Headings inside fenced code blocks do not count.
func MarkdownAnchors(md []byte) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(string(md), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(text) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			seen[a]++
			a = a + "-" + strconv.Itoa(n)
		} else {
			seen[a] = 1
		}
		out[a] = true
	}
	return out
}
