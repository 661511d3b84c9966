// Package objstoretest is the acceptance suite every objstore.Bucket backend
// must pass: round trips, ranged reads, listing, atomic and create-only
// publication under concurrency, cancellation, not-found and bad-key
// errors. A backend's tests call Run with a constructor of fresh, empty
// buckets.
package objstoretest
