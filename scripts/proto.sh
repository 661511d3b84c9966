#!/usr/bin/env bash
# proto.sh regenerates the Go code of Quarry's gRPC protocol (api/**/*.proto)
# with buf and the protoc-gen-go / protoc-gen-go-grpc plugins. All three are
# pinned Go programs, built through the Go module proxy into the repository's
# git-ignored bin/ on first use (about a minute), so neither protoc nor any
# download outside the Go proxy is needed. It is idempotent: running it twice
# leaves the tree as the first run did.
#
# The generated *.pb.go files are committed, so building and testing Quarry
# never needs this script; run it (`make proto`) after editing a .proto file.
#
# Usage:
#   bash scripts/proto.sh           format and lint the protos, regenerate
#   bash scripts/proto.sh --check   fail if the committed code or formatting
#                                   differs from what the generator makes
set -euo pipefail

BUF_VERSION="v1.75.0"
# protoc-gen-go must not be newer than google.golang.org/protobuf in go.mod.
PROTOC_GEN_GO_VERSION="v1.36.12"
PROTOC_GEN_GO_GRPC_VERSION="v1.6.2"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${root}/bin"
api="${root}/api"
mkdir -p "${bin}"
export PATH="${bin}:${PATH}"

check=false
case "${1:-}" in
"") ;;
--check) check=true ;;
*)
	echo "usage: bash scripts/proto.sh [--check]" >&2
	exit 2
	;;
esac

# install NAME PACKAGE VERSION WANT builds PACKAGE@VERSION into bin/NAME unless
# `bin/NAME --version` already prints WANT. The build runs outside the module
# (go.mod is never touched) through a temporary GOBIN, so an interrupted build
# never leaves a half-written binary under the final name.
install() {
	local name="$1" pkg="$2" version="$3" want="$4"
	if [[ -x "${bin}/${name}" ]] && [[ "$("${bin}/${name}" --version 2>&1)" == "${want}" ]]; then
		return 0
	fi
	echo "proto: installing ${pkg}@${version} into ${bin}/${name} ..."
	local tmp
	tmp="$(mktemp -d "${bin}/.install-${name}.XXXXXX")"
	# shellcheck disable=SC2064
	trap "rm -rf '${tmp}'" RETURN
	(cd "${tmp}" && GOBIN="${tmp}" GOFLAGS=-buildvcs=false GO111MODULE=on go install "${pkg}@${version}")
	mv -f "${tmp}/${name}" "${bin}/${name}"
}

install buf github.com/bufbuild/buf/cmd/buf "${BUF_VERSION}" "${BUF_VERSION#v}"
install protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go \
	"${PROTOC_GEN_GO_VERSION}" "protoc-gen-go ${PROTOC_GEN_GO_VERSION}"
install protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc \
	"${PROTOC_GEN_GO_GRPC_VERSION}" "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION#v}"

cd "${api}"
buf lint

if ! ${check}; then
	buf format --write
	buf generate --template buf.gen.yaml
	echo "proto: generated $(find . -name '*.pb.go' | wc -l | tr -d ' ') files under api/"
	exit 0
fi

# --check: the protos must be formatted, and generating into a scratch folder
# must give exactly the committed *.pb.go files (no change, none missing, none
# stale).
buf format --diff --exit-code
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
buf generate --template buf.gen.yaml --output "${tmp}"
status=0
while IFS= read -r f; do
	if ! cmp -s "${tmp}/${f}" "${api}/${f}"; then
		echo "proto: api/${f} is out of date; run make proto" >&2
		diff -u "${api}/${f}" "${tmp}/${f}" | head -40 >&2 || true
		status=1
	fi
done < <(cd "${tmp}" && find . -name '*.pb.go' | sed 's|^\./||' | sort)
while IFS= read -r f; do
	if [[ ! -e "${tmp}/${f}" ]]; then
		echo "proto: api/${f} is not generated from any .proto; delete it" >&2
		status=1
	fi
done < <(find . -name '*.pb.go' | sed 's|^\./||' | sort)
if [[ ${status} -eq 0 ]]; then
	echo "proto: generated code is in sync"
fi
exit "${status}"
