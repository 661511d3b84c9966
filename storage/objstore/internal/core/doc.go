// Package core holds the types shared by the object-store interface in
// storage/objstore and its backends (storage/objstore/local,
// storage/objstore/s3): the Bucket interface, object attributes, the named
// errors, key validation, checksumming and the retry policy.
//
// It exists only to break the import cycle between objstore.Open, which
// constructs backends, and the backends, which implement objstore's
// interface. Everything here is re-exported by storage/objstore under the
// same names; import that package, not this one.
package core
