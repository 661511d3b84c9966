package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

// OpenOptions configure Open.
type OpenOptions struct {
	// S3 is the base configuration for s3:// URLs (endpoint, region,
	// credentials, retries); the URL supplies the bucket and prefix and may
	// override endpoint, region and insecure with query parameters. Fill it
	// with s3.FromEnv(os.Getenv) to use the usual environment variables.
	S3 s3.Config
}

// DefaultOpenOptions returns OpenOptions with s3.DefaultConfig.
func DefaultOpenOptions() OpenOptions { return OpenOptions{S3: s3.DefaultConfig()} }

// Open returns the bucket named by rawURL:
//
//	s3://bucket/prefix?endpoint=host:port&region=r&insecure=true
//	file:///absolute/path
//	/absolute/path, ./relative/path, relative/path (a local folder)
//
// Local folders are created if missing. Credentials are never read from the
// URL.
func Open(ctx context.Context, rawURL string, opts OpenOptions) (Bucket, error) {
	scheme, _, found := strings.Cut(rawURL, "://")
	if !found {
		if rawURL == "" {
			return nil, errors.New("objstore: empty location")
		}
		return local.New(rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("objstore: bad location: %w", err)
	}
	if u.User != nil {
		return nil, errors.New("objstore: credentials in the location URL are not accepted")
	}
	switch strings.ToLower(scheme) {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("objstore: file URL must be file:///path, got host %q", u.Host)
		}
		if u.Path == "" {
			return nil, errors.New("objstore: file URL without a path")
		}
		return local.New(u.Path)
	case "s3":
		cfg := opts.S3
		if cfg.PartSize == 0 && cfg.Retry.MaxAttempts == 0 {
			cfg = mergeDefaults(cfg)
		}
		cfg.Bucket = u.Host
		cfg.Prefix = strings.Trim(u.Path, "/")
		q := u.Query()
		if v := q.Get("endpoint"); v != "" {
			cfg.Endpoint = v
		}
		if v := q.Get("region"); v != "" {
			cfg.Region = v
		}
		if v := q.Get("insecure"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("objstore: insecure=%q: %w", v, err)
			}
			cfg.Insecure = b
		}
		return s3.New(ctx, cfg)
	default:
		return nil, fmt.Errorf("objstore: unknown scheme %q (want s3, file or a path)", scheme)
	}
}

// mergeDefaults fills the zero tuning fields of cfg from s3.DefaultConfig,
// keeping its endpoint and credentials.
func mergeDefaults(cfg s3.Config) s3.Config {
	d := s3.DefaultConfig()
	d.Endpoint, d.AccessKey, d.SecretKey, d.SessionToken = cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.SessionToken
	d.Insecure, d.Transport, d.SpoolDir = cfg.Insecure, cfg.Transport, cfg.SpoolDir
	if cfg.Region != "" {
		d.Region = cfg.Region
	}
	return d
}
