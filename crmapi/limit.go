package crmapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// newLimiters returns one token bucket per token of t, refilled at
// perSecond and holding burst requests, or nils when perSecond is 0 (no
// limit) or t is nil (no authentication, hence no identity to limit).
func newLimiters(t *Tokens, perSecond float64, burst int) []*rate.Limiter {
	out := make([]*rate.Limiter, t.Len())
	if perSecond <= 0 {
		return out
	}
	for i := range out {
		out[i] = rate.NewLimiter(rate.Limit(perSecond), burst)
	}
	return out
}

// retryAfter returns the whole seconds, at least 1, until lim holds a
// request again: the value of a 429's Retry-After.
func retryAfter(lim *rate.Limiter, now time.Time) int {
	missing := 1 - lim.TokensAt(now)
	if missing <= 0 || lim.Limit() <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(missing/float64(lim.Limit()))))
}

// withTimeout bounds h's time with Config.RequestTimeout: past it the
// client gets 503 with the JSON error timeout, and what h writes later is
// dropped (http.TimeoutHandler).
func (s *Server) withTimeout(h http.Handler) http.Handler {
	body, _ := json.Marshal(ErrorBody{ErrorDetail{Code: CodeTimeout,
		Message: fmt.Sprintf("the request took longer than %s", s.cfg.RequestTimeout)}})
	th := http.TimeoutHandler(h, s.cfg.RequestTimeout, string(body)+"\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// TimeoutHandler answers a timeout on w with this header; on
		// success it copies h's headers, which replace it.
		w.Header().Set("Content-Type", "application/json")
		th.ServeHTTP(w, r)
	})
}
