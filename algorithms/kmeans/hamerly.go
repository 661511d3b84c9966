package kmeans

import "math"

// margin is the relative slack of Hamerly's pruning tests. A point is
// skipped only when its bounds prove its centroid nearer than every other
// by a factor 1+2·margin, far beyond the rounding error of the canonical
// squared distances (about (Cols+4)·2^-53 relative) and of the bounds, so a
// skipped point would have kept its label under plain Lloyd too.
const margin = 1e-9

// hamerly is the per-run state of Hamerly's algorithm.
type hamerly struct {
	x      Matrix
	labels []int32
	upper  []float64 // ≥ distance to the assigned centroid
	lower  []float64 // ≤ distance to every other centroid
	half   []float64 // per centroid: half the distance to its nearest other centroid
	move   []float64 // per centroid: distance moved by the last update
}

// runHamerly runs Hamerly's accelerated iterations from c; its labels and
// centroids equal runLloyd's bit for bit.
func runHamerly(x Matrix, bounds Bounds, c Matrix, o Options, tolAbs float64) (Result, error) {
	h := &hamerly{
		x: x, labels: make([]int32, x.Rows),
		upper: make([]float64, x.Rows), lower: make([]float64, x.Rows),
		half: make([]float64, o.K), move: make([]float64, o.K),
	}
	res := Result{K: o.K, Labels: h.labels}
	step, err := NewStep(c, bounds)
	if err != nil {
		return Result{}, err
	}
	sums := h.fullPass(step, o.Workers)
	shift := math.Inf(1)
	for it := 1; it <= o.MaxIter; it++ {
		if it > 1 {
			if step, err = NewStep(c, bounds); err != nil {
				return Result{}, err
			}
			sums.merge(h.boundedPass(step, o.Workers))
		}
		var far []FarPoint
		for _, n := range sums.counts {
			if n == 0 {
				far = h.farPass(step, o.Workers).far
				break
			}
		}
		var next Matrix
		next, shift = centroidsFrom(sums.sums, sums.counts, far, sums.exps, sums.scales, c)
		h.moved(c, next)
		c = next
		res.Iterations = it
		if shift <= tolAbs {
			res.Converged = true
			break
		}
	}
	if step, err = NewStep(c, bounds); err != nil {
		return Result{}, err
	}
	if shift != 0 {
		h.boundedPass(step, o.Workers)
	}
	res.Centroids = c
	res.Inertia = h.inertia(step, o.Workers)
	return res, nil
}

// fullPass assigns every point by a full scan, setting its bounds, and
// returns the sums of the assignment.
func (h *hamerly) fullPass(step *Step, workers int) *accum {
	return h.pass(step, workers, true)
}

// boundedPass moves the bounds by the last centroid moves, re-assigns the
// points the bounds cannot settle and returns the exact change of the sums.
func (h *hamerly) boundedPass(step *Step, workers int) *accum {
	return h.pass(step, workers, false)
}

func (h *hamerly) pass(step *Step, workers int, full bool) *accum {
	c := step.c
	k := c.Rows
	// half distances between centroids, and the two largest moves.
	for j := 0; j < k; j++ {
		m := math.Inf(1)
		for j2 := 0; j2 < k; j2++ {
			if j2 != j {
				m = min(m, dist2(c.Row(j), c.Row(j2)))
			}
		}
		h.half[j] = 0.5 * math.Sqrt(m)
	}
	top, top2, topJ := 0.0, 0.0, -1
	for j, v := range h.move {
		if v > top {
			top, top2, topJ = v, top, j
		} else if v > top2 {
			top2 = v
		}
	}
	workers = max(1, min(workers, numChunks(h.x.Rows)))
	accs := make([]*accum, workers)
	for w := range accs {
		accs[w] = newAccum(step)
	}
	forChunks(h.x.Rows, workers, func(w, _, lo, hi int) {
		a := accs[w]
		for i := lo; i < hi; i++ {
			xr := h.x.Row(i)
			if full {
				b, u, l := nearestTwo(xr, c)
				h.labels[i], h.upper[i], h.lower[i] = b, u, l
				a.addRow(xr, b, 1)
				continue
			}
			lab := h.labels[i]
			u := h.upper[i] + h.move[lab]*(1+margin)
			drop := top
			if int(lab) == topJ {
				drop = top2
			}
			l := h.lower[i] - drop*(1+margin)
			m := max(h.half[lab], l)
			if u*(1+margin) < m*(1-margin) {
				h.upper[i], h.lower[i] = u, l
				continue
			}
			u = math.Sqrt(dist2(xr, c.Row(int(lab))))
			if u*(1+margin) < m*(1-margin) {
				h.upper[i], h.lower[i] = u, l
				continue
			}
			b, u, l := nearestTwo(xr, c)
			h.labels[i], h.upper[i], h.lower[i] = b, u, l
			if b != lab {
				a.addRow(xr, b, 1)
				a.addRow(xr, lab, -1)
			}
		}
	})
	for _, a := range accs[1:] {
		accs[0].merge(a)
	}
	return accs[0]
}

