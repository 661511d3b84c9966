//go:build !linux

package local

import "os"

// setSHA256 is a no-op where extended attributes are not wired up.
func setSHA256(*os.File, string) {}

// getSHA256 returns "": no checksum is stored on this platform.
func getSHA256(*os.File) string { return "" }
