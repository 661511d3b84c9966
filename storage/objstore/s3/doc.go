// Package s3 implements the object-store Bucket on S3 or any S3-compatible
// server (MinIO in tests and production) with minio-go.
//
// Keys live under an optional prefix inside one bucket. Writes read the
// caller's stream to its end first (kept in memory up to
// Config.MemoryBuffer, spooled to a temporary file beyond), computing its
// SHA-256, and then send it with a known size, the checksum in the user
// metadata x-amz-meta-quarry-sha256, and a PUT (or a multipart upload above
// Config.PartSize). A PUT or CompleteMultipartUpload makes the object
// visible all at once, so readers never see part of it, and a write that
// fails or is cancelled is aborted and leaves nothing under the key; no
// temporary key is needed. Because the bytes are held locally, a failed
// attempt can be retried.
//
// PublishIfAbsent sends If-None-Match: * with the PUT (and with
// CompleteMultipartUpload) through minio-go's
// PutObjectOptions.SetMatchETagExcept("*"); the server answers 412
// Precondition Failed when the key exists, reported as objstore.ErrExists.
// A 412 seen on a retry after a lost response is recognised as our own
// earlier success by an upload id stored in the metadata.
//
// Transient failures (5xx, 408, 429, SlowDown, connection refused or reset,
// timeouts, early EOF) are retried with exponential back-off and full jitter
// under Config.Retry, never 4xx answers; reads interrupted mid-stream resume
// at the byte they reached, pinned to the object's ETag. minio-go's own
// retries are switched off so that this is the only retry loop.
//
// Credentials come from Config (filled from flags or FromEnv); String,
// errors and formatted Configs never show the secret key or session token.
package s3
