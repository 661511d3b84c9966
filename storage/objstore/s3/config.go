package s3

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// Secret is a credential string that formats as "[redacted]" under every
// fmt verb, so that a Config can be logged safely.
type Secret string

// String returns "[redacted]" (or "" for an empty secret).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString returns the redacted form for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("s3.Secret(%q)", s.String()) }

// Format makes every verb, including %s %q %x, print the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// Config configures an S3 bucket.
type Config struct {
	// Endpoint is host[:port] or a URL (http:// selects plain HTTP); ""
	// means AWS (s3.amazonaws.com).
	Endpoint string
	// Region defaults to us-east-1.
	Region string
	// Bucket is the bucket name (required).
	Bucket string
	// Prefix is prepended (with a slash) to every key.
	Prefix string
	// AccessKey is the access key id; with an empty AccessKey requests are
	// anonymous.
	AccessKey string
	// SecretKey is the secret access key.
	SecretKey Secret
	// SessionToken is the optional session token of temporary credentials.
	SessionToken Secret
	// Insecure selects plain HTTP instead of HTTPS.
	Insecure bool
	// Retry bounds the retries of transient failures.
	Retry core.RetryPolicy
	// PartSize is the multipart part size; objects up to it go in one PUT.
	// At least 5 MiB. Default 16 MiB.
	PartSize uint64
	// MemoryBuffer is how many bytes of an upload are held in memory before
	// the rest is spooled to a temporary file. Default 8 MiB.
	MemoryBuffer int64
	// SpoolDir holds the spool files; "" means os.TempDir().
	SpoolDir string
	// Transport replaces the HTTP transport (tests inject faults with it).
	Transport http.RoundTripper
}

// DefaultConfig returns a Config with the defaults filled in and no bucket.
func DefaultConfig() Config {
	return Config{
		Region:       "us-east-1",
		Retry:        core.DefaultRetryPolicy(),
		PartSize:     16 << 20,
		MemoryBuffer: 8 << 20,
	}
}

// FromEnv returns DefaultConfig with the endpoint, region and credentials
// taken from the usual variables, looked up with getenv (os.Getenv in
// main): AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION or
// AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID or MINIO_ROOT_USER,
// AWS_SECRET_ACCESS_KEY or MINIO_ROOT_PASSWORD, AWS_SESSION_TOKEN.
func FromEnv(getenv func(string) string) Config {
	c := DefaultConfig()
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	c.Endpoint = first("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
	if r := first("AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
		c.Region = r
	}
	c.AccessKey = first("AWS_ACCESS_KEY_ID", "MINIO_ROOT_USER")
	c.SecretKey = Secret(first("AWS_SECRET_ACCESS_KEY", "MINIO_ROOT_PASSWORD"))
	c.SessionToken = Secret(first("AWS_SESSION_TOKEN"))
	return c
}

// RegisterFlags adds -s3-endpoint, -s3-region, -s3-access-key,
// -s3-secret-key and -s3-insecure to fs, defaulting to c's current values.
// Prefer environment variables for the secret: flags show up in process
// listings.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Endpoint, "s3-endpoint", c.Endpoint, "S3 endpoint, host:port or URL (default AWS)")
	fs.StringVar(&c.Region, "s3-region", c.Region, "S3 region")
	fs.StringVar(&c.AccessKey, "s3-access-key", c.AccessKey, "S3 access key id")
	fs.Func("s3-secret-key", "S3 secret access key (prefer AWS_SECRET_ACCESS_KEY)", func(v string) error {
		c.SecretKey = Secret(v)
		return nil
	})
	fs.BoolVar(&c.Insecure, "s3-insecure", c.Insecure, "use plain HTTP")
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Bucket == "" {
		return errors.New("s3 config: bucket is required")
	}
	if c.PartSize < 5<<20 {
		return errors.New("s3 config: part size must be at least 5 MiB")
	}
	if c.MemoryBuffer < 0 {
		return errors.New("s3 config: negative memory buffer")
	}
	if _, _, err := c.endpoint(); err != nil {
		return err
	}
	if strings.HasPrefix(c.Prefix, "/") || strings.Contains(c.Prefix, "//") {
		return fmt.Errorf("s3 config: bad prefix %q", c.Prefix)
	}
	if p := strings.Trim(c.Prefix, "/"); p != "" {
		if err := core.ValidateKey(p); err != nil {
			return fmt.Errorf("s3 config: prefix: %w", err)
		}
	}
	if err := c.Retry.Validate(); err != nil {
		return fmt.Errorf("s3 config: %w", err)
	}
	return nil
}

// endpoint returns the host[:port] and whether to use TLS.
func (c Config) endpoint() (host string, secure bool, err error) {
	ep := c.Endpoint
	if ep == "" {
		return "s3.amazonaws.com", !c.Insecure, nil
	}
	if !strings.Contains(ep, "://") {
		return ep, !c.Insecure, nil
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		// Never echo the endpoint: it might carry user:password.
		return "", false, errors.New("s3 config: endpoint must be host[:port] or http(s)://host[:port]")
	}
	return u.Host, u.Scheme == "https" && !c.Insecure, nil
}

// String describes the configuration without secrets.
func (c Config) String() string {
	host, secure, err := c.endpoint()
	if err != nil {
		host = "(bad endpoint)"
	}
	scheme := "https"
	if !secure {
		scheme = "http"
	}
	u := url.URL{Scheme: "s3", Host: c.Bucket, Path: "/" + strings.Trim(c.Prefix, "/")}
	return fmt.Sprintf("%s (%s://%s, region %s)", strings.TrimSuffix(u.String(), "/"), scheme, host, c.Region)
}
