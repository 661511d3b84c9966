package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// defPrefix starts every reference between definitions.
const defPrefix = "#/definitions/"

// numberDefs are definitions that OpenAPI declares as strings but that
// manifests write as numbers too (cpu: 1, targetPort: 8080).
var numberDefs = map[string]string{
	"io.k8s.apimachinery.pkg.api.resource.Quantity":   "number",
	"io.k8s.apimachinery.pkg.util.intstr.IntOrString": "integer",
}

// gvk is one x-kubernetes-group-version-kind entry.
type gvk struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// fromSwagger returns a schema per top-level kind of the OpenAPI v2
// document: the kind's definition with every definition it reaches
// (transitively) under "definitions", references left as they are.
func fromSwagger(path string) (map[string][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Definitions) == 0 {
		return nil, fmt.Errorf("%s: no definitions", path)
	}
	defs := map[string]map[string]any{}
	for name, d := range doc.Definitions {
		if t, ok := numberDefs[name]; ok {
			d = map[string]any{"description": d["description"], "oneOf": []any{
				map[string]any{"type": "string"}, map[string]any{"type": t},
			}}
		}
		defs[name] = strictify(d).(map[string]any)
	}
	out := map[string][]byte{}
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		raw, ok := doc.Definitions[name]["x-kubernetes-group-version-kind"]
		if !ok {
			continue
		}
		b, _ := json.Marshal(raw)
		var kinds []gvk
		if err := json.Unmarshal(b, &kinds); err != nil {
			return nil, fmt.Errorf("%s: %s: x-kubernetes-group-version-kind: %w", path, name, err)
		}
		reach := map[string]any{}
		collect(defs, defs[name], reach)
		for _, k := range kinds {
			s := map[string]any{}
			for key, v := range defs[name] {
				s[key] = v
			}
			s["definitions"] = reach
			data, err := json.MarshalIndent(s, "", " ")
			if err != nil {
				return nil, err
			}
			out[fileName(k.Kind, k.Group, k.Version)] = data
		}
	}
	return out, nil
}

// collect adds to reach every definition node references, transitively.
func collect(defs map[string]map[string]any, node any, reach map[string]any) {
	switch n := node.(type) {
	case map[string]any:
		if ref, ok := n["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, defPrefix)
			if _, seen := reach[name]; !seen {
				if d, ok := defs[name]; ok {
					reach[name] = d
					collect(defs, d, reach)
				}
			}
		}
		for _, v := range n {
			collect(defs, v, reach)
		}
	case []any:
		for _, v := range n {
			collect(defs, v, reach)
		}
	}
}

// strictify returns a copy of a schema node in which every object that
// lists properties and says nothing of others allows no others
// (additionalProperties: false), except where Kubernetes keeps unknown
// fields (x-kubernetes-preserve-unknown-fields).
func strictify(node any) any {
	switch n := node.(type) {
	case map[string]any:
		c := make(map[string]any, len(n)+1)
		for k, v := range n {
			if k == "properties" {
				// Property names are not schema keywords: copy the map,
				// strictify the schemas in it.
				props := map[string]any{}
				for pk, pv := range v.(map[string]any) {
					props[pk] = strictify(pv)
				}
				c[k] = props
				continue
			}
			c[k] = strictify(v)
		}
		_, hasProps := n["properties"]
		_, hasAdd := n["additionalProperties"]
		if keep, _ := n["x-kubernetes-preserve-unknown-fields"].(bool); hasProps && !hasAdd && !keep {
			c["additionalProperties"] = false
		}
		return c
	case []any:
		c := make([]any, len(n))
		for i, v := range n {
			c[i] = strictify(v)
		}
		return c
	}
	return node
}
