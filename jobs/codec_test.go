package jobs

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 500; trial++ {
		var sets [][]uint32
		var pats [][][]uint32
		var counts []int
		for range r.IntN(20) {
			s := randomSorted(r)
			sets = append(sets, s)
			pats = append(pats, [][]uint32{s, randomSorted(r)})
			counts = append(counts, r.IntN(1<<30))
		}
		gs, err := decodeItemLists(encodeItemLists(sets))
		if err != nil || len(gs) != len(sets) {
			t.Fatalf("item lists: got %v, %v; want %v", gs, err, sets)
		}
		for i := range sets {
			if !slices.Equal(gs[i], sets[i]) {
				t.Fatalf("item list %d: got %v; want %v", i, gs[i], sets[i])
			}
		}
		gc, err := decodeCounts(encodeCounts(counts))
		if err != nil || !slices.Equal(gc, counts) && len(counts) > 0 {
			t.Fatalf("counts: got %v, %v; want %v", gc, err, counts)
		}
		gp, err := decodePatterns(encodePatterns(pats))
		if err != nil || len(gp) != len(pats) {
			t.Fatalf("patterns: got %v, %v; want %v", gp, err, pats)
		}
	}
}

func randomSorted(r *rand.Rand) []uint32 {
	var s []uint32
	v := uint32(0)
	for range 1 + r.IntN(6) {
		v += 1 + uint32(r.IntN(1000))
		s = append(s, v)
	}
	return s
}

// TestDecodeCorrupt checks that truncated and mutated objects fail with
// ErrCorrupt rather than panicking or allocating wildly.
func TestDecodeCorrupt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	good := encodePatterns([][][]uint32{{{1, 2}, {3}}, {{4}}})
	for i := 0; i < 2000; i++ {
		b := slices.Clone(good)
		switch i % 3 {
		case 0:
			b = b[:r.IntN(len(b))]
		case 1:
			b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		default:
			b = append(b[:6], byte(r.IntN(256)), 0xff, 0xff, 0xff, 0xff, 0x0f)
		}
		if _, err := decodePatterns(b); err == nil || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("case %d: got %v; want ErrCorrupt", i, err)
		}
	}
	if _, err := decodeCounts(good); !errors.Is(err, ErrCorrupt) {
		t.Errorf("wrong kind: got %v; want ErrCorrupt", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encodeItemLists([][]uint32{{1, 2}}))
	f.Add(encodePatterns([][][]uint32{{{1}, {2, 3}}}))
	f.Add(encodeFeatureRows(&featureRows{IDs: []int64{0}, Customers: []string{"a"}, Cols: 1, Raw: []float64{1}}, kindFeatures))
	f.Add(encodeCounted([][][]uint32{{{1, 2}}, {{3}}}, []int{4, 5}, false))
	f.Add(encodeCounted([][][]uint32{{{1}, {2, 3}}}, []int{4}, true))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Decode the input as is, then with its checksum fixed so that the
		// mutations reach the payload decoders.
		for range 2 {
			decodeItemLists(b)
			decodeCounts(b)
			decodePatterns(b)
			decodeStrings(b)
			decodeFeatureRows(b)
			decodeAssigned(b)
			decodeCounted(b, false)
			decodeCounted(b, true)
			if len(b) < 10 {
				return
			}
			b = append([]byte(nil), b...)
			binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
		}
	})
}
