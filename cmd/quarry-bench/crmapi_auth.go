package main

import (
	"strings"

	"github.com/quarrydata/quarry/crmapi"
)

// benchToken is the read-scope bearer token the load generators send.
const benchToken = "bench-read-token-0123456789abcdef"

// benchAuthConfig returns cfg with a bearer token of scope read, and the
// token: the figures include authentication. Rate limiting is off (the
// generator is one client asking as fast as it can); the request timeout
// stays at its default, as served.
func benchAuthConfig(cfg crmapi.Config) (crmapi.Config, string) {
	t, err := crmapi.ParseTokens(strings.NewReader(benchToken + " read bench"))
	if err != nil {
		panic(err) // a constant that parses
	}
	cfg.Tokens, cfg.RateLimit, cfg.RateBurst = t, 0, 0
	return cfg, benchToken
}