// nearestTwo returns the nearest centroid of x (lowest index on ties), the
// distance to it and the distance to the second nearest.
func nearestTwo(x []float64, c Matrix) (int32, float64, float64) {
	if len(x) == 8 {
		return nearestTwo8(x, c)
	}
	best, bd, second := 0, math.Inf(1), math.Inf(1)
	for j := 0; j < c.Rows; j++ {
		s := dist2(x, c.Row(j))
		if s < bd {
			best, bd, second = j, s, bd
		} else if s < second {
			second = s
		}
	}
	return int32(best), math.Sqrt(bd), math.Sqrt(second)
}

// addRow adds (sign 1) or removes (sign -1) one quantized row to label l.
func (a *accum) addRow(row []float64, l int32, sign int64) {
	d := a.cols
	s := a.sums[int(l)*d : int(l)*d+d]
	for i, v := range row {
		s[i].addInt64(sign * quantize(v, a.scales[i]))
	}
	a.counts[l] += sign
}

// moved records each centroid's move from c to next.
func (h *hamerly) moved(c, next Matrix) {
	for j := range h.move {
		h.move[j] = math.Sqrt(dist2(c.Row(j), next.Row(j)))
	}
}

// farPass returns the far list of the current labels (as plain Lloyd's
// pass would have gathered it).
func (h *hamerly) farPass(step *Step, workers int) *accum {
	return h.distPass(step, workers, true)
}

// inertia returns the exact inertia of the current labels.
func (h *hamerly) inertia(step *Step, workers int) float64 {
	a := h.distPass(step, workers, false)
	return fixedValue(a.inertia, a.inertiaExp)
}

func (h *hamerly) distPass(step *Step, workers int, far bool) *accum {
	workers = max(1, min(workers, numChunks(h.x.Rows)))
	accs := make([]*accum, workers)
	scratch := make([][]float64, workers)
	for w := range accs {
		accs[w] = newAccum(step)
		scratch[w] = make([]float64, chunkRows)
	}
	forChunks(h.x.Rows, workers, func(w, _, lo, hi int) {
		d2 := scratch[w][:hi-lo]
		for i := lo; i < hi; i++ {
			d2[i-lo] = dist2(h.x.Row(i), step.c.Row(int(h.labels[i])))
		}
		if far {
			accs[w].addFar(h.x.Slice(lo, hi), h.labels[lo:hi], d2)
		} else {
			accs[w].addInertia(d2)
		}
	})
	for _, a := range accs[1:] {
		accs[0].merge(a)
	}
	return accs[0]
}

// nearestTwo8 is nearestTwo for 8 columns with the canonical expression
// written out.
func nearestTwo8(x []float64, c Matrix) (int32, float64, float64) {
	x = x[:8]
	x0, x1, x2, x3, x4, x5, x6, x7 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
	k := c.Rows
	cd := c.Data[:k*8]
	best, bd, second := 0, math.Inf(1), math.Inf(1)
	for j := 0; j < k; j++ {
		cr := cd[j*8 : j*8+8 : j*8+8]
		e0, e1, e2, e3, e4, e5, e6, e7 := x0-cr[0], x1-cr[1], x2-cr[2], x3-cr[3], x4-cr[4], x5-cr[5], x6-cr[6], x7-cr[7]
		s := ((float64(e0*e0) + float64(e4*e4)) + (float64(e1*e1) + float64(e5*e5))) +
			((float64(e2*e2) + float64(e6*e6)) + (float64(e3*e3) + float64(e7*e7)))
		lt := s < bd
		second = min(second, max(s, bd))
		bd = min(bd, s)
		best = pick(lt, j, best)
	}
	return int32(best), math.Sqrt(bd), math.Sqrt(second)
}
