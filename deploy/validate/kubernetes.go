package validate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"

	"gopkg.in/yaml.v3"
)

// Object is one Kubernetes object of a manifest file, decoded loosely;
// kubeconform validates it against the API's schema.
type Object struct {
	File       string
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	// StringData is a Secret's.
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Template struct {
			Spec PodSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// PodSpec is the part of a pod template the checks read.
type PodSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
	Containers                    []struct {
		Name      string   `yaml:"name"`
		Args      []string `yaml:"args"`
		Lifecycle struct {
			PreStop struct {
				Exec struct {
					Command []string `yaml:"command"`
				} `yaml:"exec"`
			} `yaml:"preStop"`
		} `yaml:"lifecycle"`
		Resources struct {
			Requests map[string]any `yaml:"requests"`
			Limits   map[string]any `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		} `yaml:"securityContext"`
	} `yaml:"containers"`
}

// DecodeManifests decodes the objects of a multi-document YAML file.
func DecodeManifests(file string, data []byte) ([]Object, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []Object
	for i := 1; ; i++ {
		var o Object
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i, err)
		}
		if o.Kind == "" {
			continue
		}
		o.File = file
		out = append(out, o)
	}
}

// CheckWorkload checks the house rules of a Deployment's or StatefulSet's
// pod template: runAsNonRoot, and every container with CPU and memory
// requests and limits, a read-only root filesystem and no privilege
// escalation.
func CheckWorkload(o Object) error {
	where := fmt.Sprintf("%s: %s %s", o.File, o.Kind, o.Metadata.Name)
	ps := o.Spec.Template.Spec
	if ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot {
		return fmt.Errorf("%s: securityContext.runAsNonRoot is not true", where)
	}
	if len(ps.Containers) == 0 {
		return fmt.Errorf("%s: no container", where)
	}
	for _, c := range ps.Containers {
		cw := fmt.Sprintf("%s, container %s", where, c.Name)
		for _, r := range []string{"cpu", "memory"} {
			if c.Resources.Requests[r] == nil || c.Resources.Limits[r] == nil {
				return fmt.Errorf("%s: no %s request and limit", cw, r)
			}
		}
		if sc := c.SecurityContext; sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			return fmt.Errorf("%s: securityContext.readOnlyRootFilesystem is not true", cw)
		}
		if sc := c.SecurityContext; sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			return fmt.Errorf("%s: securityContext.allowPrivilegeEscalation is not false", cw)
		}
	}
	return nil
}

// envRef matches a Kubernetes $(VAR) reference in container args.
var envRef = regexp.MustCompile(`\$\([A-Z_][A-Z0-9_]*\)`)

// ExpandArgs replaces the $(VAR) references of container args by a
// placeholder value, as the kubelet would by the variable's value.
func ExpandArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = envRef.ReplaceAllString(a, "x")
	}
	return out
}
