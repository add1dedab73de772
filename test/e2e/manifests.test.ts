// Everything under manifests/ renders with `kubectl kustomize` and is accepted by a real API
// server (server-side dry run). cert-manager's own kinds need its CRDs, which this control
// plane does not have: they are checked to render, and the rest is dry-run applied.
import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlPlane } from './cluster.ts';
import { parseAllDocuments } from 'yaml';
import { sharedControlPlane } from './hooks.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('manifests/ against a real API server', function () {
  let cp: ControlPlane;
  let dir: string;
  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'extguard-manifests-'));
    cpSync(join(root, 'manifests'), join(dir, 'manifests'), { recursive: true });
    // The self-signed variant as the README installs it: certs from `extguard certs`, caBundle pasted in.
    const certs = spawnSync(process.execPath, [join(root, 'bin/extguard.js'), 'certs', '--kustomize', join(dir, 'manifests/self-signed')], { encoding: 'utf8' });
    expect(certs.status, certs.stderr).to.equal(0);
    const bundle = /caBundle: (\S+)/.exec(certs.stdout)![1]!;
    const patch = readFileSync(join(dir, 'manifests/self-signed/cabundle-patch.yaml'), 'utf8');
    expect(patch.match(/caBundle: (\S+)/g)).to.deep.equal([`caBundle: ${bundle}`, `caBundle: ${bundle}`]);
    // Namespaced objects can only be dry-run into a namespace that exists: the shipped one,
    // with its Pod Security label.
    const ns = await cp.kubectl(['apply', '-f', join(root, 'manifests/base/namespace.yaml')]);
    expect(ns.code, ns.stderr).to.equal(0);
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  for (const variant of ['self-signed', 'cert-manager']) {
    it(`${variant}: renders and every object passes a server-side dry run`, async function () {
      this.timeout(60_000);
      const rendered = await cp.kubectl(['kustomize', join(dir, 'manifests', variant)]);
      expect(rendered.code, rendered.stderr).to.equal(0);
      const docs = rendered.stdout.split(/^---$/m).filter((d) => d.trim());
      const kinds = docs.map((d) => /^kind: (\S+)/m.exec(d)![1]);
      expect(kinds).to.include.members(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget', 'NetworkPolicy', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
      const core = docs.filter((d) => !/^apiVersion: cert-manager\.io\//m.test(d));
      if (variant === 'cert-manager') expect(docs.length - core.length).to.equal(4);
      const applied = await cp.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: core.join('\n---\n') });
      expect(applied.code, applied.stderr).to.equal(0);
      expect(applied.stdout).to.contain('validatingwebhookconfiguration.admissionregistration.k8s.io/extguard created (server dry run)');
    });
  }

  it("the Deployment's Pods pass Pod Security 'restricted', which extguard-system enforces", async function () {
    this.timeout(60_000);
    const rendered = await cp.kubectl(['kustomize', join(dir, 'manifests', 'self-signed')]);
    const deployment = parseAllDocuments(rendered.stdout).map((d) => d.toJS()).find((o) => o?.kind === 'Deployment');
    const pod = (spec: unknown) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'psa-probe', namespace: 'extguard-system' }, spec });
    const shipped = await cp.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod(deployment.spec.template.spec) });
    expect(shipped.code, shipped.stderr).to.equal(0);
    expect(shipped.stderr).not.to.contain('PodSecurity');
    // The same Pod without its securityContexts is refused: the check above is live.
    const loose = structuredClone(deployment.spec.template.spec);
    delete loose.securityContext;
    delete loose.containers[0].securityContext;
    const refused = await cp.kubectl(['create', '--dry-run=server', '-f', '-'], { input: pod(loose) });
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.contain('violates PodSecurity "restricted:latest"');
  });

  it('RBAC is least privilege: the ServiceAccount can watch Services and Namespaces, and cannot read Secrets', async () => {
    const applied = await cp.kubectl(['apply', '-n', 'extguard-system', '-f', join(root, 'manifests/base/rbac.yaml')]);
    expect(applied.code, applied.stderr).to.equal(0);
    const can = async (verb: string, resource: string) =>
      (await cp.kubectl(['auth', 'can-i', verb, resource, '--all-namespaces', '--as', 'system:serviceaccount:extguard-system:extguard'])).stdout.trim();
    for (const r of ['services', 'namespaces']) for (const v of ['get', 'list', 'watch']) expect(await can(v, r), `${v} ${r}`).to.equal('yes');
    for (const [v, r] of [['get', 'secrets'], ['list', 'secrets'], ['create', 'services'], ['update', 'namespaces'], ['list', 'pods']]) expect(await can(v!, r!), `${v} ${r}`).to.equal('no');
  });
});
