package nextbasket

import "fmt"

// Count selects what G-TopFreq counts.
type Count int

const (
	// BasketCount counts the training baskets that contain the item: the
	// item frequency of the Reality Check paper.
	BasketCount Count = iota
	// CustomerCount counts the training customers who bought the item at
	// least once.
	CustomerCount
)

// String names c.
func (c Count) String() string {
	switch c {
	case BasketCount:
		return "baskets"
	case CustomerCount:
		return "customers"
	}
	return fmt.Sprintf("Count(%d)", int(c))
}

// GTopFreq recommends the globally most popular items (G-TopFreq): by
// Count in the training data, then item id. With ExcludePast it skips the
// items the customer bought before and so recommends explore items only.
// Items nobody bought in training are never recommended.
type GTopFreq struct {
	// Count is what popularity counts; the zero value is BasketCount.
	Count Count
	// ExcludePast skips the customer's past items.
	ExcludePast bool

	n      int
	counts []int
	ranked []int32 // items with a positive count, best first
}

// Fit counts the items of train.
func (g *GTopFreq) Fit(train []Customer, n int) error {
	if g.Count != BasketCount && g.Count != CustomerCount {
		return fmt.Errorf("%w: g-topfreq count %v", ErrInput, g.Count)
	}
	if err := Validate(train, n); err != nil {
		return err
	}
	g.n = n
	g.counts = itemCounts(train, n, g.Count)
	cands := make([]scored, 0, n)
	for it, c := range g.counts {
		if c > 0 {
			cands = append(cands, scored{int32(it), float64(c)})
		}
	}
	g.ranked = appendTop(cands, len(cands), make([]int32, 0, len(cands)))
	return nil
}

// Counts returns the fitted popularity of every item (do not modify it).
func (g *GTopFreq) Counts() []int { return g.counts }

// Recommend returns the k most popular items, without c's past items when
// ExcludePast is set.
func (g *GTopFreq) Recommend(c *Customer, k int, dst []int32) []int32 {
	dst = dst[:0]
	if k <= 0 {
		return dst
	}
	var past []int32
	if g.ExcludePast {
		past = knownItems(c, g.n, nil)
	}
	for _, it := range g.ranked {
		if len(dst) == k {
			break
		}
		if g.ExcludePast && contains(past, it) {
			continue
		}
		dst = append(dst, it)
	}
	return dst
}

// itemCounts counts, per item, the baskets or the customers holding it.
func itemCounts(train []Customer, n int, what Count) []int {
	counts := make([]int, n)
	var seen []int32
	for ci := range train {
		c := &train[ci]
		if what == CustomerCount {
			seen = PastItems(c, seen)
			for _, it := range seen {
				counts[it]++
			}
			continue
		}
		for _, b := range c.Baskets {
			for _, it := range b.Items {
				counts[it]++
			}
		}
	}
	return counts
}

// PTopFreq recommends the customer's own most frequent items (P-TopFreq):
// by the number of the customer's baskets holding the item, then item id.
// Its lists are shorter than k when the customer bought fewer items. It
// learns nothing from training; Fit only records the catalogue.
type PTopFreq struct {
	n int
}

// Fit checks train and records n.
func (p *PTopFreq) Fit(train []Customer, n int) error {
	if err := Validate(train, n); err != nil {
		return err
	}
	p.n = n
	return nil
}

// Recommend returns c's k most frequent items.
func (p *PTopFreq) Recommend(c *Customer, k int, dst []int32) []int32 {
	return appendTop(personalCounts(c, p.n), k, dst)
}

// personalCounts returns c's items below n with the number of baskets
// holding each.
func personalCounts(c *Customer, n int) []scored {
	freq := map[int32]float64{}
	for _, b := range c.Baskets {
		for _, it := range b.Items {
			if it >= 0 && int(it) < n {
				freq[it]++
			}
		}
	}
	cands := make([]scored, 0, len(freq))
	for it, f := range freq {
		cands = append(cands, scored{it, f})
	}
	return cands
}

// GPTopFreq is P-TopFreq filled up to k with G-TopFreq (GP-TopFreq): the
// customer's own items first, then the most popular items not among them.
type GPTopFreq struct {
	// Count is what the global popularity counts; the zero value is
	// BasketCount.
	Count Count

	p PTopFreq
	g GTopFreq
}

// Fit fits both parts.
func (gp *GPTopFreq) Fit(train []Customer, n int) error {
	gp.g = GTopFreq{Count: gp.Count}
	if err := gp.g.Fit(train, n); err != nil {
		return err
	}
	gp.p = PTopFreq{n: n}
	return nil
}

// Recommend returns c's P-TopFreq list completed with G-TopFreq.
func (gp *GPTopFreq) Recommend(c *Customer, k int, dst []int32) []int32 {
	dst = gp.p.Recommend(c, k, dst)
	if len(dst) >= k {
		return dst
	}
	// A short P-TopFreq list holds every past item of c.
	past := knownItems(c, gp.p.n, nil)
	for _, it := range gp.g.ranked {
		if len(dst) == k {
			break
		}
		if !contains(past, it) {
			dst = append(dst, it)
		}
	}
	return dst
}
