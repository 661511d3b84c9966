//go:build linux

package local

import (
	"os"

	"golang.org/x/sys/unix"
)

// xattrSHA256 is the extended attribute holding the content's SHA-256.
const xattrSHA256 = "user.quarry.sha256"

// setSHA256 stores sum as an extended attribute of f. File systems without
// user extended attributes simply keep no checksum.
func setSHA256(f *os.File, sum string) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.Fsetxattr(int(fd), xattrSHA256, []byte(sum), 0)
	})
}

// getSHA256 returns the checksum stored with f, or "" if there is none.
func getSHA256(f *os.File) string {
	rc, err := f.SyscallConn()
	if err != nil {
		return ""
	}
	var buf [128]byte
	n := -1
	_ = rc.Control(func(fd uintptr) {
		n, err = unix.Fgetxattr(int(fd), xattrSHA256, buf[:])
	})
	if err != nil || n <= 0 {
		return ""
	}
	return string(buf[:n])
}
