// Issue 12: the check report as a SARIF log (schema validation against the official schema is
// in test/integration/check-formats.test.ts).
import { expect } from 'chai';
import { readManifestText } from '../../src/catalog/files.ts';
import { checkManifests, type CheckRun } from '../../src/cli/report.ts';
import { artifactLocation, buildSarif, RULE_DESCRIPTIONS } from '../../src/cli/sarif.ts';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { compilePolicy } from '../../src/policy/judge.ts';

const SECRET = 'zQ8-unit-Planted-Pw-41';
const text = `apiVersion: v1
kind: Namespace
metadata: {name: legacy, labels: {extguard.io/mode: warn}}
---
apiVersion: v1
kind: Pod
metadata: {name: leaky, namespace: shop}
spec:
  containers:
    - name: app
      image: x
      env:
        - {name: API_PASSWORD, value: "${SECRET}"}
---
apiVersion: v1
kind: Pod
metadata: {name: caller, namespace: legacy}
spec:
  containers:
    - name: app
      image: x
      args:
        - --endpoint
        - https://api.partner-example.com/v1
`;

function runOf(file: string, trust = true): CheckRun {
  return checkManifests(readManifestText(text, file).documents, [], compilePolicy(DEFAULT_CONFIG), trust);
}

type Json = any;
const sarif = (run: CheckRun, unusable: string[] = []): Json => buildSarif(run, { version: '9.9.9', cwd: '/repo', textOf: () => text, unusable });

describe('buildSarif', () => {
  it('one result per violation: ruleId, the judge\'s message, error when denied and warning when allowed, at the field\'s line', () => {
    const log = sarif(runOf('deploy/pods.yaml'));
    expect(log.version).to.equal('2.1.0');
    const results = log.runs[0].results.map((r: Json) => ({
      rule: r.ruleId, level: r.level, uri: r.locations[0].physicalLocation.artifactLocation.uri, line: r.locations[0].physicalLocation.region.startLine,
    }));
    expect(results).to.deep.equal([
      { rule: 'plaintext-credential', level: 'error', uri: 'deploy/pods.yaml', line: 13 },
      { rule: 'undeclared-external-host', level: 'warning', uri: 'deploy/pods.yaml', line: 24 },
    ]);
    const judged = runOf('deploy/pods.yaml').report.results.flatMap((r) => r.violations.map((v) => v.message));
    expect(log.runs[0].results.map((r: Json) => r.message.text)).to.deep.equal(judged);
    expect(JSON.stringify(log)).not.to.contain(SECRET);
  });

  it('describes the rules that appear, and only those, in the order they first appear', () => {
    const log = sarif(runOf('p.yaml'));
    expect(log.runs[0].tool.driver).to.deep.equal({
      name: 'extguard', version: '9.9.9',
      rules: ['plaintext-credential', 'undeclared-external-host'].map((id) => ({ id, name: id, shortDescription: { text: RULE_DESCRIPTIONS[id as keyof typeof RULE_DESCRIPTIONS] } })),
    });
    expect(log.runs[0].results.map((r: Json) => r.ruleIndex)).to.deep.equal([0, 1]);
  });

  it('objects without a file (the cluster) get a logical location only', () => {
    const docs = readManifestText(text, 'x').documents.map(({ object }) => ({ source: 'cluster/shop/x', object }));
    const log = sarif(checkManifests(docs, [], compilePolicy(DEFAULT_CONFIG), true));
    expect(log.runs[0].results[0].locations).to.deep.equal([{ logicalLocations: [{ name: 'leaky', fullyQualifiedName: 'Pod shop/leaky' }] }]);
  });

  it('falls back to the object\'s first line when the source text cannot be had', () => {
    const log = buildSarif(runOf('p.yaml'), { version: '1', cwd: '/repo', textOf: () => undefined });
    expect(log['runs']).to.have.nested.property('[0].results[0].locations[0].physicalLocation.region.startLine', 5);
  });

  it('read errors and notices are notifications of the run; unusable reasons not tied to a file too, and the run is then not successful', () => {
    const run = runOf('p.yaml');
    run.report.errors.push({ file: 'broken.yaml', line: 3, reason: 'not valid YAML: x' });
    run.report.notices.push({ file: 'dup.yaml', line: 7, reason: 'duplicate key "a": the last value is read', code: 'DUPLICATE_KEY' });
    const log = sarif(run, ['broken.yaml:3: not valid YAML: x', 'no Kubernetes object in the inputs: 0 document(s) skipped, 1 error(s)']);
    const [invocation] = log.runs[0].invocations;
    expect(invocation.executionSuccessful).to.equal(false);
    expect(invocation.toolExecutionNotifications.map((n: Json) => `${n.level} ${n.locations?.[0].physicalLocation.artifactLocation.uri ?? '-'}:${n.locations?.[0].physicalLocation.region.startLine ?? '-'} ${n.message.text}`)).to.deep.equal([
      'error broken.yaml:3 not valid YAML: x',
      'warning dup.yaml:7 duplicate key "a": the last value is read',
      'error -:- no Kubernetes object in the inputs: 0 document(s) skipped, 1 error(s)',
    ]);
    expect(sarif(runOf('p.yaml')).runs[0].invocations).to.deep.equal([{ executionSuccessful: true }]);
  });
});

describe('artifactLocation', () => {
  it('relative to the working directory under %SRCROOT%, with / and escaped names', () => {
    expect(artifactLocation('deploy/app.yaml', '/repo')).to.deep.equal({ uri: 'deploy/app.yaml', uriBaseId: '%SRCROOT%' });
    expect(artifactLocation('./deploy/../deploy/app.yaml', '/repo')).to.deep.equal({ uri: 'deploy/app.yaml', uriBaseId: '%SRCROOT%' });
    expect(artifactLocation('/repo/a dir/#1 100%.yaml', '/repo')).to.deep.equal({ uri: 'a%20dir/%231%20100%25.yaml', uriBaseId: '%SRCROOT%' });
  });

  it('an absolute file URI outside it, and "stdin" for standard input', () => {
    expect(artifactLocation('../other/app.yaml', '/repo')).to.deep.equal({ uri: 'file:///other/app.yaml' });
    expect(artifactLocation('/etc/app.yaml', '/repo')).to.deep.equal({ uri: 'file:///etc/app.yaml' });
    expect(artifactLocation('<stdin>', '/repo')).to.deep.equal({ uri: 'stdin' });
  });
});
