#!/usr/bin/env bash
# deps.sh installs the external programs Quarry's tests and linters need into
# the repository's git-ignored bin/ directory. It is idempotent: a tool that is
# already present is left alone, so running it again is cheap.
#
# Installed:
#   bin/minio        the MinIO server used by the S3 integration tests
#                    (takes about 2.5 minutes to build the first time)
#   bin/staticcheck  the linter used by `make lint`
#   bin/promtool     Prometheus's rule checker and rule unit tester
#   bin/kubeconform  the Kubernetes manifest validator
#   bin/kube-schemas the JSON schemas kubeconform validates against, made
#                    offline from the OpenAPI document of the k8s.io/kubernetes
#                    module and the ServiceMonitor CRD of the
#                    prometheus-operator module (deploy/validate/cmd/kubeschemas)
#
# promtool, kubeconform and the schemas are pinned: a copy of another
# version is replaced, one of the pinned version is kept.
#
# Usage: bash scripts/deps.sh        (from anywhere inside the repository)
set -euo pipefail

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
STATICCHECK_VERSION="v0.7.0"
# Prometheus 3.x's Go module is tagged v0.3xx.y; this promtool matches the
# promql parser deploy/validate uses (its go.mod).
PROMETHEUS_VERSION="v0.316.0"
KUBECONFORM_VERSION="v0.7.0"
# The Kubernetes API the manifests are validated against, and the Prometheus
# Operator whose ServiceMonitor CRD they use.
KUBERNETES_VERSION="v1.34.3"
PROMETHEUS_OPERATOR_VERSION="v0.85.0"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${root}/bin"
mkdir -p "${bin}"

# install NAME PACKAGE@VERSION builds PACKAGE into bin/ unless bin/NAME exists.
# The build runs outside the module so that go.mod is never touched, and it
# goes through a temporary GOBIN first so an interrupted build never leaves a
# half-written binary under the final name.
install() {
	local name="$1" pkg="$2"
	if [[ -x "${bin}/${name}" ]]; then
		echo "deps: ${name} already installed (${bin}/${name})"
		return 0
	fi
	echo "deps: installing ${pkg} into ${bin}/${name} ..."
	local tmp
	tmp="$(mktemp -d "${bin}/.install-${name}.XXXXXX")"
	# shellcheck disable=SC2064
	trap "rm -rf '${tmp}'" RETURN
	(cd "${tmp}" && GOBIN="${tmp}" GOFLAGS=-buildvcs=false GO111MODULE=on go install "${pkg}")
	mv -f "${tmp}/${name}" "${bin}/${name}"
	echo "deps: installed ${bin}/${name}"
}

install staticcheck "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"
install minio "github.com/minio/minio@${MINIO_VERSION}"

# install_pinned NAME MODULE PACKAGE VERSION builds PACKAGE@VERSION into
# bin/NAME unless bin/NAME was built from MODULE at VERSION (as `go version
# -m` reads it from the binary); a binary of another version is replaced.
install_pinned() {
	local name="$1" module="$2" pkg="$3" version="$4"
	if [[ -x "${bin}/${name}" ]] &&
		go version -m "${bin}/${name}" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+${module}[[:space:]]+${version}([[:space:]]|$)"; then
		echo "deps: ${name} ${version} already installed (${bin}/${name})"
		return 0
	fi
	rm -f "${bin}/${name}"
	install "${name}" "${pkg}@${version}"
}

# module_dir MODULE@VERSION downloads a module through the module proxy
# (into the module cache) and prints the folder it was extracted to.
module_dir() {
	local tmp dir
	tmp="$(mktemp -d)"
	dir="$(cd "${tmp}" && GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	rm -rf "${tmp}"
	if [[ -z "${dir}" || ! -d "${dir}" ]]; then
		echo "deps: go mod download $1 gave no folder" >&2
		return 1
	fi
	echo "${dir}"
}

# kube_schemas writes bin/kube-schemas unless its stamp names the pinned
# versions: no schema is fetched from the network but through the Go
# module proxy, where both documents ship inside Go modules.
kube_schemas() {
	local out="${bin}/kube-schemas"
	local stamp="kubernetes ${KUBERNETES_VERSION} prometheus-operator ${PROMETHEUS_OPERATOR_VERSION}"
	if [[ -f "${out}/STAMP" && "$(cat "${out}/STAMP")" == "${stamp}" ]]; then
		echo "deps: kube-schemas (${stamp}) already present (${out})"
		return 0
	fi
	echo "deps: making Kubernetes JSON schemas (${stamp}) in ${out} ..."
	local k8s op tmp
	k8s="$(module_dir "k8s.io/kubernetes@${KUBERNETES_VERSION}")"
	op="$(module_dir "github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}")"
	tmp="$(mktemp -d "${bin}/.kube-schemas.XXXXXX")"
	# shellcheck disable=SC2064
	trap "rm -rf '${tmp}'" RETURN
	(cd "${root}/deploy/validate" && go run ./cmd/kubeschemas \
		-swagger "${k8s}/api/openapi-spec/swagger.json" \
		-crd "${op}/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
		-out "${tmp}/schemas")
	echo "${stamp}" >"${tmp}/schemas/STAMP"
	rm -rf "${out}"
	mv "${tmp}/schemas" "${out}"
	echo "deps: made ${out}"
}

install_pinned promtool github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool "${PROMETHEUS_VERSION}"
install_pinned kubeconform github.com/yannh/kubeconform github.com/yannh/kubeconform/cmd/kubeconform "${KUBECONFORM_VERSION}"
kube_schemas
