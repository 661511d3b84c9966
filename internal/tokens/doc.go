// Package tokens holds bearer-token sets for Quarry's servers: the token
// file format they share, the rules a token must meet, and a lookup that
// keeps only each token's SHA-256 and compares in constant time. The
// coordinator (roles) and the CRM API (scopes) each give it their own
// permission names.
package tokens
