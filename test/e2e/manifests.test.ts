// Everything under manifests/ renders with `kubectl kustomize` and is accepted by a real API
// server (server-side dry run, strict field validation). cert-manager's Issuers and
// Certificates are checked against cert-manager's own CRDs (from its Go module, see run.js);
// no cert-manager controller runs, so nothing issues or injects.
import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlPlane } from './cluster.ts';
import { parseAllDocuments } from 'yaml';
import { installCrds } from './crds.ts';
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
    // One per webhook entry: validate, declarations, configmaps, namespaces and mutate.
    expect(patch.match(/caBundle: (\S+)/g)).to.deep.equal(Array(5).fill(`caBundle: ${bundle}`));
    // Namespaced objects can only be dry-run into a namespace that exists: the shipped one,
    // with its Pod Security label.
    const ns = await cp.kubectl(['apply', '-f', join(root, 'manifests/base/namespace.yaml')]);
    expect(ns.code, ns.stderr).to.equal(0);
    await installCrds(cp, 'EXTGUARD_E2E_CERT_MANAGER_CRDS', ['cert-manager.io_certificates.yaml', 'cert-manager.io_issuers.yaml'], ['certificates.cert-manager.io', 'issuers.cert-manager.io']);
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
      if (variant === 'cert-manager') expect(docs.filter((d) => /^apiVersion: cert-manager\.io\//m.test(d))).to.have.length(4);
      const applied = await cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: docs.join('\n---\n') });
      expect(applied.code, applied.stderr).to.equal(0);
      expect(applied.stdout).to.contain('validatingwebhookconfiguration.admissionregistration.k8s.io/extguard created (server dry run)');
      if (variant === 'cert-manager') expect(applied.stdout).to.contain('certificate.cert-manager.io/extguard-serving created (server dry run)');
    });
  }

  it('cert-manager: CA injection names the serving Certificate, whose Secret the Deployment mounts, for the Service name', async () => {
    const rendered = await cp.kubectl(['kustomize', join(dir, 'manifests', 'cert-manager')]);
    const objs = parseAllDocuments(rendered.stdout).map((d) => d.toJS());
    const serving = objs.find((o) => o.kind === 'Certificate' && !o.spec.isCA);
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const cfg = objs.find((o) => o.kind === kind);
      expect(cfg.metadata.annotations['cert-manager.io/inject-ca-from'], kind).to.equal(`${serving.metadata.namespace}/${serving.metadata.name}`);
      const svc = cfg.webhooks[0].clientConfig.service;
      expect(serving.spec.dnsNames, kind).to.include(`${svc.name}.${svc.namespace}.svc`);
    }
    const deployment = objs.find((o) => o.kind === 'Deployment');
    expect(deployment.spec.template.spec.volumes.map((v: any) => v.secret?.secretName)).to.include(serving.spec.secretName);
  });

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
    // Declarations (the native policies' params) whether or not their CRD is installed: asked as a SubjectAccessReview, which needs no discovery.
    const canDeclarations = async (verb: string): Promise<boolean> => {
      const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'system:serviceaccount:extguard-system:extguard', groups: ['system:serviceaccounts'], resourceAttributes: { group: 'extguard.io', resource: 'declarations', verb, namespace: 'any' } } };
      const r = await cp.kubectl(['create', '-o', 'json', '-f', '-'], { input: JSON.stringify(review) });
      expect(r.code, r.stderr).to.equal(0);
      return JSON.parse(r.stdout).status.allowed === true;
    };
    for (const v of ['get', 'list', 'create', 'patch', 'delete']) expect(await canDeclarations(v), `${v} declarations`).to.equal(true);
    expect(await canDeclarations('update'), 'update declarations').to.equal(false);
    for (const [v, r] of [['get', 'secrets'], ['list', 'secrets'], ['create', 'services'], ['update', 'namespaces'], ['list', 'pods']]) expect(await can(v!, r!), `${v} ${r}`).to.equal('no');
  });
});
