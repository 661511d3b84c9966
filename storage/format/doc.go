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
//   - Transaction logs (.csv, .tsv, .ssv): one row per line bought, columns
//     found by name in the header or, without a header, by 1-based
//     position (LogOptions.NoHeader). CSV and TSV are read by
//     encoding/csv; SSV (LogOptions.Whitespace) splits a line on runs of
//     spaces and tabs, without quoting, as customer-base logs such as
//     CDNOW come. A line's value is quantity × price, or a money amount
//     (Columns.Amount) stored as quantity ±1 and price |amount|. No column
//     is required: a log without items serves the customer analyses.
//     CSVLogReader yields Row values; the BasketBuilder, SequenceBuilder
//     and PurchaseBuilder group rows into transactions, customer sequences
//     and the purchases that algorithms/features turns into RFM features.
//     Without an order column, the lines of one customer at one time are
//     one order.
//   - Numeric CSV for k-means: ReadNumericCSV.
//
// Any input may be gzip-compressed: Open and MaybeGunzip recognise gzip by
// its magic bytes, and Detect strips a ".gz" suffix before looking at the
// extension.
package format
