package validate

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// systemdAnalyze finds systemd-analyze or fails the test: the units are
// checked on every machine that runs `make test`.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze: %v (install systemd, Debian package systemd)", err)
	}
	return p
}

// units returns the unit files under deploy/systemd.
func units(t *testing.T) []string {
	t.Helper()
	us, err := filepath.Glob(deployPath("systemd", "*.service"))
	if err != nil || len(us) != 3 {
		t.Fatalf("deploy/systemd/*.service: got %v (%v); want the coordinator, worker and crmapi units", us, err)
	}
	return us
}

// TestSystemdUnits verifies the units with systemd-analyze and checks the
// flags of their ExecStart lines against the quarry binary, and the
// worker's stop settings.
func TestSystemdUnits(t *testing.T) {
	ctx := context.Background()
	us := units(t)
	if err := VerifyUnits(ctx, systemdAnalyze(t), us); err != nil {
		t.Fatal(err)
	}
	bin := quarry(t)
	for _, u := range us {
		data := readFile(t, u)
		t.Run(filepath.Base(u), func(t *testing.T) {
			if err := CheckArgs(ctx, bin, ExecArgs(data, map[string]string{"%H": "host1"})); err != nil {
				t.Error(err)
			}
			for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=", "EnvironmentFile="} {
				if !strings.Contains(string(data), "\n"+want) {
					t.Errorf("got no %s; want it", want)
				}
			}
		})
	}
	worker := string(readFile(t, deployPath("systemd", "quarry-worker.service")))
	for _, want := range []string{"\nKillSignal=SIGTERM\n", "\nTimeoutStopSec=15min\n"} {
		if !strings.Contains(worker, want) {
			t.Errorf("quarry-worker.service: got no %q; want it (SIGTERM drains)", strings.TrimSpace(want))
		}
	}
}

// TestSystemdRejects verifies broken copies of a unit.
func TestSystemdRejects(t *testing.T) {
	sa := systemdAnalyze(t)
	good := string(readFile(t, deployPath("systemd", "quarry-worker.service")))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown key", "KillMode=mixed\n", "KillMode=mixed\nKilMode=mixed\n", "Unknown key"},
		{"bad value", "KillMode=mixed\n", "KillMode=gently\n", "kill mode"},
		{"relative exec", "ExecStart=/usr/local/bin/quarry", "ExecStart=quarry", "not executable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "quarry-worker.service")
			if err := os.WriteFile(path, []byte(strings.Replace(good, tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			err := VerifyUnits(context.Background(), sa, []string{path})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v; want one containing %q", err, tc.want)
			}
		})
	}
}
