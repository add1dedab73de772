// gitleaks-dump prints, as JSON, the true and false positives that each rule of a pinned
// gitleaks release checks itself against when its default config is generated.
//
// Those lists only exist while gitleaks' rule builders run (many are made from the rule's
// own regex with a random generator), so this program builds a throwaway module next to
// the downloaded release: the release's rule files with two imports pointed elsewhere, a
// validate helper that records its arguments instead of checking them, and a secret
// generator with a fixed seed. Nothing from gitleaks is kept in this repository.
//
// Usage: go run . > /tmp/gitleaks-fixtures.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Version is the gitleaks release read; bump it and regenerate the corpus file together.
const (
	module  = "github.com/zricethezav/gitleaks/v8"
	Version = "v8.30.1"
	seed    = 7
)

type download struct {
	Dir, Sum, GoModSum string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gitleaks-dump:", err)
		os.Exit(1)
	}
}

func run() error {
	tmp, err := os.MkdirTemp("", "gitleaks-dump-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	// `go mod download` outside any module so the tool's own go.mod stays dependency-free.
	dl := exec.Command("go", "mod", "download", "-json", module+"@"+Version)
	dl.Dir = tmp
	dl.Stderr = os.Stderr
	out, err := dl.Output()
	if err != nil {
		return fmt.Errorf("go mod download: %w", err)
	}
	var d download
	if err := json.Unmarshal(out, &d); err != nil {
		return err
	}
	gen := filepath.Join(d.Dir, "cmd", "generate")

	// The release's own requirements keep every dependency at the version it was tested with.
	gomod, err := os.ReadFile(filepath.Join(d.Dir, "go.mod"))
	if err != nil {
		return err
	}
	gomod = bytes.Replace(gomod, []byte("module "+module), []byte("module gldump\n\nrequire "+module+" "+Version), 1)
	gosum, err := os.ReadFile(filepath.Join(d.Dir, "go.sum"))
	if err != nil {
		return err
	}
	gosum = append(gosum, []byte(fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", module, Version, d.Sum, module, Version, d.GoModSum))...)
	if err := write(tmp, "go.mod", gomod); err != nil {
		return err
	}
	if err := write(tmp, "go.sum", gosum); err != nil {
		return err
	}

	rewrite := strings.NewReplacer(
		`"`+module+`/cmd/generate/config/utils"`, `"gldump/utils"`,
		`"`+module+`/cmd/generate/secrets"`, `"gldump/secrets"`,
	)
	ruleFiles, err := filepath.Glob(filepath.Join(gen, "config", "rules", "*.go"))
	if err != nil {
		return err
	}
	var builders []string
	for _, f := range ruleFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := write(filepath.Join(tmp, "rules"), filepath.Base(f), []byte(rewrite.Replace(string(src)))); err != nil {
			return err
		}
		b, err := ruleBuilders(f, src)
		if err != nil {
			return err
		}
		builders = append(builders, b...)
	}
	sort.Strings(builders)

	for _, name := range []string{"generate.go", "patterns.go"} {
		src, err := os.ReadFile(filepath.Join(gen, "config", "utils", name))
		if err != nil {
			return err
		}
		text := rewrite.Replace(string(src))
		if name == "generate.go" {
			if text, err = hookSamples(text); err != nil {
				return err
			}
		}
		if err := write(filepath.Join(tmp, "utils"), name, []byte(text)); err != nil {
			return err
		}
	}
	if err := write(filepath.Join(tmp, "utils"), "validate.go", []byte(recorder)); err != nil {
		return err
	}
	if err := write(filepath.Join(tmp, "secrets"), "regen.go", []byte(fmt.Sprintf(seeded, seed))); err != nil {
		return err
	}
	var calls strings.Builder
	for _, b := range builders {
		fmt.Fprintf(&calls, "\trules.%s()\n", b)
	}
	if err := write(tmp, "main.go", []byte(fmt.Sprintf(mainSrc, Version, calls.String()))); err != nil {
		return err
	}

	cmd := exec.Command("go", "run", "-mod=mod", ".")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// ruleBuilders lists the exported functions without parameters that return *config.Rule:
// the same set gitleaks' generator calls one by one.
func ruleBuilders(path string, src []byte) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, src, 0)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !fn.Name.IsExported() || fn.Type.Params.NumFields() != 0 {
			continue
		}
		res := fn.Type.Results
		if res == nil || len(res.List) != 1 {
			continue
		}
		star, ok := res.List[0].Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		sel, ok := star.X.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Rule" {
			continue
		}
		names = append(names, fn.Name.Name)
	}
	return names, nil
}

// hookSamples makes the sample generators note the bare secret they were given (the
// converter wants the token on its own as well as inside code lines) and walk their
// template map in a fixed order.
func hookSamples(text string) (string, error) {
	edits := []struct{ old, new string }{
		{"func GenerateSampleSecret(identifier string, secret string) string {\n",
			"func GenerateSampleSecret(identifier string, secret string) string {\n\tnoteSample(identifier, secret)\n"},
		{"func GenerateSampleSecrets(identifier string, secret string) []string {\n",
			"func GenerateSampleSecrets(identifier string, secret string) []string {\n\tnoteSample(identifier, secret)\n"},
		{"for _, v := range samples {", "for _, k := range sortedKeys(samples) {\n\t\tv := samples[k]"},
	}
	for _, e := range edits {
		if strings.Count(text, e.old) != 1 {
			return "", fmt.Errorf("utils/generate.go of %s no longer has %q", Version, e.old)
		}
		text = strings.Replace(text, e.old, e.new, 1)
	}
	return text, nil
}

