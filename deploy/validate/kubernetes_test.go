package validate

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/coordinator"
	"gopkg.in/yaml.v3"
)

// TestKubernetesManifests checks what kubeconform does not: the
// kustomization lists every manifest, the workloads keep the house rules,
// and the quarry flags of their containers exist.
func TestKubernetesManifests(t *testing.T) {
	ctx := context.Background()
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(readFile(t, deployPath("kubernetes", "kustomization.yaml")), &k); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(deployPath("kubernetes", "*.yaml"))
	var want []string
	for _, f := range files {
		switch b := filepath.Base(f); b {
		case "kustomization.yaml", "prometheus-adapter.yaml": // applied apart
		default:
			want = append(want, b)
		}
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("kustomization resources: got %v; want %v", got, want)
	}
	bin := quarry(t)
	kinds := map[string]int{}
	for _, f := range files {
		objs, err := DecodeManifests(f, readFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			kinds[o.Kind]++
			if o.Kind == "Secret" && o.Metadata.Name == "quarry-cluster-tokens" {
				checkClusterTokens(t, o)
			}
			if o.Kind != "Deployment" && o.Kind != "StatefulSet" {
				continue
			}
			t.Run(o.Metadata.Name, func(t *testing.T) {
				if err := CheckWorkload(o); err != nil {
					t.Error(err)
				}
				for _, c := range o.Spec.Template.Spec.Containers {
					if err := CheckArgs(ctx, bin, ExpandArgs(c.Args)); err != nil {
						t.Errorf("%s: %v", o.File, err)
					}
					// A preStop hook runs the image's quarry binary.
					if hook := c.Lifecycle.PreStop.Exec.Command; len(hook) > 0 {
						if hook[0] != "/usr/local/bin/quarry" {
							t.Errorf("%s: container %s: preStop runs %q; want /usr/local/bin/quarry (the image's)", o.File, c.Name, hook[0])
						} else if err := CheckArgs(ctx, bin, ExpandArgs(hook[1:])); err != nil {
							t.Errorf("%s: container %s: preStop: %v", o.File, c.Name, err)
						}
					}
				}
			})
		}
	}
	for kind, n := range map[string]int{"StatefulSet": 1, "Deployment": 2, "HorizontalPodAutoscaler": 1,
		"PodDisruptionBudget": 2, "ServiceMonitor": 3, "ConfigMap": 2, "Secret": 3} {
		if kinds[kind] != n {
			t.Errorf("%s objects: got %d; want %d", kind, kinds[kind], n)
		}
	}
}

// TestCheckWorkloadRejects checks the house rules catch a broken pod.
func TestCheckWorkloadRejects(t *testing.T) {
	good := string(readFile(t, deployPath("kubernetes", "crmapi.yaml")))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"root allowed", "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot"},
		{"writable root", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"},
		{"no limits", "            limits: {cpu: \"2\", memory: 2Gi}\n", "", "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := DecodeManifests("crmapi.yaml", []byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			err = CheckWorkload(objs[0])
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v; want one containing %q", err, tc.want)
			}
		})
	}
	if got := ExpandArgs([]string{"--id=$(POD_NAME)", "--raft-addr=$(POD_IP):7702"}); strings.Join(got, " ") != "--id=x --raft-addr=x:7702" {
		t.Errorf("ExpandArgs: got %v; want --id=x --raft-addr=x:7702", got)
	}
}

// checkClusterTokens checks that the cluster token Secret's file is one
// the coordinator accepts and that its worker-token holds the worker role.
func checkClusterTokens(t *testing.T, o Object) {
	t.Helper()
	toks, err := coordinator.ParseTokens(strings.NewReader(o.StringData["tokens"]))
	if err != nil {
		t.Fatalf("%s: secret %s: tokens: %v", o.File, o.Metadata.Name, err)
	}
	if _, roles, ok := toks.Lookup(o.StringData["worker-token"]); !ok || !roles.Allows(coordinator.PermWorker) {
		t.Errorf("%s: secret %s: worker-token is not a token of the file with the worker role", o.File, o.Metadata.Name)
	}
}
