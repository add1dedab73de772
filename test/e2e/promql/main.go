// promql-check: Prometheus's own parsers, for the e2e test of manifests/monitoring.
//
//	promql-check rules FILE...  checks rule files as `promtool check rules` parses them
//	                            (rulefmt: YAML structure, the PromQL of every expr, the
//	                            templates of labels and annotations)
//	promql-check exprs          checks the PromQL expressions of a JSON array on stdin
//
// promtool itself builds from the same module but pulls in every service discovery (cloud
// SDKs, client-go): over 20 minutes on 2 cores, against about one for these two packages.
package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: promql-check rules FILE... | promql-check exprs < exprs.json")
		os.Exit(2)
	}
	p := parser.NewParser(parser.Options{})
	failed := false
	switch os.Args[1] {
	case "rules":
		for _, f := range os.Args[2:] {
			rgs, errs := rulefmt.ParseFile(f, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
			for _, err := range errs {
				fmt.Fprintln(os.Stderr, err)
				failed = true
			}
			if rgs != nil {
				n := 0
				for _, g := range rgs.Groups {
					n += len(g.Rules)
				}
				fmt.Printf("%s: %d rules\n", f, n)
			}
		}
	case "exprs":
		var exprs []string
		if err := json.NewDecoder(os.Stdin).Decode(&exprs); err != nil {
			fmt.Fprintln(os.Stderr, "stdin: want a JSON array of strings:", err)
			os.Exit(2)
		}
		for _, e := range exprs {
			if _, err := p.ParseExpr(e); err != nil {
				fmt.Fprintf(os.Stderr, "%q: %v\n", e, err)
				failed = true
			}
		}
		fmt.Printf("%d expressions\n", len(exprs))
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}
