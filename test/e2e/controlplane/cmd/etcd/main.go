// Command etcd is etcd's server entrypoint, built from the go.etcd.io/etcd/server/v3
// version that k8s.io/kubernetes already requires (test tooling for extguard's e2e tests).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
