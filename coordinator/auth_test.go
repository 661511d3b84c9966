package coordinator_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/coordinator"
)

// Tokens of the auth tests, one per role; each at least 16 bytes.
const (
	tokAnalyst = "analyst-token-0123456789"
	tokOps     = "ops-token-0123456789abcd"
	tokReader  = "reader-token-0123456789a"
	tokWorker  = "worker-token-0123456789a"
	tokAdmin   = "admin-token-0123456789ab"
	tokWrong   = "wrong-token-0123456789ab"
)

// testTokenFile is a token file with one token per role.
var testTokenFile = fmt.Sprintf(`# quarry cluster tokens
%s analyst alice
%s ops olga
%s read rita
%s worker workers
%s admin root
`, tokAnalyst, tokOps, tokReader, tokWorker, tokAdmin)

func testTokens(t *testing.T) *coordinator.Tokens {
	t.Helper()
	toks, err := coordinator.ParseTokens(strings.NewReader(testTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	return toks
}

// TestParseTokens checks the token file format and its refusals, whose
// messages never hold the token.
func TestParseTokens(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // String() of the tokens, or the error's substring
		err      bool
	}{
		{"one per role", testTokenFile, "5 tokens (alice:analyst olga:ops rita:reader workers:worker root:admin)", false},
		{"semicolons and default names", "aaaaaaaaaaaaaaaa analyst,ops; bbbbbbbbbbbbbbbb reader", "2 tokens (token-1:analyst,ops token-2:reader)", false},
		{"unknown role", "aaaaaaaaaaaaaaaa superuser", `entry 1: unknown role "superuser"`, true},
		{"short token", "short analyst", "shorter than 16 bytes", true},
		{"one field", "aaaaaaaaaaaaaaaa", "got 1 fields", true},
		{"same token twice", "aaaaaaaaaaaaaaaa analyst a\naaaaaaaaaaaaaaaa ops b", `token "b" is the same as "a"`, true},
		{"same name twice", "aaaaaaaaaaaaaaaa analyst a\nbbbbbbbbbbbbbbbb ops a", `name "a" given twice`, true},
		{"empty", "# nothing\n\n", "no token", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, err := coordinator.ParseTokens(strings.NewReader(tt.in))
			if tt.err {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got error %v; want one with %q", err, tt.want)
				}
				for _, secret := range []string{"aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q holds a token", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := toks.String(); got != tt.want {
				t.Errorf("got %s; want %s", got, tt.want)
			}
		})
	}
}

// TestAuthorize checks the role table and the header forms.
func TestAuthorize(t *testing.T) {
	toks := testTokens(t)
	tests := []struct {
		header string
		perm   coordinator.Permission
		want   error
		name   string
	}{
		{"Bearer " + tokAnalyst, coordinator.PermSubmitJobs, nil, "alice"},
		{"bearer  " + tokAnalyst, coordinator.PermReadDatasets, nil, "alice"},
		{"Bearer " + tokAnalyst, coordinator.PermReadWorkers, coordinator.ErrForbidden, "alice"},
		{"Bearer " + tokOps, coordinator.PermReadWorkers, nil, "olga"},
		{"Bearer " + tokOps, coordinator.PermReadJobs, nil, "olga"},
		{"Bearer " + tokOps, coordinator.PermSubmitJobs, coordinator.ErrForbidden, "olga"},
		{"Bearer " + tokReader, coordinator.PermReadJobs, coordinator.ErrForbidden, "rita"},
		{"Bearer " + tokWorker, coordinator.PermWorker, nil, "workers"},
		{"Bearer " + tokWorker, coordinator.PermReadJobs, coordinator.ErrForbidden, "workers"},
		{"Bearer " + tokAdmin, coordinator.PermWorker, nil, "root"},
		{"Bearer " + tokAdmin, coordinator.GRPCPermission("/x.Y/Z"), coordinator.ErrForbidden, "root"},
		{"", coordinator.PermReadJobs, coordinator.ErrUnauthenticated, ""},
		{"", coordinator.PermOpen, nil, ""},
		{"Basic " + tokAdmin, coordinator.PermReadJobs, coordinator.ErrUnauthenticated, ""},
		{"Bearer ", coordinator.PermReadJobs, coordinator.ErrUnauthenticated, ""},
		{"Bearer " + tokWrong, coordinator.PermReadJobs, coordinator.ErrUnauthenticated, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.12s/%s", tt.header, tt.perm), func(t *testing.T) {
			name, err := toks.Authorize(tt.header, tt.perm)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("got %v; want %v", err, tt.want)
			}
			if name != tt.name {
				t.Errorf("name: got %q; want %q", name, tt.name)
			}
			if secret := strings.TrimSpace(tt.header[min(len(tt.header), 6):]); err != nil && len(secret) >= 16 && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q holds the token", err)
			}
		})
	}
	var off *coordinator.Tokens
	if _, err := off.Authorize("", coordinator.PermSubmitJobs); err != nil {
		t.Errorf("no tokens (auth off): got %v; want nil", err)
	}
}
