package kmeans

import "math"

// This file holds the distance kernels. Every squared distance in the
// package is the canonical one computed by dist2: direct differences,
// accumulated in four lanes (lane l takes the columns i ≡ l mod 4 in
// increasing order) and combined as (lane0+lane1)+(lane2+lane3). Each product
// is rounded explicitly (float64(d*d)) so that no compiler may fuse it into
// a multiply-add: the value is the same bits on every platform and in every
// kernel, which is what makes the accelerated variants and the distributed
// steps agree exactly with plain Lloyd.

// dist2 returns the canonical squared Euclidean distance between a and b,
// which must have the same length.
func dist2(a, b []float64) float64 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= n; i += 4 {
		d0 := a[i] - b[i]
		d1 := a[i+1] - b[i+1]
		d2 := a[i+2] - b[i+2]
		d3 := a[i+3] - b[i+3]
		s0 += float64(d0 * d0)
		s1 += float64(d1 * d1)
		s2 += float64(d2 * d2)
		s3 += float64(d3 * d3)
	}
	if i < n {
		d := a[i] - b[i]
		s0 += float64(d * d)
	}
	if i+1 < n {
		d := a[i+1] - b[i+1]
		s1 += float64(d * d)
	}
	if i+2 < n {
		d := a[i+2] - b[i+2]
		s2 += float64(d * d)
	}
	return (s0 + s1) + (s2 + s3)
}

// nearest writes, for every row of x, the index of its nearest row of c
// (the lowest index among equal distances) into labels and the canonical
// squared distance to it into d2.
func nearest(x, c Matrix, labels []int32, d2 []float64) {
	if x.Cols == 8 {
		nearest8(x, c, labels, d2)
		return
	}
	for p := 0; p < x.Rows; p++ {
		xr := x.Row(p)
		best, bd := 0, math.Inf(1)
		for j := 0; j < c.Rows; j++ {
			s := dist2(xr, c.Row(j))
			lt := s < bd
			bd = min(bd, s)
			best = pick(lt, j, best)
		}
		labels[p] = int32(best)
		d2[p] = bd
	}
}

// pick returns a if c, else b; written so the compiler emits a conditional
// move rather than an unpredictable branch.
func pick(c bool, a, b int) int {
	if c {
		return a
	}
	return b
}

// nearest8 is nearest for 8 columns: two points at a time, sharing each
// centroid's loads, with the canonical expression written out.
func nearest8(x, c Matrix, labels []int32, d2 []float64) {
	n, k := x.Rows, c.Rows
	cd := c.Data[:k*8]
	labels = labels[:n]
	d2 = d2[:n]
	p := 0
	for ; p+1 < n; p += 2 {
		xr := x.Data[p*8 : p*8+16 : p*8+16]
		x0, x1, x2, x3, x4, x5, x6, x7 := xr[0], xr[1], xr[2], xr[3], xr[4], xr[5], xr[6], xr[7]
		y0, y1, y2, y3, y4, y5, y6, y7 := xr[8], xr[9], xr[10], xr[11], xr[12], xr[13], xr[14], xr[15]
		bx, by := 0, 0
		dx, dy := math.Inf(1), math.Inf(1)
		for j := 0; j < k; j++ {
			cr := cd[j*8 : j*8+8 : j*8+8]
			c0, c1, c2, c3, c4, c5, c6, c7 := cr[0], cr[1], cr[2], cr[3], cr[4], cr[5], cr[6], cr[7]
			e0, e1, e2, e3, e4, e5, e6, e7 := x0-c0, x1-c1, x2-c2, x3-c3, x4-c4, x5-c5, x6-c6, x7-c7
			s := ((float64(e0*e0) + float64(e4*e4)) + (float64(e1*e1) + float64(e5*e5))) +
				((float64(e2*e2) + float64(e6*e6)) + (float64(e3*e3) + float64(e7*e7)))
			e0, e1, e2, e3, e4, e5, e6, e7 = y0-c0, y1-c1, y2-c2, y3-c3, y4-c4, y5-c5, y6-c6, y7-c7
			t := ((float64(e0*e0) + float64(e4*e4)) + (float64(e1*e1) + float64(e5*e5))) +
				((float64(e2*e2) + float64(e6*e6)) + (float64(e3*e3) + float64(e7*e7)))
			lt := s < dx
			dx = min(dx, s)
			bx = pick(lt, j, bx)
			lt = t < dy
			dy = min(dy, t)
			by = pick(lt, j, by)
		}
		labels[p], labels[p+1] = int32(bx), int32(by)
		d2[p], d2[p+1] = dx, dy
	}
	for ; p < n; p++ {
		xr := x.Row(p)
		best, bd := 0, math.Inf(1)
		for j := 0; j < k; j++ {
			s := dist2(xr, cd[j*8:j*8+8])
			lt := s < bd
			bd = min(bd, s)
			best = pick(lt, j, best)
		}
		labels[p] = int32(best)
		d2[p] = bd
	}
}
