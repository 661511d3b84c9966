// Package miniotest starts a real MinIO server (bin/minio, installed by
// `make deps` / scripts/deps.sh) for tests: on loopback, on free ports, with
// random root credentials, in a temporary data folder, with one bucket
// created; it is stopped when the test ends. Stop and Restart let a test take
// the server away in the middle of an operation.
//
// When bin/minio is missing the test fails with a message saying how to
// install it, unless QUARRY_SKIP_MINIO=1, in which case it is skipped.
package miniotest
