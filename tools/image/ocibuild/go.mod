// Build tooling only (not product code): writes extguard's container image as an OCI layout
// and archive from the root filesystem tar that tools/image/assemble.ts makes. See build.sh.
module extguard.local/tools/image/ocibuild

go 1.26.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	golang.org/x/sync v0.22.0 // indirect
)
