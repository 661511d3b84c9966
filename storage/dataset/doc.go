// Package dataset turns raw logs into versioned, partitioned datasets in an
// object store, and reads them back straight into the kernels' inputs.
//
// An import (Import in process, or the import job of package jobs) cuts
// each raw object into
// record-aligned splits (storage/split), parses them in parallel with the
// storage/format readers, gives the items one dictionary (ids in order of
// first appearance in the sources) and routes the records to P partitions:
// log rows by the FNV-1a hash of the customer id (CustomerBucket), so that
// every row of a customer lands in the same partition; baskets and
// sequences, which have no customer, round robin by their index in the
// sources. Each partition is sorted (customers by id, orders by time then
// id, lines by item) and encoded in a compact varint format with a CRC-32C
// trailer (see Encode), so that its bytes depend only on the input and the
// parameters, never on the number of workers or the split size.
//
// A distributed import runs the same code in pieces, so that it publishes
// the same bytes: ParseSplit and EncodeShuffle per split (the split's rows
// in one section per bucket), MergeShuffled and EncodePlan once (the
// dictionary), ReadBuildPlan and BuildShuffled per bucket (reading one
// section of every split object), then ReadPublishPlan, Assemble and
// PublishOnce (the manifest, idempotent across retried attempts);
// WriteOnce writes objects create-only, CollectUnpublished removes what a
// failed distributed import left.
//
// Layout in the store:
//
//	datasets/<name>/v<N>/manifest.json
//	datasets/<name>/objects/<import id>/part-<segment>-<bucket>.qp
//	datasets/<name>/objects/<import id>/dictionary.json   (big dictionaries)
//	datasets/<name>/objects/<import id>/quarantine.jsonl  (skipped lines)
//
// where an import job's id is "job-" and the job's id.
//
// A version exists exactly when its manifest does: the manifest is written
// last and create-only (PublishIfAbsent), after every object it
// references. The latest version is the highest published one. Append
// adds a segment of P new partitions and references the older ones
// unchanged; Remove deletes a manifest first and then only the objects no
// other version references; GC removes objects of failed imports.
//
// A log imported without an item column (a customer-base log such as
// CDNOW: customer, date, amount) has no dictionary; its lines carry item
// id 0, Manifest.HasItems is false, and ReadBaskets and ReadSequences fail
// with ErrNoItems (RequireItems lets planning refuse such a job first).
// An amount is stored as quantity ±1 and price |amount|, so ReadPurchases
// gives the amount back exactly. Params.NoHeader records sources without
// a header line, whose columns are positions; an append reads its sources
// alike.
//
// Open, ReadBaskets, ReadSequences and ReadPurchases read a version back,
// verifying each partition's SHA-256 against the manifest and its CRC.
// docs/datasets.md describes the manifest, the encoding and the commands.
package dataset
