// kubectl-yaml prints, one JSON line per object, what kubectl would read from a manifest file
// on stdin: the loop of k8s.io/cli-runtime's StreamVisitor (the reader behind kubectl apply -f,
// create -f, diff -f), with the same decoder (k8s.io/apimachinery's YAMLOrJSONDecoder, which
// turns YAML into JSON through sigs.k8s.io/yaml). It stops at the first error, as kubectl does,
// printing {"error": "..."} and exiting 1. Test tooling only: the integration suite compares
// extguard check's reading of the same bytes against it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
)

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	d := yaml.NewYAMLOrJSONDecoder(os.Stdin, 4096)
	for {
		ext := runtime.RawExtension{}
		if err := d.Decode(&ext); err != nil {
			if err == io.EOF {
				return
			}
			line, _ := json.Marshal(map[string]string{"error": err.Error()})
			fmt.Fprintln(out, string(line))
			out.Flush()
			os.Exit(1)
		}
		// As StreamVisitor: empty documents and null are no objects.
		ext.Raw = bytes.TrimSpace(ext.Raw)
		if len(ext.Raw) == 0 || bytes.Equal(ext.Raw, []byte("null")) {
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, ext.Raw); err != nil {
			line, _ := json.Marshal(map[string]string{"error": err.Error()})
			fmt.Fprintln(out, string(line))
			out.Flush()
			os.Exit(1)
		}
		fmt.Fprintln(out, compact.String())
	}
}
