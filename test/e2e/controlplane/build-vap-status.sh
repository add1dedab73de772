#!/usr/bin/env bash
# Builds cmd/vap-status (kube-controller-manager's ValidatingAdmissionPolicy status controller,
# alone) from the same pinned go.mod/go.sum as the control plane, into the e2e cache bin dir.
# Its own stamp and a copy of go.mod, so the control plane's build (build.sh) is untouched. Warm: a no-op; cold with a
# warm control-plane build cache: about a minute (the packages are kube-apiserver's).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
. ../go-env.sh
stamp_file="$bin/.stamp-vap-status"
stamp="$(build_stamp build-vap-status.sh cmd/vap-status/main.go)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x "$bin/vap-status" ]; then
  echo "vap-status up to date ($bin/vap-status)"
  exit 0
fi
mkdir -p "$bin"
tmp="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export GOFLAGS="-mod=mod" CGO_ENABLED=0
# A copy of go.mod/go.sum (-modfile): Go promotes the packages this command imports to direct
# requirements, and an edited go.mod would change the control plane's stamp for everyone.
cp go.mod "$tmp/go.mod"
cp go.sum "$tmp/go.sum"
go build -modfile="$tmp/go.mod" -trimpath -ldflags="-s -w" -o "$tmp/vap-status" ./cmd/vap-status
mv -f "$tmp/vap-status" "$bin/vap-status"
echo "$stamp" > "$stamp_file"
