// Package format reads Quarry's input formats as streams and turns them into
// the plain slices the mining kernels take.
//
// Every reader here is streaming: memory is bounded by the longest line
// allowed (Options.MaxLineBytes, 1 MiB by default) plus what the caller keeps,
// whatever the size of the input. A line longer than the cap is an error that
// names the line; nothing stops silently. Errors are *LineError values naming
// the object (file name), the line and, where there is one, the field:
//
//	orders.csv:12: field "Quantity": not a number "abc"
//
// With Options.SkipBadLines a reader skips a bad line instead, counts it in
// Stats.Skipped and keeps the first Options.MaxSamples of them in
// Stats.Samples.
//
// The formats:
//
//   - FIMI baskets (.dat, .fimi, .basket): one transaction per line, item ids
//     separated by spaces or tabs; an empty line is an empty transaction.
//     FIMIReader, ReadFIMI.
//   - SPMF sequences (.spmf, .seq, .txt): one sequence per line, "-1" ends an
//     itemset and "-2" the sequence, with optional "<t>" timestamps.
//     SPMFReader, ReadSPMFSequences.
//   - CSV transaction logs (.csv, .tsv): one row per item bought, columns
//     found by name in the header. CSVLogReader yields Row values; the
//     BasketBuilder, SequenceBuilder and PurchaseBuilder group rows into
//     transactions, customer sequences and the purchases that
//     algorithms/features turns into RFM features.
//   - Numeric CSV for k-means: ReadNumericCSV.
//
// Any input may be gzip-compressed: Open and MaybeGunzip recognise gzip by
// its magic bytes, and Detect strips a ".gz" suffix before looking at the
// extension.
package format
