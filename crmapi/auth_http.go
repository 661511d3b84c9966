package crmapi

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// access is who may call a route.
type access uint8

const (
	// public routes need no token and are not rate limited.
	public access = iota
	// needRead routes need a token with scope read.
	needRead
	// needAdmin routes need a token with scope admin.
	needAdmin
)

// authRealm is the realm of the WWW-Authenticate challenges.
const authRealm = "quarry-crmapi"

// anonymous names the caller in the request log of a public route, or of
// any route when authentication is off.
const anonymous = "-"

// guard wraps the handler of a route that acc may call. In order, it
// checks the bearer token (401, 403), the token's rate limit (429) and the
// body size (413), bounds the handler's time with Config.RequestTimeout
// (503, not on public routes) and, when the logger logs at debug level,
// writes one line per request naming the token by its name, never the
// token itself.
func (s *Server) guard(acc access, h http.Handler) http.Handler {
	if acc != public && s.cfg.RequestTimeout > 0 {
		h = s.withTimeout(h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			if s.admit(w, r, acc) != "" {
				h.ServeHTTP(w, r)
			}
			return
		}
		start := time.Now()
		lw := &loggedWriter{ResponseWriter: w, code: http.StatusOK}
		who := s.admit(lw, r, acc)
		if who != "" {
			h.ServeHTTP(lw, r)
		}
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", lw.code),
			slog.String("token", cmp.Or(who, lw.refused)), slog.String("remote", r.RemoteAddr),
			slog.Duration("duration", time.Since(start)))
	})
}

// admit decides whether r may go on to the route's handler. It returns
// the name of the caller's token (anonymous on public routes or without
// authentication), or "" after answering the refusal itself.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, acc access) string {
	who := anonymous
	if acc != public && s.tokens != nil {
		i, ok := s.authenticate(w, r)
		if !ok {
			return ""
		}
		name, scopes := s.tokens.s.Entry(i)
		who = name
		if acc == needAdmin && scopes&ScopeAdmin == 0 {
			refuse(w, name)
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error="insufficient_scope", scope="admin"`, authRealm))
			writeError(w, http.StatusForbidden, CodeForbidden, fmt.Sprintf("token %q lacks scope admin", name))
			return ""
		}
		if lim := s.limiters[i]; lim != nil {
			if now := time.Now(); !lim.AllowN(now, 1) {
				refuse(w, name)
				wait := retryAfter(lim, now)
				w.Header().Set("Retry-After", strconv.Itoa(wait))
				writeError(w, http.StatusTooManyRequests, CodeRateLimited,
					fmt.Sprintf("token %q is over its rate limit of %g requests/s; retry after %d s", name, float64(lim.Limit()), wait))
				return ""
			}
		}
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		refuse(w, who)
		writeError(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("body over %d bytes", s.cfg.MaxBodyBytes))
		return ""
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
	return who
}

// authenticate finds the token of r's "Authorization: Bearer" header, or
// answers 401 with a WWW-Authenticate challenge.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (int, bool) {
	h := r.Header.Get("Authorization")
	scheme, secret, _ := strings.Cut(h, " ")
	secret = strings.TrimSpace(secret)
	if h == "" || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q`, authRealm))
		msg := "missing bearer token: send Authorization: Bearer <token>"
		if h != "" {
			msg = "malformed Authorization header: want Bearer <token>"
		}
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, msg)
		return 0, false
	}
	i := s.tokens.lookup(secret)
	if i < 0 {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error="invalid_token"`, authRealm))
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "unknown bearer token")
		return 0, false
	}
	return i, true
}

// refuse records, for the request log, the token name of a refused
// request.
func refuse(w http.ResponseWriter, name string) {
	if lw, ok := w.(*loggedWriter); ok {
		lw.refused = name
	}
}

// loggedWriter remembers the status code written and, for a refused
// request, the name of its token.
type loggedWriter struct {
	http.ResponseWriter
	code    int
	refused string
}

// WriteHeader records code and writes it.
func (w *loggedWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *loggedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
