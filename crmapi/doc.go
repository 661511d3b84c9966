// Package crmapi serves a published Quarry model to CRM applications:
// customer profiles (segment and its label, RFM scores, value, lifecycle
// stage, churn risk, last purchases), explained recommendations from
// association rules and sequential patterns with a segment best-seller
// fallback, item associations and segments, over a small JSON HTTP API.
//
// Load reads one model version (models/<dataset>/v<N>/manifest.json, see
// package jobs) and the dataset version it pins, verifies every object
// against the sizes and SHA-256 sums of the manifests and builds an
// immutable Model with in-memory indexes. A Server holds the current Model
// behind an atomic pointer: Swap installs a new one, Rollback returns to
// the previous one, and every request reads the pointer once, so it is
// answered entirely from the model it started with. docs/crmapi.md
// documents the endpoints and the rules behind labels, lifecycle stages,
// churn risk and ranking; openapi.json, served at /openapi.json, describes
// every route.
package crmapi
