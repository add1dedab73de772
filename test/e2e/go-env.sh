# Sourced by the e2e build scripts (controlplane/build.sh, helm/build.sh) from their own
# directory: the machine's Go, never a toolchain downloaded on the fly, and the cache both
# build into. Exits 3 when there is no Go (run.js turns that into a skip, or a failure in CI).
export GOTOOLCHAIN=local
if ! command -v go >/dev/null 2>&1; then
  [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "$(basename "$(pwd)")/build.sh: Go toolchain not found on PATH (need Go >= 1.26)" >&2
  exit 3
fi

cache="${EXTGUARD_E2E_CACHE:-$HOME/.cache/extguard-e2e}"
bin="$cache/bin"

# What a build depends on: go.mod, go.sum, the Go version and the scripts that build it, plus
# the files named as arguments (a build script other than build.sh, sources of our own). A
# stamp file holding this hash makes a warm run a no-op.
build_stamp() {
  { cat go.mod go.sum; go version; cat build.sh "${BASH_SOURCE[0]}" "$@"; } | sha256sum | cut -d' ' -f1
}
