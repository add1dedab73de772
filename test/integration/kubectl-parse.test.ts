// Issue 24: `check` must judge what kubectl would apply. Each case is a manifest file whose YAML
// or JSON is read one way by kubectl and was read differently (or not at all) by extguard's YAML
// 1.2 reader. The oracle is kubectl's own reader (test/kubectl-yaml: k8s.io/apimachinery's
// YAMLOrJSONDecoder and sigs.k8s.io/yaml at the versions kubectl v1.36.3 builds with), run on
// the same bytes; extguard must read the same objects where kubectl reads them, and report an
// error where kubectl refuses the file.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifestText } from '../../src/catalog/files.ts';
import { e2eCacheDir, findGo } from '../helpers/go.ts';
import { bin, root } from '../helpers/process.ts';

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n';
const DATA = `${CM}data:\n`;
/** A value the plaintext-credential rule denies: proves the object was judged, not only read. */
const PASSWORD = 'Xq7-hunter2-Zt9';

interface Case {
  name: string;
  text: string;
  /** What kubectl does with the file (asserted against the oracle, so a kubectl change is noticed). */
  kubectl: 'reads' | 'refuses';
}

const CASES: Case[] = [
  {
    name: "the issue's Job: a multi-line single-quoted annotation indented less than its key",
    text: `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    description: 'runs the migration\n  and then exits'\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: m\n          image: busybox\n          env:\n            - name: DB_PASSWORD\n              value: ${PASSWORD}\n`,
    kubectl: 'reads',
  },
  { name: 'single-quoted continuation at column 0', text: `${DATA}  a: 'one\ntwo'\n`, kubectl: 'reads' },
  { name: 'double-quoted continuation indented less than its key', text: `${DATA}  b: "three\n four"\n  c: x\n`, kubectl: 'reads' },
  { name: 'flow map continued on a line indented like its key', text: `${CM}  labels: {a: b,\n  c: d}\n`, kubectl: 'reads' },
  { name: 'plain multi-line value indented less than its key', text: `${DATA}  c: plain\n  more\n`, kubectl: 'refuses' },
  { name: 'block scalar line indented less than its first line', text: `${DATA}  a: |\n   x\n  y\n`, kubectl: 'refuses' },
  { name: 'a tab as indentation', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: c\n', kubectl: 'refuses' },
  { name: 'tabs after a colon and inside a quoted value', text: `${CM.replace('name: c', 'name:\tc')}data:\n  a: "x\ty"\n`, kubectl: 'reads' },
  { name: 'a duplicate key: the last value is read', text: `${CM}  name: d\n`, kubectl: 'reads' },
  { name: '--- with a comment, with trailing blanks, and empty documents', text: `--- # first\n${CM}---   \n${CM.replace('name: c', 'name: b')}---\n---\n`, kubectl: 'reads' },
  { name: '--- followed by a document on the same line', text: '--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n', kubectl: 'refuses' },
  { name: '----', text: `${CM}----\n${CM}`, kubectl: 'refuses' },
  { name: 'a byte order mark', text: `\uFEFF${CM}`, kubectl: 'reads' },
  { name: 'CRLF line ends, in a block scalar too', text: `${DATA}  a: |\n    x\n    y\n`.replace(/\n/g, '\r\n'), kubectl: 'reads' },
  { name: 'documents holding only comments', text: `# only a comment\n---\n# another\n\n---\n${CM}`, kubectl: 'reads' },
  { name: '... before ---', text: `${CM}...\n---\n${CM.replace('name: c', 'name: b')}...\n`, kubectl: 'reads' },
  { name: 'merge keys', text: `x: &d\n  A: "1"\n${DATA}  <<: *d\n  B: "2"\n`, kubectl: 'reads' },
  { name: '!!binary', text: `${DATA}  k: !!binary aGVsbG8=\n`, kubectl: 'reads' },
  { name: 'a JSON object', text: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}\n', kubectl: 'reads' },
  { name: 'JSON objects one after another', text: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}\n{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}\n', kubectl: 'reads' },
  { name: 'JSON with a # comment (read as YAML)', text: '{\n  # a comment\n  "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}\n', kubectl: 'reads' },
  { name: 'JSON with a // comment', text: '{\n  // a comment\n  "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}\n', kubectl: 'refuses' },
  { name: 'JSON with a /* */ comment', text: '{\n  /* a comment */\n  "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}\n', kubectl: 'refuses' },
  { name: 'JSON with a trailing comma (read as YAML)', text: '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},}\n', kubectl: 'reads' },
  { name: 'a List', text: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n', kubectl: 'reads' },
];

/** The objects kubectl would send, Lists flattened as extguard and kubectl apply both do. */
function flatten(objects: Record<string, unknown>[]): Record<string, unknown>[] {
  return objects.flatMap((o) => (o['kind'] === 'List' && Array.isArray(o['items']) ? (o['items'] as Record<string, unknown>[]) : [o]));
}

describe('check reads manifests as kubectl does (oracle: kubectl v1.36.3 reader, test/kubectl-yaml)', function () {
  this.timeout(600000);
  let oracle: string;
  let dir: string;

  before(function () {
    if (!findGo()) {
      if (process.env['CI'] === 'true') throw new Error('Go toolchain not found; CI=true, so the kubectl-parse cases cannot be skipped');
      this.skip();
    }
    const build = spawnSync('bash', [join(root, 'test', 'kubectl-yaml', 'build.sh')], { encoding: 'utf8', timeout: 600000 });
    if (build.status !== 0) throw new Error(`test/kubectl-yaml/build.sh failed: ${build.stderr}`);
    oracle = join(e2eCacheDir(), 'bin', 'kubectl-yaml');
    dir = mkdtempSync(join(tmpdir(), 'extguard-kubectl-parse-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  const kubectlReads = (text: string): { objects: Record<string, unknown>[]; error?: string } => {
    const r = spawnSync(oracle, { input: Buffer.from(text, 'utf8'), encoding: 'utf8' });
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const error = lines.find((l) => typeof l['error'] === 'string')?.['error'] as string | undefined;
    return { objects: lines.filter((l) => l['error'] === undefined), ...(error ? { error } : {}) };
  };

  for (const c of CASES) {
    it(`${c.name}: kubectl ${c.kubectl === 'reads' ? 'reads it, and extguard reads the same objects' : 'refuses it, and extguard reports an error'}`, () => {
      const kube = kubectlReads(c.text);
      const ours = readManifestText(c.text, 'case.yaml');
      if (c.kubectl === 'refuses') {
        expect(kube.error, 'kubectl refuses the file').to.be.a('string');
        expect(ours.errors, 'an error, so a named file fails the run').to.not.be.empty;
        return;
      }
      expect(kube.error, 'kubectl reads the file').to.equal(undefined);
      expect(ours.errors).to.deep.equal([]);
      // Key order differs (Go's JSON sorts keys); deep equality does not look at it.
      expect(ours.documents.map((d) => d.object)).to.deep.equal(flatten(kube.objects));
    });
  }

  it("the issue's Job through the built binary: judged and denied (exit 1), with a notice that the indentation was mended", () => {
    const file = join(dir, 'job.yaml');
    writeFileSync(file, CASES[0]!.text);
    const r = spawnSync(process.execPath, [bin, 'check', '--format', 'json', file], { encoding: 'utf8', timeout: 60000 });
    expect(r.status, r.stderr).to.equal(1);
    const report = JSON.parse(r.stdout);
    expect(report.results.map((x: any) => `${x.kind} ${x.namespace}/${x.name} ${x.allowed} ${x.violations.map((v: any) => v.rule)}`)).to.deep.equal(['Job default/migrate false plaintext-credential']);
    expect(report.errors).to.deep.equal([]);
    expect(report.notices.map((n: any) => [n.line, n.code])).to.deep.equal([[6, 'KUBECTL_INDENT']]);
    expect(r.stdout).to.not.include(PASSWORD);
  });

  it('a document after `...` without `---`: kubectl skips it, kustomize reads it, so it is judged, with a notice', () => {
    const text = `${CM}...\napiVersion: v1\nkind: Pod\nmetadata:\n  name: hidden\nspec:\n  containers:\n    - name: a\n      image: x\n      env: [{name: DB_PASSWORD, value: ${PASSWORD}}]\n`;
    expect(kubectlReads(text).objects.map((o) => o['kind'])).to.deep.equal(['ConfigMap']);
    const file = join(dir, 'after-end.yaml');
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, [bin, 'check', '--format', 'json', file], { encoding: 'utf8', timeout: 60000 });
    expect(r.status, r.stderr).to.equal(1);
    const report = JSON.parse(r.stdout);
    expect(report.results.map((x: any) => `${x.kind} ${x.name} ${x.allowed}`)).to.deep.equal(['Pod hidden false']);
    expect(report.notices.map((n: any) => [n.line, n.code])).to.deep.equal([[6, 'KUBECTL_AFTER_END']]);
  });
});
