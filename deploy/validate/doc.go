// Package validate checks the files under deploy/ without running them:
// the Grafana dashboard and the Prometheus rules name only metrics that
// Quarry's processes export and hold PromQL that parses, the compose file
// loads under the Compose specification, the Dockerfile parses and drops
// root, and the systemd units pass systemd-analyze verify.
//
// It is a module of its own (deploy/validate/go.mod) so that the main
// module does not depend on the Prometheus server, compose-go or BuildKit.
// scripts/validate-deploy.sh runs its tests, which read the files under
// deploy/ directly; the functions here take paths or bytes so that the
// tests can feed them broken copies too.
package validate
