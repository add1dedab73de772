// `extguard check --cluster` judges what is already running, through the kubeconfig.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlPlane } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = ['run', 'ning', 'Plain', '-7c1e'].join('');

describe('extguard check --cluster', function () {
  let cp: ControlPlane;
  const check = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/extguard.js'), 'check', ...args], { encoding: 'utf8', timeout: 60_000 });

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-running', labels: { 'extguard.io/mode': 'warn' } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'crm', namespace: 'e2e-running' }, spec: { type: 'ExternalName', externalName: 'crm.example.com' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'legacy', namespace: 'e2e-running' },
        spec: { selector: { matchLabels: { app: 'legacy' } }, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'API_TOKEN', value: SECRET }, { name: 'CRM_URL', value: 'https://crm.example.com/api' }] }] } } } },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'legacy-1', namespace: 'e2e-running', ownerReferences: [] as object[] },
        spec: { selector: { matchLabels: { app: 'legacy' } }, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'API_TOKEN', value: SECRET }] }] } } } },
      // An ownerReference anyone can write, naming an owner that does not exist: it must not hide the Pod.
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'forged-owner', namespace: 'e2e-running', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nothing', uid: '00000000-0000-0000-0000-000000000001', controller: true }] },
        spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'API_TOKEN', value: SECRET }] }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'clean', namespace: 'e2e-running' }, spec: { containers: [{ name: 'app', image: 'x', args: ['--upstream=https://crm.example.com'] }] } },
    ];
    for (const o of objects) {
      const r = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(o) });
      expect(r.code, r.stderr).to.equal(0);
      if (o.metadata.name === 'legacy') {
        // The ReplicaSet the Deployment controller would create, owned by the Deployment, and its Pod.
        const d = JSON.parse((await cp.kubectl(['get', 'deployment', 'legacy', '-n', 'e2e-running', '-o', 'json'])).stdout);
        const rs = objects.find((x) => x.metadata.name === 'legacy-1')!;
        (rs.metadata as { ownerReferences: object[] }).ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'legacy', uid: d.metadata.uid, controller: true }];
      }
      if (o.metadata.name === 'legacy-1') {
        const rs = JSON.parse((await cp.kubectl(['get', 'replicaset', 'legacy-1', '-n', 'e2e-running', '-o', 'json'])).stdout);
        const owned = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'owned', namespace: 'e2e-running', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'legacy-1', uid: rs.metadata.uid, controller: true }] },
          spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'API_TOKEN', value: SECRET }] }] } };
        const p = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(owned) });
        expect(p.code, p.stderr).to.equal(0);
      }
    }
  });

  it('judges running workloads with the namespace mode and declared Services, skipping controller-owned objects, and lists declarations and namespaces', () => {
    const r = check('--cluster', '--kubeconfig', cp.kubeconfigPath, '--format', 'json');
    expect(r.status, r.stderr).to.be.oneOf([0, 1]);
    const mine = JSON.parse(r.stdout).results.filter((x: any) => x.namespace === 'e2e-running');
    expect(mine.map((x: any) => `${x.kind}/${x.name}`).sort()).to.deep.equal(['Deployment/legacy', 'Namespace/e2e-running', 'Pod/clean', 'Pod/forged-owner', 'Service/crm']);
    expect(mine.filter((x: any) => x.kind === 'Service' || x.kind === 'Namespace').every((x: any) => x.allowed && x.violations.length === 0)).to.equal(true);
    const legacy = mine.find((x: any) => x.name === 'legacy');
    expect(legacy).to.include({ mode: 'warn', allowed: true });
    expect(legacy.violations.map((v: any) => [v.rule, v.path])).to.deep.equal([['plaintext-credential', 'spec.template.spec.containers[0].env[0].value']]);
    expect(mine.find((x: any) => x.name === 'clean').violations).to.deep.equal([]);
    expect(r.stdout).not.to.contain(SECRET);
  });

  it('shows what enforce would reject: with defaultMode enforce an unlabelled namespace is denied and the exit code is 1', async () => {
    const r0 = await cp.kubectl(['label', 'namespace', 'e2e-running', 'extguard.io/mode-']);
    expect(r0.code, r0.stderr).to.equal(0);
    const r = check('--cluster', '--kubeconfig', cp.kubeconfigPath);
    expect(r.status).to.equal(1);
    expect(r.stdout).to.match(/DENIED\s+Deployment e2e-running\/legacy \(mode enforce\)/);
    expect(r.stdout).not.to.contain(SECRET);
  });

  it('exits 2 with a clear message when the API server is unreachable', () => {
    const r = check('--cluster', '--kubeconfig', join(root, 'test/fixtures/kubeconfig-unreachable.yaml'));
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/cannot read the cluster https:\/\/127\.0\.0\.1:1/);
  });
});
