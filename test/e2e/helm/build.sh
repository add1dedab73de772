#!/usr/bin/env bash
# Builds the helm CLI for the e2e tests (test/e2e/helm.test.ts) from the Go module pinned in
# this directory's go.mod/go.sum (helm.sh/helm/v4, a `tool` directive) into the same cache dir
# as the control plane:
#   ${EXTGUARD_E2E_CACHE:-$HOME/.cache/extguard-e2e}/bin/helm
# A stamp (sha256 of go.mod + go.sum + `go version` + this script and ../go-env.sh) makes a warm run a no-op.
# Cold build (empty Go module and build caches, 2 cores): 4.7 min user CPU, 10.8 min wall on a
# loaded machine (docs/helm.md, "helm for the tests"); warm: instant.
# Exit codes: 0 ok, 3 no Go toolchain, other = build failed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

. ../go-env.sh
stamp_file="$bin/.stamp-helm"
stamp="$(build_stamp)"

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x "$bin/helm" ]; then
  echo "helm up to date ($bin/helm)"
  exit 0
fi

# -mod=mod: go.sum is complete, but never fall back to vendor dirs; CGO off gives a static binary.
export GOFLAGS="-mod=mod" CGO_ENABLED=0
version="$(go list -m -f '{{.Version}}' helm.sh/helm/v4)"
echo "building helm $version into $bin ($(go version | cut -d' ' -f3))"
start=$(date +%s)
mkdir -p "$bin"
rm -f "$stamp_file"
tmp="$(mktemp -d "$cache/build-helm.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# What helm's own Makefile sets for a release build, so `helm version` names the pinned tag.
go build -trimpath \
  -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.metadata= -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
  -o "$tmp/helm" helm.sh/helm/v4/cmd/helm
mv -f "$tmp/helm" "$bin/helm"
echo "$stamp" > "$stamp_file"
echo "helm $version built in $(( $(date +%s) - start ))s"
