package crmapi

import (
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The hot answers (profiles and recommendations) are encoded by hand,
// straight from the model (encode.go, encode_profile.go): encoding/json's
// reflection, and building the answer's structs first, were most of a
// lookup's time. The output is byte for byte what json.Marshal writes of
// the answer's struct (fast_json_test.go checks it on every customer of
// the test models and on random strings and numbers); anything that cannot
// be written the same way (NaN, ±Inf) makes the encoder give up, and the
// handler falls back to json.Marshal, which refuses it as before.

// bufPool recycles answer buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// getBuf returns an empty pooled buffer.
func getBuf() *[]byte {
	bp := bufPool.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

// putBuf returns a buffer to the pool with data, the buffer's latest
// contents (it may have grown), unless it grew too large to keep.
func putBuf(bp *[]byte, data []byte) {
	if cap(data) > 1<<20 {
		return // keep the pool's buffers modest
	}
	*bp = data[:0]
	bufPool.Put(bp)
}

// appendJSONFloat appends f as encoding/json does, false for NaN and ±Inf.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	abs := math.Abs(f)
	if abs < 1e15 && f == math.Trunc(f) && (f != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(b, int64(f), 10), true // quantities, counts: the common case
	}
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(b) - start
		if n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b, true
}

// appendJSONAmount is appendJSONFloat, faster on amounts of one or two
// decimals (prices, quantities): f = n/10^d exactly for the integer n
// nearest f·10^d means the decimal n·10^-d reads back as f, and as no
// shorter one does (tried first) it is the shortest form strconv writes.
// Below 1e9 a float's spacing is under 10^-6, so at most one decimal of
// d ≤ 2 places reads back as f.
func appendJSONAmount(b []byte, f float64) ([]byte, bool) {
	abs := math.Abs(f)
	if abs >= 1e-2 && abs < 1e9 && f != math.Trunc(f) {
		for d, p := range [...]float64{10, 100} {
			v := math.Round(f * p)
			if v/p != f {
				continue
			}
			n := int64(math.Abs(v))
			if f < 0 {
				b = append(b, '-')
			}
			b = strconv.AppendInt(b, n/int64(p), 10)
			frac := n % int64(p)
			if d == 0 {
				return append(b, '.', byte('0'+frac)), true
			}
			return append(b, '.', byte('0'+frac/10), byte('0'+frac%10)), true
		}
	}
	return appendJSONFloat(b, f)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json does by default: the
// HTML characters <, > and & escaped, invalid UTF-8 as \ufffd, U+2028 and
// U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONStrings appends vs as a JSON array (null when nil).
func appendJSONStrings(b []byte, vs []string) []byte {
	if vs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}
