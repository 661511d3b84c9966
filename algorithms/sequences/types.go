package sequences

// Item is a dictionary-encoded item id.
type Item = uint32

// Event is one basket of a customer sequence: the distinct items bought at
// one time. Items are sorted ascending and free of duplicates.
type Event struct {
	Time  int64 // in the caller's time unit (days, seconds, or the position for untimed data)
	Items []Item
}

// Sequence is one customer's history: events in strictly increasing time.
type Sequence []Event

// Pattern is a sequential pattern: an ordered list of itemsets (elements),
// each sorted ascending, with its support in sequences.
type Pattern struct {
	Elements [][]Item
	Support  int
}
