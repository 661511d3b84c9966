#!/usr/bin/env bash
# validate-deploy.sh checks the files under deploy/ without running them
# (`make deploy-check`, part of `make test`):
#
#   promtool check rules / check config / test rules   deploy/prometheus
#   kubeconform -strict against offline schemas          deploy/kubernetes
#   go vet, staticcheck and go test of deploy/validate   the dashboard's and
#       rules' metrics and PromQL, the compose file (Compose spec), the
#       Dockerfile (BuildKit's parser, non-root USER), the systemd units
#       (systemd-analyze verify) and every quarry flag the files pass
#
# It needs the tools scripts/deps.sh installs into bin/. Any failure stops
# it with a non-zero status and names the file at fault.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${root}/bin"
deploy="${root}/deploy"

for tool in promtool kubeconform staticcheck; do
	if [[ ! -x "${bin}/${tool}" ]]; then
		echo "validate-deploy: ${bin}/${tool} is missing: run make deps" >&2
		exit 1
	fi
done
if [[ ! -f "${bin}/kube-schemas/STAMP" ]]; then
	echo "validate-deploy: ${bin}/kube-schemas is missing: run make deps" >&2
	exit 1
fi

step() { echo "deploy-check: $*"; }

step "promtool check rules deploy/prometheus/alerts.yaml"
"${bin}/promtool" check rules "${deploy}/prometheus/alerts.yaml"
step "promtool check config deploy/prometheus/prometheus.yml"
"${bin}/promtool" check config --syntax-only "${deploy}/prometheus/prometheus.yml"
step "promtool test rules deploy/prometheus/alerts_test.yaml"
(cd "${deploy}/prometheus" && "${bin}/promtool" test rules alerts_test.yaml)

# Strict schemas (no unknown field) made offline by scripts/deps.sh; the
# kustomization is not an API object, deploy/validate checks its list.
step "kubeconform -strict deploy/kubernetes ($(cat "${bin}/kube-schemas/STAMP"))"
"${bin}/kubeconform" -strict -summary \
	-schema-location "${bin}/kube-schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
	-ignore-filename-pattern 'kustomization\.yaml$' \
	"${deploy}/kubernetes"

step "deploy/validate: gofmt, go vet, staticcheck, go test"
cd "${deploy}/validate"
out="$(gofmt -l .)"
if [[ -n "${out}" ]]; then
	echo "gofmt would change:" >&2
	echo "${out}" >&2
	exit 1
fi
go vet ./...
"${bin}/staticcheck" ./...
go test -count=1 ./...
step "ok"
