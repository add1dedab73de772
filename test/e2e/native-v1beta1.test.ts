// `extguard policies --kube-version 1.35` (MutatingAdmissionPolicy v1beta1, for 1.34-1.35 with
// the feature gate and runtime-config docs/native.md names) and `--kube-version 1.30`
// (validating policies only), applied to a kube-apiserver of their own that serves
// admissionregistration.k8s.io/v1beta1 (beta APIs are off by default). The suite's server is
// 1.36: this proves the v1beta1 objects' shape and behaviour, not an older server's CEL library.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { startControlPlane, type ControlPlane } from './cluster.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NS = 'e2e-native-beta';
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
// Built at run time so the test source holds no credential-shaped literal.
const SECRET = ['bet', 'A', '9', 'zz'].join('');

describe('native policies for Kubernetes 1.34-1.35 (v1beta1) and 1.30-1.33 (validating only)', function () {
  let cp: ControlPlane;
  let dir: string;
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/extguard.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  const kubectl = async (args: string[], input?: string) => cp.kubectl(args, input === undefined ? {} : { input });
  const printed = (version: string): Obj[] => {
    const r = cli('policies', '--config', join(dir, 'config.yaml'), '--kube-version', version);
    expect(r.status, r.stderr).to.equal(0);
    return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
  };

  before(async function () {
    this.timeout(180_000);
    cp = await startControlPlane({ apiserverArgs: ['--runtime-config=admissionregistration.k8s.io/v1beta1=true'] });
    dir = mkdtempSync(join(tmpdir(), 'e2e-native-beta-'));
    writeFileSync(join(dir, 'config.yaml'), 'defaultMode: enforce\n');
  });

  after(async function () {
    this.timeout(30_000);
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('1.30: only ValidatingAdmissionPolicies (v1) and the CRD, without CEL\'s IP library', () => {
    const objects = printed('1.30');
    expect([...new Set(objects.map((o) => o.kind))].sort()).to.deep.equal(['CustomResourceDefinition', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    expect(JSON.stringify(objects)).to.not.contain('isIP(').and.not.contain('cidr(');
  });

  it('1.35: applies as printed (MutatingAdmissionPolicy v1beta1), denies a literal password and injects an annotated Pod', async function () {
    this.timeout(150_000);
    const objects = printed('1.35');
    const maps = objects.filter((o) => o.kind.startsWith('MutatingAdmissionPolicy'));
    expect(maps.length).to.be.greaterThan(0);
    for (const o of maps) expect(o.apiVersion).to.equal('admissionregistration.k8s.io/v1beta1');
    // The CRD and the Declarations first: the writer guard among the policies admits only extguard's ServiceAccount.
    const crd = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    expect((await kubectl(['apply', '-f', '-'], crd.map((o) => JSON.stringify(o)).join('\n---\n'))).code).to.equal(0);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/declarations.extguard.io']);
    const setup = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: NS, annotations: { 'extguard.io/secret': 'db-credentials' } }, spec: { type: 'ExternalName', externalName: 'db.example.com', ports: [{ name: 'pg', port: 5432 }] } },
    ];
    expect((await kubectl(['apply', '-f', '-'], setup.map((o) => JSON.stringify(o)).join('\n---\n'))).code).to.equal(0);
    // What serve's sync would write for that Service (the same shape native-injection.test.ts derives).
    const declarations = { apiVersion: 'extguard.io/v1alpha1', kind: 'Declarations', metadata: { name: 'extguard', namespace: NS }, spec: { hosts: ['db.example.com'], services: [{ name: 'db', prefix: 'DB', host: 'db.example.com', port: 5432, secret: 'db-credentials', keys: [{ key: 'username', suffix: 'USER' }, { key: 'password', suffix: 'PASSWORD' }] }] } };
    const d = await kubectl(['apply', '-f', '-'], JSON.stringify(declarations));
    expect(d.code, d.stderr).to.equal(0);
    const applied = await kubectl(['apply', '-f', '-'], objects.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => JSON.stringify(o)).join('\n---\n'));
    expect(applied.code, applied.stderr).to.equal(0);
    const pod = (env: Obj[], annotations: Obj = {}): string => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: NS, annotations }, spec: { containers: [{ name: 'app', image: 'app:1', env }] } });
    // Policies and a new CRD as paramKind take effect a few seconds after they are created.
    const deadline = Date.now() + 90_000;
    let denied;
    for (;;) {
      denied = await kubectl(['create', '--dry-run=server', '-f', '-'], pod([{ name: 'DB_PASSWORD', value: SECRET }]));
      const injected = await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], pod([], { 'extguard.io/inject': 'db' }));
      const env = injected.code === 0 ? (JSON.parse(injected.stdout).spec.containers[0].env ?? []) : [];
      if (denied.code !== 0 && env.length > 0) {
        expect(env.map((e: Obj) => e.name)).to.deep.equal(['DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD']);
        expect(env[3].valueFrom.secretKeyRef).to.deep.equal({ name: 'db-credentials', key: 'password' });
        break;
      }
      if (Date.now() > deadline) throw new Error(`v1beta1 policies never took effect: ${denied.stderr} / ${injected.stderr}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(denied.stderr).to.contain('plaintext-credential').and.not.contain(SECRET);
  });
});
