// Package objstore is Quarry's object-store interface: one Bucket interface
// (context first on every I/O method, modelled on thanos-io/objstore) with
// two backends, a local folder (storage/objstore/local) and S3 or MinIO
// (storage/objstore/s3), and Open to pick one from a URL.
//
// Every backend writes atomically (Publish: a reader never sees a partial
// object; a failed or cancelled write leaves the key as it was), supports
// create-only publication (PublishIfAbsent, failing with ErrExists), stores
// the SHA-256 of what it wrote and verifies it when Get reads to the end,
// and lists keys by prefix, recursively, in byte order. Missing objects are
// reported with errors for which IsNotFound is true.
//
// The acceptance suite in storage/objstore/objstoretest runs the same tests
// against every backend.
package objstore
