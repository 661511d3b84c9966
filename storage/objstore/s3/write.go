package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// metaUploadID names the user metadata that identifies one upload, so that
// a 412 after a retry can be told apart from losing a race.
const metaUploadID = "Quarry-Upload-Id"

// Upload stores r under key, replacing any previous object.
func (b *Bucket) Upload(ctx context.Context, key string, r io.Reader) error {
	return b.put(ctx, key, r, false)
}

// Publish stores r under key; S3 makes a PUT visible only when complete.
func (b *Bucket) Publish(ctx context.Context, key string, r io.Reader) error {
	return b.put(ctx, key, r, false)
}

// PublishIfAbsent stores r under key with If-None-Match: *, returning an
// error wrapping core.ErrExists when the key is taken.
func (b *Bucket) PublishIfAbsent(ctx context.Context, key string, r io.Reader) error {
	return b.put(ctx, key, r, true)
}

// put spools r and sends it, retrying transient failures.
func (b *Bucket) put(ctx context.Context, key string, r io.Reader, ifAbsent bool) error {
	if err := core.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sp, err := newSpool(ctx, r, b.cfg.MemoryBuffer, b.cfg.SpoolDir)
	if err != nil {
		return fmt.Errorf("%s: upload %s: %w", b, key, err)
	}
	defer sp.close()

	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	uploadID := hex.EncodeToString(rnd[:])
	opts := minio.PutObjectOptions{
		UserMetadata: map[string]string{core.MetaSHA256: sp.sum, metaUploadID: uploadID},
		ContentType:  "application/octet-stream",
		PartSize:     b.cfg.PartSize,
	}
	if ifAbsent {
		// Sends If-None-Match: * with the PUT and with the
		// CompleteMultipartUpload of a multipart upload.
		opts.SetMatchETagExcept("*")
	}
	err = b.retry(ctx, func(attempt int) error {
		_, err := b.client.PutObject(ctx, b.cfg.Bucket, b.object(key), sp.reader(), sp.size, opts)
		if err != nil && ifAbsent && attempt > 1 && isPreconditionFailed(err) && b.ownUpload(ctx, key, uploadID) {
			return nil // an earlier attempt succeeded but its answer was lost
		}
		return err
	})
	if err == nil {
		return nil
	}
	if ifAbsent && isPreconditionFailed(err) {
		return fmt.Errorf("%s: %s: %w", b, key, core.ErrExists)
	}
	return b.wrap("upload", key, err)
}

// ownUpload reports whether the object under key was written by the upload
// with the given id.
func (b *Bucket) ownUpload(ctx context.Context, key, uploadID string) bool {
	info, err := b.client.StatObject(ctx, b.cfg.Bucket, b.object(key), minio.StatObjectOptions{})
	return err == nil && info.UserMetadata[metaUploadID] == uploadID
}

// Delete removes the object; a missing object is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := core.ValidateKey(key); err != nil {
		return err
	}
	err := b.retry(ctx, func(int) error {
		return b.client.RemoveObject(ctx, b.cfg.Bucket, b.object(key), minio.RemoveObjectOptions{})
	})
	if err != nil && !isNotFound(err) {
		return b.wrap("delete", key, err)
	}
	return nil
}
