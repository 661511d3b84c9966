package dataset

import (
	"encoding/binary"
	"hash/crc32"
)

// WithTrailer returns data with its last four bytes replaced by the CRC-32C
// of the rest (data is returned unchanged when shorter than that), so that
// fuzzed bodies get past the checksum.
func WithTrailer(data []byte) []byte {
	if len(data) < trailerLen {
		return data
	}
	out := append([]byte(nil), data...)
	body := out[:len(out)-trailerLen]
	binary.LittleEndian.PutUint32(out[len(body):], crc32.Checksum(body, castagnoli))
	return out
}
