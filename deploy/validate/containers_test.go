package validate

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestCompose loads deploy/compose/compose.yaml under the Compose
// specification and checks the laptop cluster's services and the quarry
// flags they pass.
func TestCompose(t *testing.T) {
	ctx := context.Background()
	p, err := LoadCompose(ctx, deployPath("compose", "compose.yaml"), map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	names := p.ServiceNames()
	sort.Strings(names)
	want := []string{"coordinator-1", "coordinator-2", "coordinator-3", "crmapi", "etcd", "grafana", "minio", "minio-init", "prometheus", "worker-1", "worker-2"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("services: got %v; want %v", names, want)
	}
	cmds := QuarryCommands(p, "Dockerfile")
	if len(cmds) != 6 {
		t.Errorf("got %d services built from the Dockerfile; want 6 (3 coordinators, 2 workers, crmapi)", len(cmds))
	}
	bin := quarry(t)
	for name, args := range cmds {
		t.Run(name, func(t *testing.T) {
			if err := CheckArgs(ctx, bin, args); err != nil {
				t.Error(err)
			}
		})
	}
	// The files the compose file mounts exist.
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != "bind" {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s mounts %s: %v", s.Name, v.Source, err)
			}
		}
	}
}

// TestComposeRejects loads broken copies of the compose file.
func TestComposeRejects(t *testing.T) {
	good := string(readFile(t, deployPath("compose", "compose.yaml")))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown service key", "    stop_grace_period: 10m\n", "    stop_grace_periodd: 10m\n", "stop_grace_periodd"},
		{"wrong type", `ports: ["7800:7800"]`, `ports: 7800`, "ports"},
		{"undeclared volume", "volumes: [etcd:/etcd-data]", "volumes: [etcd-data:/etcd-data]", "etcd-data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("compose.yaml has no %q to break", tc.old)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(path, []byte(strings.Replace(good, tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadCompose(context.Background(), path, map[string]string{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v; want one containing %q", err, tc.want)
			}
		})
	}
}

// TestDockerfile parses deploy/docker/Dockerfile and checks its final
// stage: distroless, a non-root USER, the quarry binary as entrypoint,
// built static and without build paths.
func TestDockerfile(t *testing.T) {
	data := readFile(t, deployPath("docker", "Dockerfile"))
	info, err := ParseDockerfile(data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.FinalBase, "gcr.io/distroless/static") {
		t.Errorf("final base: got %s; want gcr.io/distroless/static…", info.FinalBase)
	}
	if got := strings.Join(info.Entrypoint, " "); got != "/usr/local/bin/quarry" {
		t.Errorf("entrypoint: got %q; want /usr/local/bin/quarry", got)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("Dockerfile: got no %s; want the build to use it", want)
		}
	}
}

// TestDockerfileRejects parses broken Dockerfiles.
func TestDockerfileRejects(t *testing.T) {
	good := string(readFile(t, deployPath("docker", "Dockerfile")))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"no user", "USER 65532:65532\n", "", "has no user"},
		{"root user", "USER 65532:65532\n", "USER root\n", "is root"},
		{"uid 0", "USER 65532:65532\n", "USER 0:0\n", "is root"},
		{"unknown instruction", "WORKDIR /src\n", "WORKDIRR /src\n", "unknown instruction"},
		{"one stage", "", "", "stage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(good, tc.old, tc.new, 1)
			if tc.name == "one stage" {
				src = "FROM scratch\nUSER 1000\n"
			} else if src == good {
				t.Fatalf("Dockerfile has no %q to break", tc.old)
			}
			_, err := ParseDockerfile([]byte(src))
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), tc.want) {
				t.Errorf("got error %v; want one containing %q", err, tc.want)
			}
		})
	}
}
