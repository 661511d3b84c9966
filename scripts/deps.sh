#!/usr/bin/env bash
# deps.sh installs the external programs Quarry's tests and linters need into
# the repository's git-ignored bin/ directory. It is idempotent: a tool that is
# already present is left alone, so running it again is cheap.
#
# Installed:
#   bin/minio        the MinIO server used by the S3 integration tests
#                    (takes about 2.5 minutes to build the first time)
#   bin/staticcheck  the linter used by `make lint`
#
# Usage: bash scripts/deps.sh        (from anywhere inside the repository)
set -euo pipefail

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
STATICCHECK_VERSION="v0.7.0"

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
