package core

import (
	"fmt"
	"strings"
)

// TempMarker starts the name of the temporary objects and files that
// backends write before moving them into place. Keys whose last segment
// starts with it are rejected so that they can never collide with a
// temporary, and listings skip them.
const TempMarker = ".quarry-tmp-"

// ValidateKey checks that key is a clean relative slash-separated path: not
// empty, at most 1024 bytes, no leading or trailing slash, no empty, "." or
// ".." segments, no backslash, no NUL or other control byte, and no segment
// starting with TempMarker. The error wraps ErrInvalidKey.
func ValidateKey(key string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why)
	}
	switch {
	case key == "":
		return bad("empty")
	case len(key) > 1024:
		return bad("longer than 1024 bytes")
	case strings.HasPrefix(key, "/"):
		return bad("absolute")
	case strings.HasSuffix(key, "/"):
		return bad("ends with a slash")
	case strings.ContainsRune(key, '\\'):
		return bad("contains a backslash")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] == 0x7f {
			return bad("contains a control byte")
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return bad("empty path segment")
		case seg == "." || seg == "..":
			return bad("dot segment")
		case strings.HasPrefix(seg, TempMarker):
			return bad("reserved temporary name")
		}
	}
	return nil
}

// ValidatePrefix checks a listing prefix: "" or a string that would be a
// valid key prefix (no leading slash, no backslash, no dot segments among its
// complete segments).
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if strings.HasPrefix(prefix, "/") || strings.ContainsRune(prefix, '\\') {
		return fmt.Errorf("%w: prefix %q", ErrInvalidKey, prefix)
	}
	segs := strings.Split(prefix, "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg == ".." || (!last && (seg == "" || seg == ".")) {
			return fmt.Errorf("%w: prefix %q", ErrInvalidKey, prefix)
		}
	}
	return nil
}

// IsTempKey reports whether the last segment of key marks a temporary.
func IsTempKey(key string) bool {
	base := key[strings.LastIndexByte(key, '/')+1:]
	return strings.HasPrefix(base, TempMarker)
}
