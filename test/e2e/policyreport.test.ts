// `extguard check --cluster --format policyreport` writes OpenReports Reports that a real API
// server accepts under its CRD (openreports.io/v1alpha1, from the module pinned in
// test/e2e/modules/openreports.json) with strict field validation, and that read back as judged.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { ControlPlane } from './cluster.ts';
import { installCrds } from './crds.ts';
import { sharedControlPlane } from './hooks.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NS = 'e2e-reports';
const SECRET = ['report', 'ed', 'Plain', '-5b2f'].join('');

describe('extguard check --cluster --format policyreport (OpenReports CRD)', function () {
  let cp: ControlPlane;
  let output: string;
  const check = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/extguard.js'), 'check', ...args], { encoding: 'utf8', timeout: 60_000 });
  const deployment = (name: string, env: object[]) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'x', env }] } } },
  });

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    await installCrds(cp, 'EXTGUARD_E2E_OPENREPORTS_CRDS', ['openreports.io_reports.yaml'], ['reports.openreports.io']);
    // No mode label: the default mode, enforce.
    for (const o of [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      deployment('leaky', [{ name: 'DB_PASSWORD', value: SECRET }]),
      deployment('clean', [{ name: 'DB_HOST', value: 'db' }]),
    ]) {
      const r = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(o) });
      expect(r.code, r.stderr).to.equal(0);
    }
    const r = check('--cluster', '--kubeconfig', cp.kubeconfigPath, '--format', 'policyreport');
    // 1: our denied Deployment; the shared cluster also holds other files' objects.
    expect(r.status, r.stderr).to.be.oneOf([1, 2]);
    output = r.stdout;
  });

  it('writes one Report per namespace and no credential value', () => {
    expect(output).not.to.contain(SECRET);
    const docs = parseAllDocuments(output);
    expect(docs.every((d) => d.errors.length === 0)).to.equal(true);
    const names = docs.map((d) => d.toJS() as { kind: string; metadata: { namespace: string; name: string } }).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    expect(names).to.include(`Report ${NS}/extguard`);
    expect(new Set(names).size).to.equal(names.length);
  });

  it('the API server accepts our namespace\'s Report with strict field validation, and kubectl reads back the results', async () => {
    // Other namespaces of the shared cluster may be terminating (no namespace controller runs): apply ours.
    const ours = parseAllDocuments(output).find((d) => (d.toJS() as { metadata: { namespace: string } }).metadata.namespace === NS)!.toString();
    // Strict validation is what makes this check worth having: a field the CRD lacks is refused.
    const tampered = JSON.parse(JSON.stringify(parseAllDocuments(ours)[0]!.toJS()));
    tampered.results[0].remedy = 'a field OpenReports does not have';
    const refused = await cp.kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify(tampered) });
    expect(refused.code).not.to.equal(0);
    expect(refused.stderr).to.match(/\.results\[0\]\.remedy: field not declared in schema/);

    const applied = await cp.kubectl(['apply', '--server-side', '--validate=strict', '-f', '-'], { input: ours });
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.contain('report.openreports.io/extguard serverside-applied');

    const got = await cp.kubectl(['get', 'reports.openreports.io', 'extguard', '-n', NS, '-o', 'json']);
    expect(got.code, got.stderr).to.equal(0);
    const report = JSON.parse(got.stdout);
    expect(report.metadata.labels).to.deep.equal({ 'app.kubernetes.io/managed-by': 'extguard' });
    expect(report.summary).to.deep.equal({ pass: 1, fail: 1, warn: 0, error: 0, skip: 0 });
    const leakyUid = JSON.parse((await cp.kubectl(['get', 'deployment', 'leaky', '-n', NS, '-o', 'json'])).stdout).metadata.uid;
    expect(report.results.map((x: any) => `${x.result} ${x.rule ?? '-'} ${x.resources[0].kind}/${x.resources[0].name}`).sort()).to.deep.equal([
      'fail plaintext-credential Deployment/leaky',
      'pass - Deployment/clean',
    ]);
    const fail = report.results.find((x: any) => x.result === 'fail');
    expect(fail).to.deep.include({ policy: 'extguard', source: 'extguard', severity: 'high' });
    expect(fail.resources).to.deep.equal([{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'leaky', uid: leakyUid }]);
    expect(JSON.stringify(report)).not.to.contain(SECRET);

    // The printer columns of the CRD, as a user sees them.
    const table = await cp.kubectl(['get', 'reports.openreports.io', '-n', NS]);
    expect(table.stdout).to.match(/^NAME\s+PASS\s+FAIL\s+WARN\s+ERROR\s+SKIP\s+AGE\nextguard\s+1\s+1\s+0\s+0\s+0\s+/);
  });
});