func write(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

const recorder = `package utils

import (
	"path/filepath"
	"runtime"
	"strings"

	"github.com/zricethezav/gitleaks/v8/cmd/generate/config/base"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
)

// Fixture is one tp or fp; Secrets holds what the rule itself captures from it (the token
// on its own) and Matches the whole text its regex matched, found with the release's detector.
type Fixture struct {
	Path    string   ` + "`json:\"path,omitempty\"`" + `
	Value   string   ` + "`json:\"value\"`" + `
	Secrets []string ` + "`json:\"secrets\"`" + `
	Matches []string ` + "`json:\"matches\"`" + `
}

type Sample struct {
	Identifier string ` + "`json:\"identifier\"`" + `
	Secret     string ` + "`json:\"secret\"`" + `
}

type Record struct {
	Rule    string    ` + "`json:\"rule\"`" + `
	File    string    ` + "`json:\"file\"`" + `
	Regex   string    ` + "`json:\"regex\"`" + `
	Path    string    ` + "`json:\"path,omitempty\"`" + `
	Samples []Sample  ` + "`json:\"samples\"`" + `
	TPs     []Fixture ` + "`json:\"tps\"`" + `
	FPs     []Fixture ` + "`json:\"fps\"`" + `
}

var Records = map[string]*Record{}

// pending holds the samples generated since the last validate call: a rule builder makes
// its samples first and validates last.
var pending = []Sample{}

func noteSample(identifier, secret string) {
	pending = append(pending, Sample{Identifier: identifier, Secret: secret})
}

func take() []Sample {
	s := pending
	pending = []Sample{}
	return s
}

func caller() string {
	_, file, _, _ := runtime.Caller(2)
	return "cmd/generate/config/rules/" + filepath.Base(file)
}

// detector is the release's detector with its global allowlists and this one rule.
func detector(rule config.Rule) *detect.Detector {
	cfg := base.CreateGlobalConfig()
	keywords := map[string]struct{}{}
	lower := []string{}
	for _, k := range rule.Keywords {
		k = strings.ToLower(k)
		if _, dup := keywords[k]; !dup {
			keywords[k] = struct{}{}
			lower = append(lower, k)
		}
	}
	rule.Keywords = lower
	cfg.Rules = map[string]config.Rule{rule.RuleID: rule}
	cfg.Keywords = keywords
	return detect.NewDetector(cfg)
}

func fixture(d *detect.Detector, path, value string) Fixture {
	f := Fixture{Path: path, Value: value, Secrets: []string{}, Matches: []string{}}
	for _, finding := range d.Detect(detect.Fragment{Raw: value, FilePath: path}) {
		f.Secrets = append(f.Secrets, finding.Secret)
		f.Matches = append(f.Matches, finding.Match)
	}
	return f
}

func record(rule config.Rule, file string, tps, fps map[string]string, paths bool) *config.Rule {
	rec := &Record{Rule: rule.RuleID, File: file, Samples: take(), TPs: []Fixture{}, FPs: []Fixture{}}
	if rule.Regex != nil {
		rec.Regex = rule.Regex.String()
	}
	if rule.Path != nil {
		rec.Path = rule.Path.String()
	}
	d := detector(rule)
	for _, k := range sortedKeys(tps) {
		if paths {
			rec.TPs = append(rec.TPs, fixture(d, k, tps[k]))
		} else {
			rec.TPs = append(rec.TPs, fixture(d, "", k))
		}
	}
	d = detector(rule)
	for _, k := range sortedKeys(fps) {
		if paths {
			rec.FPs = append(rec.FPs, fixture(d, k, fps[k]))
		} else {
			rec.FPs = append(rec.FPs, fixture(d, "", k))
		}
	}
	Records[rule.RuleID] = rec
	return &rule
}

// Some builders fill their lists from map iteration: keyed and sorted, the output is stable.
func Validate(rule config.Rule, truePositives []string, falsePositives []string) *config.Rule {
	return record(rule, caller(), set(truePositives), set(falsePositives), false)
}

func ValidateWithPaths(rule config.Rule, truePositives map[string]string, falsePositives map[string]string) *config.Rule {
	return record(rule, caller(), truePositives, falsePositives, true)
}

func set(list []string) map[string]string {
	m := map[string]string{}
	for _, v := range list {
		m[v] = v
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
`

// Every generated secret gets its own generator seeded from a counter, so a run's output
// depends only on the call order, which the sorted builder list fixes.
const seeded = `package secrets

import "github.com/lucasjones/reggen"

var calls int64

func NewSecret(regex string) string {
	g, err := reggen.NewGenerator(regex)
	if err != nil {
		panic(err)
	}
	calls++
	g.SetSeed(%d + calls)
	return g.Generate(1)
}
`

const mainSrc = `package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"gldump/rules"
	"gldump/utils"
)

func main() {
%[2]s
	ids := make([]string, 0, len(utils.Records))
	for id := range utils.Records {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := struct {
		Module  string          ` + "`json:\"module\"`" + `
		Version string          ` + "`json:\"version\"`" + `
		Rules   []*utils.Record ` + "`json:\"rules\"`" + `
	}{Module: "github.com/zricethezav/gitleaks/v8", Version: %[1]q}
	for _, id := range ids {
		out.Rules = append(out.Rules, utils.Records[id])
		// The release's own check would reject these; a generated secret that misses its
		// rule (or a rule whose keyword never matches) shows up here.
		for _, tp := range utils.Records[id].TPs {
			if len(tp.Secrets) == 0 {
				fmt.Fprintf(os.Stderr, "gitleaks-dump: %%s: a true positive its rule does not find\n", id)
			}
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
`
