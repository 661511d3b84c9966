package validate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// systemUnitDirs are the folders of the host's own units that a verify
// root needs (sysinit.target, basic.target … that services depend on).
var systemUnitDirs = []string{"/usr/lib/systemd/system", "/lib/systemd/system"}

// VerifyUnits runs `systemd-analyze verify` on the unit files in a
// throw-away root, so that no unit is installed on this machine: the
// root holds the host's system units, the units under test in
// /etc/systemd/system, and an executable stub at every absolute
// ExecStart path (verify checks the command exists). systemd-analyze
// only warns about unknown keys and bad values and still exits 0, so any
// output at all is a failure.
func VerifyUnits(ctx context.Context, systemdAnalyze string, units []string) error {
	root, err := os.MkdirTemp("", "quarry-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	etc := filepath.Join(root, "etc/systemd/system")
	lib := filepath.Join(root, "usr/lib/systemd/system")
	for _, d := range []string{etc, lib} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, d := range systemUnitDirs {
		if err := copyUnits(d, lib); err != nil {
			return err
		}
	}
	var args []string
	for _, u := range units {
		data, err := os.ReadFile(u)
		if err != nil {
			return err
		}
		for _, exe := range ExecPaths(data) {
			stub := filepath.Join(root, exe)
			if err := os.MkdirAll(filepath.Dir(stub), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
				return err
			}
		}
		dst := filepath.Join(etc, filepath.Base(u))
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
		args = append(args, dst)
	}
	cmd := exec.CommandContext(ctx, systemdAnalyze, append([]string{"verify", "--man=no", "--root=" + root}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	msg := strings.TrimSpace(strings.ReplaceAll(out.String(), root, ""))
	switch {
	case err != nil:
		return fmt.Errorf("systemd-analyze verify: %w: %s", err, msg)
	case msg != "":
		return fmt.Errorf("systemd-analyze verify warns: %s", msg)
	}
	return nil
}

// copyUnits copies the regular files of the unit folder src into dst,
// keeping the files already there; a missing src is skipped.
func copyUnits(src, dst string) error {
	ents, err := os.ReadDir(src)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		target := filepath.Join(dst, e.Name())
		if _, err := os.Stat(target); err == nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ExecPaths returns the absolute program paths of a unit's Exec*= lines
// (ExecStart, ExecStop, ExecStartPre …), with their prefixes (-, @, +, !)
// removed.
func ExecPaths(unit []byte) []string {
	var out []string
	for _, line := range strings.Split(string(unit), "\n") {
		key, val, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || !strings.HasPrefix(key, "Exec") {
			continue
		}
		f := strings.Fields(strings.TrimLeft(val, "-@+!:|"))
		if len(f) > 0 && strings.HasPrefix(f[0], "/") {
			out = append(out, f[0])
		}
	}
	return out
}

// ExecArgs returns the arguments after the program of a unit's
// ExecStart= line, with the specifiers in spec replaced (%H by a host
// name, for instance).
func ExecArgs(unit []byte, spec map[string]string) []string {
	for _, line := range strings.Split(string(unit), "\n") {
		val, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart=")
		if !ok {
			continue
		}
		for k, v := range spec {
			val = strings.ReplaceAll(val, k, v)
		}
		f := strings.Fields(val)
		if len(f) > 0 {
			return f[1:]
		}
	}
	return nil
}
