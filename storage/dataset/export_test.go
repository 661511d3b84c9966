package dataset

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/quarrydata/quarry/storage/format"
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

// Samples returns the samples of skipped lines a merge keeps.
func (m *Merged) Samples() []*format.LineError { return m.samples }

// DecodeShuffleHead and DecodeShuffleSection expose the shuffle decoders
// to the fuzz test.
var DecodeShuffleHead = decodeHead

// DecodeShuffleSection decodes a section of bucket b of 3.
func DecodeShuffleSection(data []byte, kind Kind) error {
	_, err := decodeSection(data, kind, 3, 1, 50, 5)
	return err
}

// ShuffleSections returns the payloads of an encoded shuffle object.
func ShuffleSections(data []byte) [][]byte {
	n := int(binary.LittleEndian.Uint32(data[6:]))
	var out [][]byte
	for i := range n {
		off := binary.LittleEndian.Uint64(data[10+8*i:])
		end := binary.LittleEndian.Uint64(data[10+8*(i+1):])
		out = append(out, data[off:end-trailerLen])
	}
	return out
}
