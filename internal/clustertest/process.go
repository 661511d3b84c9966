package clustertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Process is a running child process whose stdout and stderr go to one log
// file.
type Process struct {
	// Name names the process in messages, e.g. "coordinator c0".
	Name string
	// LogPath is the file holding the process's output.
	LogPath string

	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed once the process exited
	err  error         // the exit error; read after done is closed
}

// Start starts bin with args, its output going to a new log file in dir.
// The child gets the parent's environment without the QUARRY_* and AWS_*
// variables, plus env ("K=V" entries), so that flags and env decide alone.
func Start(name, dir, bin string, env []string, args ...string) (*Process, error) {
	logPath := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(os.Environ()), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, log: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// cleanEnv drops the variables that would configure a quarry process
// behind the test's back.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "QUARRY_") || strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "MINIO_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done returns a channel closed once the process exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for the process to exit and returns its exit
// error (nil for status 0); it fails when the process still runs.
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.Name, timeout)
	}
}

// Kill sends SIGKILL and waits until the process is gone. Killing an
// exited process does nothing.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	// An error means the process exited meanwhile; waiting settles it.
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop sends SIGTERM, waits up to grace for a clean exit and kills the
// process after that; it returns the exit error of a clean exit.
func (p *Process) Stop(grace time.Duration) error {
	if p.Exited() {
		return p.err
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%s ignored SIGTERM for %v; killed", p.Name, grace)
	}
}

// Pause stops the process with SIGSTOP, as a stalled machine would; it
// keeps its sockets and leases but answers nothing until Resume.
func (p *Process) Pause() error { return p.signal(syscall.SIGSTOP) }

// Resume continues a paused process with SIGCONT.
func (p *Process) Resume() error { return p.signal(syscall.SIGCONT) }

// signal sends sig unless the process exited.
func (p *Process) signal(sig syscall.Signal) error {
	if p.Exited() {
		return fmt.Errorf("signal %s: %s exited", sig, p.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s to %s: %w", sig, p.Name, err)
	}
	return nil
}

// Output returns what the process wrote so far.
func (p *Process) Output() string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(read %s: %v)", p.LogPath, err)
	}
	return string(b)
}

// Tail returns at most the last n bytes of what the process wrote, from
// the start of a line.
func (p *Process) Tail(n int) string {
	out := p.Output()
	if len(out) <= n {
		return out
	}
	out = out[len(out)-n:]
	if i := strings.IndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	return "…\n" + out
}
