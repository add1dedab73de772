#!/usr/bin/env bash
# Builds kubectl-yaml (main.go: kubectl's manifest reader alone) into the e2e cache bin dir,
# for the integration suite's kubectl-parse cases. Stamped like the e2e tools: a warm run is a
# no-op. Exits 3 without Go (go-env.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
. ../e2e/go-env.sh
stamp_file="$bin/.stamp-kubectl-yaml"
stamp="$(build_stamp main.go)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x "$bin/kubectl-yaml" ]; then
  echo "kubectl-yaml up to date ($bin/kubectl-yaml)"
  exit 0
fi
mkdir -p "$bin"
tmp="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS="-mod=readonly" CGO_ENABLED=0
go build -trimpath -ldflags="-s -w" -o "$tmp/kubectl-yaml" .
mv -f "$tmp/kubectl-yaml" "$bin/kubectl-yaml"
echo "$stamp" > "$stamp_file"
