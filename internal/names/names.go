// Package names checks the names Quarry builds object keys from (dataset
// names, job and request ids) and quotes user input in errors without
// letting a hostile value flood them.
package names

import (
	"fmt"
	"regexp"
	"strconv"
)

// Rule describes a valid name for error messages.
const Rule = "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$`)

// Valid reports whether s follows Rule: safe as one segment of an object
// key (no '/', no "..", nothing hidden).
func Valid(s string) bool { return nameRE.MatchString(s) }

// QuoteShort quotes s, cut to its first 64 bytes when longer, so that a
// hostile value cannot flood an error message.
func QuoteShort(s string) string {
	if len(s) <= 64 {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:64], len(s))
}
