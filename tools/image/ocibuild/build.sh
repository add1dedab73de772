#!/usr/bin/env bash
# Builds ocibuild (main.go: writes the image as an OCI layout and archive) from the Go module
# pinned in this directory's go.mod/go.sum (github.com/google/go-containerregistry) into the e2e
# cache dir, beside helm and the control plane:
#   ${EXTGUARD_E2E_CACHE:-$HOME/.cache/extguard-e2e}/bin/ocibuild
# A stamp (sha256 of go.mod + go.sum + main.go + `go version` + this script and go-env.sh)
# makes a warm run a no-op. Go is build tooling here, never part of the image.
# Exit codes: 0 ok, 3 no Go toolchain, other = build failed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

. ../../../test/e2e/go-env.sh
stamp_file="$bin/.stamp-ocibuild"
stamp="$(build_stamp main.go)"

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x "$bin/ocibuild" ]; then
  exit 0
fi

export GOFLAGS="-mod=mod" CGO_ENABLED=0
start=$(date +%s)
mkdir -p "$bin"
rm -f "$stamp_file"
tmp="$(mktemp -d "$cache/build-ocibuild.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
go build -trimpath -ldflags="-s -w" -o "$tmp/ocibuild" .
mv -f "$tmp/ocibuild" "$bin/ocibuild"
echo "$stamp" > "$stamp_file"
echo "ocibuild built in $(( $(date +%s) - start ))s ($bin/ocibuild)" >&2
