// Command kubeschemas writes the JSON schemas kubeconform validates the
// Kubernetes manifests against, without a network: from the OpenAPI v2
// document that the k8s.io/kubernetes Go module carries
// (api/openapi-spec/swagger.json) and from CustomResourceDefinition
// files (the prometheus-operator module's ServiceMonitor CRD).
//
// Usage:
//
//	kubeschemas -swagger DIR/api/openapi-spec/swagger.json \
//	    -crd FILE.yaml [-crd FILE.yaml …] -out DIR
//
// It writes one self-contained schema per kind and version in kubeconform's
// layout, DIR/KIND-GROUP-VERSION.json (KIND lower case, GROUP the first
// label of the API group, absent for the core group), so that
// `kubeconform -schema-location 'DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json'`
// finds them. The schemas are strict: an object that lists its properties
// allows no others (unless it says otherwise), so a misspelt field fails.
// scripts/deps.sh runs it once and caches the result under bin/.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var crds multiFlag
	swagger := flag.String("swagger", "", "Kubernetes OpenAPI v2 document (swagger.json)")
	out := flag.String("out", "", "folder to write the schemas into")
	flag.Var(&crds, "crd", "CustomResourceDefinition YAML file (repeatable)")
	flag.Parse()
	if *swagger == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: kubeschemas -swagger swagger.json [-crd crd.yaml …] -out DIR")
		os.Exit(2)
	}
	n, err := run(*swagger, crds, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeschemas:", err)
		os.Exit(1)
	}
	fmt.Printf("kubeschemas: %d schemas in %s\n", n, *out)
}

// run writes every schema and returns how many it wrote.
func run(swagger string, crds []string, out string) (int, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	schemas, err := fromSwagger(swagger)
	if err != nil {
		return 0, err
	}
	for _, c := range crds {
		s, err := fromCRD(c)
		if err != nil {
			return 0, err
		}
		for k, v := range s {
			schemas[k] = v
		}
	}
	for name, data := range schemas {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return 0, err
		}
	}
	return len(schemas), nil
}

// fileName is kubeconform's name for the schema of kind in group/version.
func fileName(kind, group, version string) string {
	name := strings.ToLower(kind)
	if g, _, _ := strings.Cut(group, "."); g != "" {
		name += "-" + strings.ToLower(g)
	}
	return name + "-" + strings.ToLower(version) + ".json"
}

// crd is the part of a CustomResourceDefinition read here.
type crd struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Group string `yaml:"group"`
		Names struct {
			Kind string `yaml:"kind"`
		} `yaml:"names"`
		Versions []struct {
			Name   string `yaml:"name"`
			Served bool   `yaml:"served"`
			Schema struct {
				OpenAPIV3Schema map[string]any `yaml:"openAPIV3Schema"`
			} `yaml:"schema"`
		} `yaml:"versions"`
	} `yaml:"spec"`
}

// fromCRD returns a strict schema per served version of a
// CustomResourceDefinition file.
func fromCRD(path string) (map[string][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c crd
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("%s: kind %q is not CustomResourceDefinition", path, c.Kind)
	}
	out := map[string][]byte{}
	for _, v := range c.Spec.Versions {
		if !v.Served || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		s, err := json.MarshalIndent(strictify(v.Schema.OpenAPIV3Schema), "", " ")
		if err != nil {
			return nil, fmt.Errorf("%s: version %s: %w", path, v.Name, err)
		}
		out[fileName(c.Spec.Names.Kind, c.Spec.Group, v.Name)] = s
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no served version with a schema", path)
	}
	return out, nil
}
