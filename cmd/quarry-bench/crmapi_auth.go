package main

import "github.com/quarrydata/quarry/crmapi"

// benchAuthConfig returns cfg with a bearer token of scope read, and the
// token, when crmapi.Config supports tokens; the token is "" until then
// (and the figures are without auth).
func benchAuthConfig(cfg crmapi.Config) (crmapi.Config, string) {
	return cfg, ""
}
