package kmeans

import "math"

// accum gathers the exact partial sums of one worker or partition.
type accum struct {
	k, cols    int
	exps       []int
	scales     []float64
	inertiaExp int
	inertiaSc  float64
	sums       []Int128
	block      []int64 // k×cols int64 sums of the current block
	counts     []int64
	inertia    Int128
	far        []FarPoint // sorted by farLess, at most k
	farRows    []float64  // backing store of far rows
}

func newAccum(s *Step) *accum {
	k, d := s.c.Rows, s.c.Cols
	return &accum{
		k: k, cols: d, exps: s.exps, scales: s.scales,
		inertiaExp: s.inertiaExp, inertiaSc: s.inertiaSc,
		sums: make([]Int128, k*d), counts: make([]int64, k),
		far: make([]FarPoint, 0, k), farRows: make([]float64, 0, k*d),
	}
}

// add accumulates rows of x with their labels and squared distances.
func (a *accum) add(x Matrix, labels []int32, d2 []float64) {
	a.addSums(x, labels)
	a.addInertia(d2)
	a.addFar(x, labels, d2)
}

// addSums adds the quantized rows of x to the sums of their labels, in
// int64 blocks of blockRows rows flushed into the Int128 sums.
func (a *accum) addSums(x Matrix, labels []int32) {
	d := a.cols
	if len(a.block) != a.k*d {
		a.block = make([]int64, a.k*d)
	}
	for lo := 0; lo < len(labels); lo += blockRows {
		hi := min(lo+blockRows, len(labels))
		if d == 8 {
			a.blockSums8(x.Data[lo*8:hi*8], labels[lo:hi])
		} else {
			sc := a.scales[:d]
			for p, l := range labels[lo:hi] {
				row := x.Data[(lo+p)*d : (lo+p)*d+d]
				b := a.block[int(l)*d : int(l)*d+d]
				for i, v := range row {
					b[i] += quantize(v, sc[i])
				}
			}
		}
		for i, v := range a.block {
			if v != 0 {
				a.sums[i].addInt64(v)
				a.block[i] = 0
			}
		}
		for _, l := range labels[lo:hi] {
			a.counts[l]++
		}
	}
}

// blockSums8 is addSums's inner loop for 8 columns.
func (a *accum) blockSums8(x []float64, labels []int32) {
	sc := a.scales[:8]
	s0, s1, s2, s3, s4, s5, s6, s7 := sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], sc[7]
	blk := a.block
	for p, l := range labels {
		r := x[p*8 : p*8+8 : p*8+8]
		b := blk[int(l)*8 : int(l)*8+8 : int(l)*8+8]
		b[0] += int64(r[0] * s0)
		b[1] += int64(r[1] * s1)
		b[2] += int64(r[2] * s2)
		b[3] += int64(r[3] * s3)
		b[4] += int64(r[4] * s4)
		b[5] += int64(r[5] * s5)
		b[6] += int64(r[6] * s6)
		b[7] += int64(r[7] * s7)
	}
}

// addInertia adds quantized squared distances to the inertia.
func (a *accum) addInertia(d2 []float64) {
	for lo := 0; lo < len(d2); lo += blockRows {
		var s int64
		for _, v := range d2[lo:min(lo+blockRows, len(d2))] {
			s += quantize(v, a.inertiaSc)
		}
		a.inertia.addInt64(s)
	}
}

// addFar offers every point to the list of the k farthest.
func (a *accum) addFar(x Matrix, labels []int32, d2 []float64) {
	for p, v := range d2 {
		if len(a.far) == a.k && v < a.far[len(a.far)-1].Dist2 {
			continue
		}
		a.offerFar(FarPoint{Dist2: v, Label: labels[p], Row: x.Row(p)})
	}
}

