package sequences

// This file holds the one step both the miner and the counter are built on:
// given every way a pattern can end in a sequence, find every event at
// which a new element may be matched next, under the gap and window limits.
//
// An occurrence state is a pair (end, start): the index of the event that
// matched the pattern's last element and the time of the event that matched
// its first. For one end only the latest start matters, since the window
// limit t_next − start ≤ MaxWindow is the only place a start enters and a
// later start satisfies it whenever an earlier one does. So a pattern's
// occurrences in one sequence are summarised exactly by its ends, ascending,
// each with its latest start. Keeping only the first end, as plain
// PrefixSpan does, would be wrong here: with a max gap or a max window a
// longer pattern may only be reachable through a later end.

// sweeper holds the scratch of nextEvents between calls.
type sweeper struct {
	lim   limits
	deque []int32 // indexes into ends, starts decreasing front to back
	vj    []int32 // out: reachable event indexes, ascending
	vs    []int64 // out: their latest starts (window only)
}

// next computes the events j < stop that can match a next element after an
// occurrence ending at one of ends (ascending event indexes) whose latest
// starts are starts (nil without a window), and for each the latest start
// it can inherit. The result is in s.vj and, with a window, s.vs.
//
// Event j is reachable from end i when i < j, t_j − t_i ≥ MinGap,
// t_j − t_i ≤ MaxGap and t_j − start_i ≤ MaxWindow. Each end i is therefore
// usable on a time interval [t_i + MinGap, hi_i] with
// hi_i = min(t_i + MaxGap, start_i + MaxWindow). Ends become usable in
// index order; an end with a start no later than a newer end's also expires
// no later (its t_i and start are both smaller), so it can be dropped. What
// remains is a deque with starts decreasing from the front, whose front,
// once expired fronts are removed, is the best end for j. Time O(stop − i₀ +
// len(ends)).
func (s *sweeper) next(times []int64, stop int32, ends []int32, starts []int64) {
	s.vj = s.vj[:0]
	s.vs = s.vs[:0]
	if len(ends) == 0 {
		return
	}
	lim := s.lim
	if !lim.bounded {
		// Every event at least MinGap after the first end is reachable.
		for j := s.firstAfter(times, stop, ends[0]); j < stop; j++ {
			s.vj = append(s.vj, j)
		}
		return
	}
	dq := s.deque[:0]
	head := 0
	p := 0
	for j := ends[0] + 1; j < stop; j++ {
		tj := times[j]
		for p < len(ends) && ends[p] < j && satAdd(times[ends[p]], lim.minGap) <= tj {
			var sp int64
			if starts != nil {
				sp = starts[p]
			}
			for len(dq) > head {
				b := dq[len(dq)-1]
				var sb int64
				if starts != nil {
					sb = starts[b]
				}
				if sb > sp {
					break
				}
				dq = dq[:len(dq)-1]
			}
			dq = append(dq, int32(p))
			p++
		}
		for len(dq) > head && s.hi(times, ends, starts, dq[head]) < tj {
			head++
		}
		if len(dq) == head {
			if p == len(ends) {
				break
			}
			continue
		}
		s.vj = append(s.vj, j)
		if starts != nil {
			s.vs = append(s.vs, starts[dq[head]])
		}
	}
	s.deque = dq
}

// firstAfter returns the first event after end i (and before stop) at
// least MinGap later, or stop.
func (s *sweeper) firstAfter(times []int64, stop, i int32) int32 {
	lo := satAdd(times[i], s.lim.minGap)
	j := i + 1
	for j < stop && times[j] < lo {
		j++
	}
	return j
}

// hi is the last time at which end k of ends can be followed.
func (s *sweeper) hi(times []int64, ends []int32, starts []int64, k int32) int64 {
	h := satAdd(times[ends[k]], s.lim.maxGap)
	if starts != nil {
		h = min(h, satAdd(starts[k], s.lim.maxWindow))
	}
	return h
}
