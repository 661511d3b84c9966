package itemsets

// Item is a dictionary-encoded item id.
type Item = uint32

// Itemset is a set of items, sorted ascending, with its support: the number
// of transactions that contain every item of it.
type Itemset struct {
	Items   []Item
	Support int
}
