package validate

import (
	"encoding/json"
	"fmt"
)

// Dashboard is the part of a Grafana dashboard JSON model the checks read.
type Dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []Panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"list"`
	} `json:"templating"`
}

// Panel is a dashboard panel; a row holds its collapsed panels in Panels.
type Panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	Targets    []Target        `json:"targets"`
	Panels     []Panel         `json:"panels"`
}

// Target is one query of a panel.
type Target struct {
	RefID string `json:"refId"`
	Expr  string `json:"expr"`
}

// Query is one PromQL expression of the dashboard and where it is.
type Query struct {
	Where string // panel id and title, and the target's refId
	Expr  string
}

// ParseDashboard decodes a dashboard and checks its structure: a uid and
// title, a datasource variable, every panel with an id unique in the
// dashboard and a title, every panel that is not a row or text with at
// least one query, and every query's datasource the ${datasource}
// variable. It returns the queries, to be checked against the metrics.
func ParseDashboard(data []byte) (*Dashboard, []Query, error) {
	var d Dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, nil, fmt.Errorf("dashboard: %w", err)
	}
	if d.UID == "" || d.Title == "" {
		return nil, nil, fmt.Errorf("dashboard: uid and title are required")
	}
	hasDS := false
	for _, v := range d.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" {
			hasDS = true
		}
	}
	if !hasDS {
		return nil, nil, fmt.Errorf("dashboard: no templating variable \"datasource\" of type datasource")
	}
	ids := map[int]string{}
	var queries []Query
	var walk func(ps []Panel) error
	walk = func(ps []Panel) error {
		for _, p := range ps {
			where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if p.ID <= 0 {
				return fmt.Errorf("dashboard: panel %q: no id", p.Title)
			}
			if prev, dup := ids[p.ID]; dup {
				return fmt.Errorf("dashboard: %s: id %d already used by panel %q", where, p.ID, prev)
			}
			ids[p.ID] = p.Title
			if p.Title == "" {
				return fmt.Errorf("dashboard: panel %d: no title", p.ID)
			}
			switch p.Type {
			case "row":
				if err := walk(p.Panels); err != nil {
					return err
				}
				continue
			case "text":
				continue
			}
			if len(p.Targets) == 0 {
				return fmt.Errorf("dashboard: %s: no query", where)
			}
			if err := checkDatasource(p.Datasource); err != nil {
				return fmt.Errorf("dashboard: %s: %w", where, err)
			}
			for _, t := range p.Targets {
				if t.Expr == "" {
					return fmt.Errorf("dashboard: %s, target %s: empty expr", where, t.RefID)
				}
				queries = append(queries, Query{Where: fmt.Sprintf("%s, target %s", where, t.RefID), Expr: t.Expr})
			}
		}
		return nil
	}
	if err := walk(d.Panels); err != nil {
		return nil, nil, err
	}
	return &d, queries, nil
}

// checkDatasource checks that a panel's datasource is the ${datasource}
// variable, as a string or as {"type": "prometheus", "uid": "${datasource}"}.
func checkDatasource(raw json.RawMessage) error {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "${datasource}" || s == "$datasource" {
			return nil
		}
		return fmt.Errorf("datasource %q is not ${datasource}", s)
	}
	var ref struct {
		Type, UID string
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		return fmt.Errorf("datasource %s: %w", raw, err)
	}
	if ref.UID != "${datasource}" && ref.UID != "$datasource" {
		return fmt.Errorf("datasource uid %q is not ${datasource}", ref.UID)
	}
	return nil
}

// CheckQueries parses every query and returns an error naming the first
// that does not parse or names a metric missing from the catalog.
func CheckQueries(c *Catalog, qs []Query) error {
	for _, q := range qs {
		names, err := MetricNames(q.Expr)
		if err != nil {
			return fmt.Errorf("%s: %w", q.Where, err)
		}
		if len(names) == 0 {
			return fmt.Errorf("%s: %q names no metric", q.Where, q.Expr)
		}
		if u := c.Unknown(names); len(u) > 0 {
			return fmt.Errorf("%s: %q: no process exports %v", q.Where, q.Expr, u)
		}
	}
	return nil
}