// offerFar inserts f (whose Row is borrowed) if it belongs to the k
// farthest, copying its row into the accumulator's own storage.
func (a *accum) offerFar(f FarPoint) {
	n := len(a.far)
	if n == a.k && !farLess(&f, &a.far[n-1]) {
		return
	}
	pos := n
	for pos > 0 && farLess(&f, &a.far[pos-1]) {
		pos--
	}
	var row []float64
	if n < a.k {
		a.farRows = append(a.farRows, f.Row...)
		row = a.farRows[len(a.farRows)-a.cols:]
		a.far = append(a.far, FarPoint{})
	} else {
		row = a.far[n-1].Row // reuse the evicted point's storage
		copy(row, f.Row)
		n--
	}
	copy(row, f.Row)
	copy(a.far[pos+1:n+1], a.far[pos:n])
	a.far[pos] = FarPoint{Dist2: f.Dist2, Label: f.Label, Row: row}
}

// merge adds b into a (same step).
func (a *accum) merge(b *accum) {
	for i := range a.sums {
		a.sums[i] = a.sums[i].Add(b.sums[i])
	}
	for j := range a.counts {
		a.counts[j] += b.counts[j]
	}
	a.inertia = a.inertia.Add(b.inertia)
	for _, f := range b.far {
		a.offerFar(f)
	}
}

// partial returns the accumulator as a Partial with its own storage.
func (a *accum) partial() Partial {
	p := Partial{
		K: a.k, Cols: a.cols, Exps: append([]int(nil), a.exps...), InertiaExp: a.inertiaExp,
		Sums: append([]Int128(nil), a.sums...), Counts: append([]int64(nil), a.counts...),
		Inertia: a.inertia, Far: make([]FarPoint, len(a.far)),
	}
	for i, f := range a.far {
		p.Far[i] = FarPoint{Dist2: f.Dist2, Label: f.Label, Row: append([]float64(nil), f.Row...)}
	}
	return p
}

// Centroids returns the next centroids from the merged partial of a step
// whose centroids were prev, and the total squared shift
// Σ_j ‖new_j − prev_j‖². Each non-empty cluster's centroid is the correctly
// rounded mean of its points' fixed-point values. Empty clusters are
// re-seeded deterministically: in increasing cluster order, each takes the
// next point of Far (farthest first) that is not at distance 0, whose own
// cluster keeps at least one other point, and that differs from the points
// already taken; that point leaves its cluster's sums, and the empty
// cluster's centroid is the point itself. An empty cluster for which no such
// point remains keeps its previous centroid.
func (p Partial) Centroids(prev Matrix) (Matrix, float64) {
	return centroidsFrom(p.Sums, p.Counts, p.Far, p.Exps, p.scalesOf(), prev)
}

func (p Partial) scalesOf() []float64 {
	sc := make([]float64, len(p.Exps))
	for i, e := range p.Exps {
		sc[i] = pow2(e)
	}
	return sc
}

func centroidsFrom(sums []Int128, counts []int64, far []FarPoint, exps []int, scales []float64, prev Matrix) (Matrix, float64) {
	k, d := prev.Rows, prev.Cols
	counts = append([]int64(nil), counts...)
	sums = append([]Int128(nil), sums...)
	next := Matrix{Rows: k, Cols: d, Data: make([]float64, k*d)}
	relocated := make([]bool, k)
	var used [][]float64
	fi := 0
	for j := 0; j < k; j++ {
		if counts[j] != 0 {
			continue
		}
		copy(next.Row(j), prev.Row(j))
		for ; fi < len(far); fi++ {
			f := far[fi]
			if f.Dist2 <= 0 || counts[f.Label] <= 1 || containsRow(used, f.Row) {
				continue
			}
			s := sums[int(f.Label)*d : int(f.Label)*d+d]
			for i, v := range f.Row {
				s[i].addInt64(-quantize(v, scales[i]))
			}
			counts[f.Label]--
			copy(next.Row(j), f.Row)
			used = append(used, f.Row)
			relocated[j] = true
			fi++
			break
		}
	}
	for j := 0; j < k; j++ {
		if counts[j] == 0 || relocated[j] {
			continue
		}
		row := next.Row(j)
		for i := range row {
			row[i] = meanOf(sums[j*d+i], counts[j], exps[i])
		}
	}
	shift := 0.0
	for j := 0; j < k; j++ {
		shift += dist2(next.Row(j), prev.Row(j))
	}
	return next, shift
}

func containsRow(rows [][]float64, r []float64) bool {
	for _, u := range rows {
		same := true
		for i := range u {
			if math.Float64bits(u[i]) != math.Float64bits(r[i]) {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}
