// Package split cuts an object into byte-range splits that can be read in
// parallel and still see every line-oriented record exactly once.
//
// A record is a line: it starts at offset 0 or just after a '\n', and ends
// at the next '\n' or at the end of the object; the '\n' and one '\r'
// before it (or at the very end) are not part of the record. Empty lines are records too; a final '\n' does not start an empty
// record. A split [Start, End) owns exactly the records that start inside
// it. Its reader follows Hadoop's TextInputFormat rule: when Start > 0 it
// reads from Start-1 and throws away everything through the first '\n' (the
// tail of a record owned by an earlier split, or just the '\n' before a
// record starting at Start), then reads records while they start before End,
// finishing the last one past End if need be.
//
// Reads go through GetRange in chunks: the split's own bytes first, then
// growing chunks past End until the last record ends, so that a split never
// downloads much more than it owns.
//
// Gzip objects cannot be entered in the middle: PlanObject makes them one
// split, read through a decompressor. A CSV header is the first record of
// split 0 (Split.OwnsHeader); parsers of the other splits get it with
// Header.
package split
