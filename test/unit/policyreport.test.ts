// Issue 12: the check report as OpenReports Report objects, one per namespace.
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { ManifestDocument } from '../../src/catalog/files.ts';
import { buildReports, formatReports } from '../../src/cli/policyreport.ts';
import { checkManifests } from '../../src/cli/report.ts';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { compilePolicy } from '../../src/policy/judge.ts';

const SECRET = 'unit-Report-Pw-93xQ';
const pod = (namespace: string, name: string, container: Record<string, unknown>, uid?: string): ManifestDocument => ({
  source: `cluster/${namespace}/${name}`,
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, ...(uid ? { uid } : {}) }, spec: { containers: [{ name: 'app', image: 'x', ...container }] } },
});
const namespace = (name: string, mode: string): ManifestDocument => ({
  source: `cluster//${name}`, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'extguard.io/mode': mode } } },
});

const documents = [
  namespace('legacy', 'warn'),
  namespace('sandbox', 'off'),
  pod('shop', 'leaky', { env: [{ name: 'DB_PASSWORD', value: SECRET }], args: ['https://api.partner-example.com'] }, 'uid-leaky'),
  pod('shop', 'clean', {}, 'uid-clean'),
  pod('legacy', 'caller', { args: ['https://api.partner-example.com'] }),
  pod('sandbox', 'anything', { env: [{ name: 'DB_PASSWORD', value: SECRET }] }),
];
const now = new Date('2026-12-06T10:00:00.250Z');
const reports = buildReports(checkManifests(documents, [], compilePolicy(DEFAULT_CONFIG), true), now);

describe('buildReports', () => {
  it('one openreports.io/v1alpha1 Report per namespace with judged objects, named extguard and labelled as managed by it', () => {
    expect(reports.map((r) => `${r.apiVersion} ${r.kind} ${r.metadata.namespace}/${r.metadata.name}`)).to.deep.equal([
      'openreports.io/v1alpha1 Report legacy/extguard',
      'openreports.io/v1alpha1 Report sandbox/extguard',
      'openreports.io/v1alpha1 Report shop/extguard',
    ]);
    for (const r of reports) {
      expect(r.metadata.labels).to.deep.equal({ 'app.kubernetes.io/managed-by': 'extguard' });
      expect(r.source).to.equal('extguard');
    }
  });

  it('fail per violation of a denied object, warn per violation of an allowed one, pass for an object without any, skip in mode off', () => {
    const line = (ns: string) => reports.find((r) => r.metadata.namespace === ns)!.results
      .map((x) => `${x.result} ${x.rule ?? '-'} ${x.severity ?? '-'} ${x.resources.map((o) => `${o.kind}/${o.name}`).join()}`);
    expect(line('shop')).to.deep.equal([
      'fail plaintext-credential high Pod/leaky',
      'fail undeclared-external-host medium Pod/leaky',
      'pass - - Pod/clean',
    ]);
    expect(line('legacy')).to.deep.equal(['warn undeclared-external-host medium Pod/caller']);
    expect(line('sandbox')).to.deep.equal(['skip - - Pod/anything']);
    const shop = reports.find((r) => r.metadata.namespace === 'shop')!;
    expect(shop.summary).to.deep.equal({ pass: 1, fail: 2, warn: 0, error: 0, skip: 0 });
  });

  it('names the object (with its uid when read from the cluster), the policy, the source, the time and the field', () => {
    const [first] = reports.find((r) => r.metadata.namespace === 'shop')!.results;
    expect(first).to.deep.include({
      policy: 'extguard', source: 'extguard', scored: true,
      timestamp: { seconds: Math.floor(now.getTime() / 1000), nanos: 0 },
      resources: [{ apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'leaky', uid: 'uid-leaky' }],
      properties: { mode: 'enforce', field: 'spec.containers[0].env[0].value', container: 'app' },
    });
    expect(first!.message).to.match(/^Pod shop\/leaky: container "app" has a plaintext credential/);
    const caller = reports.find((r) => r.metadata.namespace === 'legacy')!.results[0]!;
    expect(caller.resources[0]).not.to.have.property('uid');
  });

  it('no credential value anywhere, and nothing at all without judged objects', () => {
    expect(formatReports(reports)).not.to.contain(SECRET);
    expect(buildReports(checkManifests([namespace('x', 'warn')], [], compilePolicy(DEFAULT_CONFIG), true), now)).to.deep.equal([]);
    expect(formatReports([])).to.equal('');
  });
});

describe('formatReports', () => {
  it('multi-document YAML, one document per report, without anchors for shared values', () => {
    const out = formatReports(reports);
    expect(out).not.to.match(/[&*]a\d/);
    const docs = parseAllDocuments(out);
    expect(docs.map((d) => d.errors)).to.deep.equal([[], [], []]);
    expect(docs.map((d) => d.toJS())).to.deep.equal(JSON.parse(JSON.stringify(reports)));
  });
});
