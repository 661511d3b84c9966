// Package bearer carries a client's token on its gRPC calls, as the
// "authorization: Bearer <token>" metadata the coordinator checks. The
// worker and the command-line clients share it.
package bearer

import (
	"context"

	"google.golang.org/grpc/credentials"
)

// MetadataKey is the gRPC metadata key holding "Bearer <token>".
const MetadataKey = "authorization"

// Token is a gRPC per-call credential sending itself as a bearer token.
// Its String never shows the token.
type Token string

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (t Token) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{MetadataKey: "Bearer " + string(t)}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials. It
// is false so that tokens also work on a loopback cluster without TLS;
// across machines, run with TLS (docs/security.md).
func (Token) RequireTransportSecurity() bool { return false }

// String hides the token.
func (t Token) String() string {
	if t == "" {
		return "no token"
	}
	return "token(redacted)"
}

// GoString hides the token from %#v too.
func (t Token) GoString() string { return t.String() }

var _ credentials.PerRPCCredentials = Token("")
