// Package local implements the object-store Bucket on a folder of the local
// file system: key "a/b/c" is the file a/b/c below the folder.
//
// All access goes through an os.Root, so no key, symlink or ".." can reach
// outside the folder; keys are validated as well (core.ValidateKey) so that
// bad keys fail with a clear error rather than an odd path.
//
// Writes are atomic: the bytes go to a temporary file in the destination
// directory (named with core.TempMarker, invisible to Iter), are fsynced,
// and are then renamed into place (Publish, Upload) or hard-linked into
// place, which fails if the key exists (PublishIfAbsent); the directory is
// fsynced afterwards. The SHA-256 of the content is stored in the
// user.quarry.sha256 extended attribute where the file system supports it.
//
// A folder cannot hold both an object "a" and an object "a/b" (a file cannot
// also be a directory); S3 allows it. Empty directories left by Delete are
// not removed.
package local
