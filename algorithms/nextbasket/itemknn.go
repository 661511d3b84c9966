package nextbasket

import (
	"fmt"
	"math"
	"slices"
)

// ItemKNN is item-based collaborative filtering over the binary
// customer×item matrix X of the training data (X[u][i] = 1 when customer u
// bought item i at least once). The similarity of items i ≠ j is the cosine
// of their columns, co(i,j)/√(cnt(i)·cnt(j)), where co counts the customers
// who bought both and cnt those who bought one. Every item keeps its
// Neighbours most similar other items (similarity descending, then item
// id); a customer who bought the items P scores item j as the sum, over i
// in P ascending, of sim(i,j) for the i whose neighbourhood holds j. Items
// with a positive score are ranked; an item is never its own neighbour.
type ItemKNN struct {
	// Neighbours is the neighbourhood size per item; 0 keeps every item
	// with a positive similarity.
	Neighbours int

	n     int
	start []int     // item i's neighbours are nbr[start[i]:start[i+1]]
	nbr   []int32   // neighbour item ids
	sim   []float64 // their similarities
}

// Fit computes the item neighbourhoods. Time is Σ_u |P_u|² plus a sort of
// every item's co-bought items; memory is O(n + the neighbour lists).
func (m *ItemKNN) Fit(train []Customer, n int) error {
	if m.Neighbours < 0 {
		return fmt.Errorf("%w: item-knn neighbours %d", ErrInput, m.Neighbours)
	}
	if err := Validate(train, n); err != nil {
		return err
	}
	rows := customerItems(train)
	byItem := itemColumns(rows, n)
	m.n = n
	m.start = make([]int, n+1)
	m.nbr, m.sim = nil, nil
	co := make([]int32, n)
	var touched []int32
	var cands []scored
	for i := range n {
		touched = touched[:0]
		for _, u := range byItem[i] {
			for _, j := range rows[u] {
				if int(j) == i {
					continue
				}
				if co[j] == 0 {
					touched = append(touched, j)
				}
				co[j]++
			}
		}
		cands = cands[:0]
		ci := float64(len(byItem[i]))
		for _, j := range touched {
			cj := float64(len(byItem[j]))
			cands = append(cands, scored{j, cosine(co[j], ci, cj)})
			co[j] = 0
		}
		slices.SortFunc(cands, byRank)
		if m.Neighbours > 0 && len(cands) > m.Neighbours {
			cands = cands[:m.Neighbours]
		}
		for _, c := range cands {
			m.nbr = append(m.nbr, c.item)
			m.sim = append(m.sim, c.score)
		}
		m.start[i+1] = len(m.nbr)
	}
	return nil
}

// cosine is the cosine of two binary columns with co common ones and ci,
// cj ones each.
func cosine(co int32, ci, cj float64) float64 {
	return float64(co) / math.Sqrt(ci*cj)
}

// Recommend ranks the items similar to c's past items.
func (m *ItemKNN) Recommend(c *Customer, k int, dst []int32) []int32 {
	if m.start == nil || k <= 0 {
		return dst[:0]
	}
	past := knownItems(c, m.n, nil)
	score := make([]float64, m.n)
	var touched []int32
	for _, i := range past {
		for p := m.start[i]; p < m.start[i+1]; p++ {
			j := m.nbr[p]
			if score[j] == 0 {
				touched = append(touched, j)
			}
			score[j] += m.sim[p]
		}
	}
	cands := make([]scored, len(touched))
	for x, j := range touched {
		cands[x] = scored{j, score[j]}
	}
	return appendTop(cands, k, dst)
}

// customerItems returns every training customer's distinct items.
func customerItems(train []Customer) [][]int32 {
	rows := make([][]int32, len(train))
	for u := range train {
		rows[u] = PastItems(&train[u], nil)
	}
	return rows
}

// itemColumns inverts rows: for each item, the customers holding it,
// ascending.
func itemColumns(rows [][]int32, n int) [][]int32 {
	cols := make([][]int32, n)
	for u, r := range rows {
		for _, i := range r {
			cols[i] = append(cols[i], int32(u))
		}
	}
	return cols
}
