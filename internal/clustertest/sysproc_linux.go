//go:build linux

package clustertest

import "syscall"

// sysProcAttr makes the kernel kill a child if the test process dies first,
// so a crashed test leaks no cluster.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
