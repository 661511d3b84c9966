package coordinator

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/quarrydata/quarry/internal/tokens"
)

// Role is a set of roles a client token holds.
type Role uint8

// The roles of the job cluster's tokens (docs/security.md).
const (
	// RoleAnalyst submits, reads and cancels jobs and reads datasets.
	RoleAnalyst Role = 1 << iota
	// RoleOps reads workers and jobs.
	RoleOps
	// RoleReader is the CRM API's read scope; it grants nothing on the
	// job cluster, and is accepted so that one token file can describe
	// every client.
	RoleReader
	// RoleWorker is a worker's: the WorkerService only.
	RoleWorker
	// RoleAdmin may do everything.
	RoleAdmin
)

// roleNames are the names of the roles in token files, in Role order.
// "read" is accepted for reader, as the CRM API's token file names it.
var roleNames = []struct {
	name string
	role Role
}{
	{"analyst", RoleAnalyst}, {"ops", RoleOps}, {"reader", RoleReader}, {"worker", RoleWorker}, {"admin", RoleAdmin},
}

// String names the roles as a token file does ("analyst,ops"; "" for none).
func (r Role) String() string {
	var names []string
	for _, n := range roleNames {
		if r&n.role != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// Permission is what a route needs.
type Permission uint8

// The permissions of the routes.
const (
	// PermOpen routes need no token (health, metrics).
	PermOpen Permission = iota
	// PermSubmitJobs submits and cancels jobs.
	PermSubmitJobs
	// PermReadJobs reads, lists and watches jobs.
	PermReadJobs
	// PermReadDatasets lists datasets.
	PermReadDatasets
	// PermReadWorkers lists workers.
	PermReadWorkers
	// PermWorker is the worker protocol (pull, report, heartbeat).
	PermWorker
	// permDenied is what an unknown route needs: nobody has it.
	permDenied
)

// String names the permission in refusals.
func (p Permission) String() string {
	switch p {
	case PermOpen:
		return "open"
	case PermSubmitJobs:
		return "submit jobs"
	case PermReadJobs:
		return "read jobs"
	case PermReadDatasets:
		return "read datasets"
	case PermReadWorkers:
		return "read workers"
	case PermWorker:
		return "worker protocol"
	}
	return "call an unlisted route"
}

// rolePermissions says which roles grant which permission; RoleAdmin
// grants all of them.
var rolePermissions = map[Permission]Role{
	PermSubmitJobs:   RoleAnalyst,
	PermReadJobs:     RoleAnalyst | RoleOps,
	PermReadDatasets: RoleAnalyst,
	PermReadWorkers:  RoleOps,
	PermWorker:       RoleWorker,
}

// Allows reports whether roles r grant permission p.
func (r Role) Allows(p Permission) bool {
	switch {
	case p == PermOpen:
		return true
	case p == permDenied:
		return false
	case r&RoleAdmin != 0:
		return true
	}
	return r&rolePermissions[p] != 0
}

// MinTokenLength is the shortest token accepted, in bytes.
const MinTokenLength = tokens.MinLength

// TokensEnv is the environment variable holding the tokens themselves, in
// the format of ParseTokens, when no token file is given.
const TokensEnv = "QUARRY_TOKENS"

// Named errors of authentication.
var (
	// ErrUnauthenticated reports a missing, malformed or unknown token.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden reports a token whose roles lack the permission.
	ErrForbidden = errors.New("forbidden")
)

// Tokens is an immutable set of client tokens, each with a name and roles.
// It keeps only the SHA-256 of each token, so printing or logging it
// cannot reveal one; lookups compare in constant time.
type Tokens struct {
	s tokens.Set[Role]
}

// roleVocabulary is the roles' names in token files.
var roleVocabulary = tokens.Vocabulary[Role]{Kind: "role", Want: "analyst, ops, reader, worker or admin", Parse: parseRole}

// ParseTokens reads tokens in the CRM API's token file format, with role
// names in place of scopes, one entry per line or ";"-separated:
//
//	token role[,role] [name]
//
// Roles are analyst, ops, reader (or read), worker and admin. The name,
// logged in place of the token, defaults to "token-N". Blank entries and
// entries starting with "#" are ignored. Tokens must be at least
// MinTokenLength bytes; a token or name given twice is an error. Errors
// name the entry, never the token.
func ParseTokens(r io.Reader) (*Tokens, error) {
	s, err := tokens.Parse(r, roleVocabulary)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return &Tokens{s: *s}, nil
}

// ReadTokensFile reads a token file in the format of ParseTokens.
func ReadTokensFile(path string) (*Tokens, error) {
	s, err := tokens.ReadFile(path, roleVocabulary)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return &Tokens{s: *s}, nil
}

// parseRole returns the role named s.
func parseRole(s string) (Role, bool) {
	if s == "read" {
		return RoleReader, true
	}
	for _, n := range roleNames {
		if n.name == s {
			return n.role, true
		}
	}
	return 0, false
}

// Add adds a token, refusing short and duplicate ones. Use it only while
// building a set, before serving with it.
func (t *Tokens) Add(secret, name string, roles Role) error {
	return t.s.Add(secret, name, roles)
}

// Len returns the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return t.s.Len()
}

// String describes the tokens by their names and roles.
func (t *Tokens) String() string {
	if t == nil {
		return "no tokens"
	}
	return t.s.Describe(Role.String)
}

// LogValue logs the tokens' names and roles.
func (t *Tokens) LogValue() slog.Value { return slog.StringValue(t.String()) }

// Lookup returns the name and roles of token secret and whether it is one
// of t's. It hashes secret and compares the hash with every token's in
// constant time, without stopping at a match.
func (t *Tokens) Lookup(secret string) (name string, roles Role, ok bool) {
	if t == nil {
		return "", 0, false
	}
	return t.s.Lookup(secret)
}

// Authorize checks that the bearer credential header (the value of an
// Authorization header or metadata, "Bearer <token>") grants p. It
// returns the token's name, or an error wrapping ErrUnauthenticated or
// ErrForbidden that names the token and the permission, never the token
// itself. With t nil (authentication off) everything is allowed.
func (t *Tokens) Authorize(header string, p Permission) (string, error) {
	if t == nil || p == PermOpen {
		return "", nil
	}
	scheme, secret, _ := strings.Cut(header, " ")
	secret = strings.TrimSpace(secret)
	switch {
	case header == "":
		return "", fmt.Errorf("%w: missing bearer token: send Authorization: Bearer <token> (quarry --token or QUARRY_TOKEN)", ErrUnauthenticated)
	case !strings.EqualFold(scheme, "Bearer") || secret == "":
		return "", fmt.Errorf("%w: malformed authorization: want Bearer <token>", ErrUnauthenticated)
	}
	name, roles, ok := t.Lookup(secret)
	if !ok {
		return "", fmt.Errorf("%w: unknown bearer token", ErrUnauthenticated)
	}
	if !roles.Allows(p) {
		return name, fmt.Errorf("%w: token %q (roles %s) may not %s", ErrForbidden, name, roleLabel(roles), p)
	}
	return name, nil
}

// roleLabel names roles, "none" for none.
func roleLabel(r Role) string {
	if s := r.String(); s != "" {
		return s
	}
	return "none"
}
