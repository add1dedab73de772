// The native undeclared-host policy and its params, against the real API server with no
// webhook installed (what the webhook stopped under failurePolicy Ignore leaves): the CRD and
// policies from `extguard policies` are applied, the Declarations sync runs as extguard's
// ServiceAccount with the shipped RBAC, and the API server alone denies an undeclared URL.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { startDeclarationsSync, type DeclarationsSync } from '../../src/catalog/declarations-sync.ts';
import { startInformerCatalog, type InformerCatalog } from '../../src/catalog/informers.ts';
import { parseConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/log.ts';
import { DEFAULT_TARGET, SEE_CHECK, type KubeObject } from '../../src/native/common.ts';
import { declarationObjects, DECLARATIONS_GUARD } from '../../src/native/declarations.ts';
import { hostPolicies, HOST_POLICY } from '../../src/native/hosts.ts';
import type { ControlPlane } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';
import { modelDenies, NAMES, VALUES } from '../helpers/native-hosts.ts';

const P = 'e2e-native-hosts';
const SYS = `${P}-sys`;
const APP = `${P}-app`;
const SHARED = `${P}-shared`;
const WARN = `${P}-warn`;
const OFF = `${P}-off`;
const LATE = `${P}-late`;
const COST = `${P}-cost`;
const TENANT = ['--as=native-tenant', '--as-group=native-tenants'];
const config = parseConfig(`defaultMode: enforce\nallowedHosts: ["*.stripe.com"]\nsharedNamespace: ${SHARED}\n`, 'e2e');
const root = new URL('../..', import.meta.url).pathname;

type Obj = Record<string, unknown>;
const podWith = (ns: string, env: Obj[], name = 'p'): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', env }] },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('native undeclared-host policy and Declarations sync (no webhook)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let catalog: InformerCatalog | undefined;
  let sync: DeclarationsSync | undefined;
  let statusController: ChildProcess | undefined;
  const objects: KubeObject[] = [...declarationObjects(config, { target: DEFAULT_TARGET, namespace: SYS }), ...hostPolicies(config, DEFAULT_TARGET)];
  const kubectl = async (args: string[], input?: unknown) => cp.kubectl(args, input === undefined ? {} : { input: typeof input === 'string' ? input : JSON.stringify(input) });
  const ok = async (args: string[], input?: unknown) => { const r = await kubectl(args, input); expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0); return r.stdout; };
  const dryRun = (obj: Obj, extra: string[] = []) => kubectl(['create', '--dry-run=server', '-f', '-', ...extra], obj);
  const declaredHosts = async (ns: string): Promise<string[] | undefined> => {
    const r = await kubectl(['get', 'declarations.extguard.io', 'extguard', '-n', ns, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout).spec?.hosts ?? []) : undefined;
  };
  const until = async <T>(what: string, get: () => Promise<T>, done: (v: T) => boolean, ms = 20_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await get();
      if (done(v)) return v;
      if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)}`);
      await sleep(200);
    }
  };

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    // No controller manager runs here: its ValidatingAdmissionPolicy status controller, alone,
    // writes status.typeChecking (test/e2e/controlplane/cmd/vap-status).
    const built = spawnSync('bash', [join(root, 'test/e2e/controlplane/build-vap-status.sh')], { stdio: 'inherit' });
    expect(built.status, 'build-vap-status.sh').to.equal(0);
    statusController = spawn(join(cp.binDir, 'vap-status'), ['--kubeconfig', cp.kubeconfigPath], { stdio: 'ignore' });
    for (const ns of [SYS, APP, SHARED, WARN, OFF]) await ok(['create', 'namespace', ns]);
    await ok(['label', 'namespace', WARN, 'extguard.io/mode=warn']);
    await ok(['label', 'namespace', OFF, 'extguard.io/mode=off']);
    // extguard's ServiceAccount with the ClusterRole of the shipped manifests, under our own names.
    const shipped = parseAllDocuments(readFileSync(join(root, 'manifests/base/rbac.yaml'), 'utf8')).map((d) => d.toJSON() as Obj);
    const role = shipped.find((o) => o['kind'] === 'ClusterRole')!;
    await ok(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'extguard', namespace: SYS } },
      { ...role, metadata: { name: `${P}-extguard` } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${P}-extguard` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${P}-extguard` }, subjects: [{ kind: 'ServiceAccount', name: 'extguard', namespace: SYS }] },
    ] });
  });

  after(async function () {
    this.timeout(60_000);
    await sync?.stop();
    await catalog?.stop();
    statusController?.kill('SIGTERM');
    if (!cp) return;
    for (const o of [...objects].reverse()) await kubectl(['delete', '--ignore-not-found', '--wait=false', o.kind.toLowerCase() + (o.apiVersion.startsWith('apiextensions') ? '' : '.admissionregistration.k8s.io'), o.metadata.name]);
    await kubectl(['delete', '--ignore-not-found', 'clusterrole,clusterrolebinding', `${P}-extguard`]);
  });

  it('the CRD and the policies apply, and every policy type-checks clean', async () => {
    const [crd, ...policies] = objects;
    await ok(['apply', '-f', '-'], crd);
    await ok(['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd!.metadata.name}`]);
    await ok(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'List', items: policies });
    for (const name of [HOST_POLICY, DECLARATIONS_GUARD]) {
      const status = await until(`typeChecking of ${name}`, async () => {
        const o = JSON.parse(await ok(['get', 'validatingadmissionpolicy', name, '-o', 'json']));
        return o.status?.observedGeneration === o.metadata.generation ? o.status : undefined;
      }, (s) => s !== undefined);
      expect(status.typeChecking ?? {}, name).to.deep.equal({});
    }
    // The check can fail: a policy reading a field Pods do not have gets a warning.
    const broken = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: `${P}-broken` }, spec: { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] }, validations: [{ expression: "object.spec.noSuchField == 'x'" }] } };
    await ok(['apply', '-f', '-'], broken);
    const warned = await until('typeChecking of the broken policy', async () => JSON.parse(await ok(['get', 'validatingadmissionpolicy', `${P}-broken`, '-o', 'json'])).status?.typeChecking, (t) => t !== undefined);
    await ok(['delete', 'validatingadmissionpolicy', `${P}-broken`]);
    expect(JSON.stringify(warned)).to.contain('noSuchField');
  });

  it("serve's sync, as extguard's ServiceAccount, writes each judged namespace's Declarations and follows Services", async () => {
    const token = (await ok(['create', 'token', 'extguard', '-n', SYS, '--duration=1h'])).trim();
    const dir = mkdtempSync(join(tmpdir(), 'native-hosts-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'sa',
      clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caCertPem).toString('base64') } }],
      users: [{ name: 'sa', user: { token } }],
      contexts: [{ name: 'sa', context: { cluster: 'e2e', user: 'sa' } }],
    }), { mode: 0o600 });
    // Left over from an older configuration (OFF was judged then): the first round's list removes it.
    await ok(['apply', '--server-side', '--field-manager=extguard', '-f', '-', `--as=system:serviceaccount:${SYS}:extguard`], { apiVersion: 'extguard.io/v1alpha1', kind: 'Declarations', metadata: { name: 'extguard', namespace: OFF }, spec: { hosts: ['stale.example.com'], services: [] } });
    expect(await declaredHosts(OFF)).to.deep.equal(['stale.example.com']);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    catalog = startInformerCatalog(kc, silentLogger);
    sync = startDeclarationsSync({ kc, catalog, config: () => config, logger: silentLogger, tickMs: 200 });

    expect(await until('APP declarations', () => declaredHosts(APP), (h) => h !== undefined)).to.deep.equal(['*.stripe.com']);
    expect(await declaredHosts(WARN)).to.deep.equal(['*.stripe.com']);
    await until('stale one removed', () => declaredHosts(OFF), (h) => h === undefined);

    const svc = (ns: string, name: string, host: string): Obj => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { type: 'ExternalName', externalName: host } });
    await ok(['apply', '-f', '-'], svc(APP, 'paypal', 'api.paypal.com'));
    await until('created', () => declaredHosts(APP), (h) => JSON.stringify(h) === JSON.stringify(['*.stripe.com', 'api.paypal.com']));
    await ok(['apply', '-f', '-'], svc(APP, 'paypal', 'api-m.paypal.com'));
    await until('changed', () => declaredHosts(APP), (h) => JSON.stringify(h) === JSON.stringify(['*.stripe.com', 'api-m.paypal.com']));
    await ok(['apply', '-f', '-'], svc(SHARED, 'slack', 'hooks.slack.com'));
    await until('shared', () => declaredHosts(APP), (h) => JSON.stringify(h) === JSON.stringify(['*.stripe.com', 'api-m.paypal.com', 'hooks.slack.com']));
    await ok(['delete', 'service', 'paypal', '-n', APP]);
    await until('deleted', () => declaredHosts(APP), (h) => JSON.stringify(h) === JSON.stringify(['*.stripe.com', 'hooks.slack.com']));
    const services = JSON.parse(await ok(['get', 'declarations.extguard.io', 'extguard', '-n', APP, '-o', 'json'])).spec.services;
    expect(services).to.deep.equal([{ name: 'slack', prefix: 'SLACK', host: `slack.${SHARED}.svc` }]);

    // Switched off: its Declarations go.
    await ok(['label', '--overwrite', 'namespace', WARN, 'extguard.io/mode=off']);
    await until('off', () => declaredHosts(WARN), (h) => h === undefined);
    await ok(['label', '--overwrite', 'namespace', WARN, 'extguard.io/mode=warn']);
    await until('warn again', () => declaredHosts(WARN), (h) => h !== undefined);
  });

  it('with no webhook, the API server denies an undeclared URL host in enforce and admits a declared one', async () => {
    const denied = await dryRun(podWith(APP, [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'PAYMENTS_API_URL', value: 'https://files.evil.net/upload' }]));
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.contain(`ValidatingAdmissionPolicy '${HOST_POLICY}' with binding '${HOST_POLICY}-enforce' denied request: undeclared-external-host: container "app": env PAYMENTS_API_URL is a URL whose host is not declared`);
    expect(denied.stderr).to.contain(SEE_CHECK);
    expect(denied.stderr, 'never the value').to.not.contain('evil');
    for (const url of ['https://api.stripe.com/v1', 'https://hooks.slack.com/services/x']) {
      const r = await dryRun(podWith(APP, [{ name: 'API_URL', value: url }]));
      expect(r.code, `${url}: ${r.stderr}`).to.equal(0);
    }
    // The pod template of a Deployment, through the shared podSpec variable.
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: APP }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: (podWith(APP, [{ name: 'API_URL', value: 'https://files.evil.net/' }]) as any).spec } } };
    expect((await dryRun(deployment)).stderr).to.contain('undeclared-external-host');
    // warn: admitted with the message as a warning; off: nothing.
    const warned = await dryRun(podWith(WARN, [{ name: 'API_URL', value: 'https://files.evil.net/' }]));
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stderr).to.contain('Warning: Validation failed for ValidatingAdmissionPolicy').and.contain('undeclared-external-host');
    const off = await dryRun(podWith(OFF, [{ name: 'API_URL', value: 'https://files.evil.net/' }]));
    expect(off.code, off.stderr).to.equal(0);
  });

  it('the API server decides every model case as the model does (the model the unit tests hold the judge to)', async () => {
    const declared = (await declaredHosts(APP))!;
    const cases = [...VALUES.map((value) => ['API_URL', value] as const), ...NAMES.map((name) => [name, 'https://files.evil.net/x'] as const)];
    const mismatches: string[] = [];
    let deniedCount = 0;
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(cases.slice(i, i + 4).map(async ([name, value]) => {
        const r = await dryRun(podWith(APP, [{ name, value }], `m${i}`));
        const deniedByApi = r.code !== 0;
        if (deniedByApi) deniedCount++;
        if (deniedByApi && !r.stderr.includes('undeclared-external-host')) mismatches.push(`${name}=${value}: ${r.stderr}`);
        if (deniedByApi !== modelDenies(name, value, declared)) mismatches.push(`${name}=${value}: api ${deniedByApi ? 'denies' : 'admits'}`);
      }));
    }
    expect(mismatches).to.deep.equal([]);
    expect(deniedCount).to.be.greaterThan(10);
  });

  it('a tenant with edit rights and a Role on Declarations cannot write or delete them', async () => {
    await ok(['create', 'rolebinding', 'tenant-edit', '--clusterrole=edit', '--group=native-tenants', '-n', APP]);
    await ok(['create', 'role', 'declarations-all', '--verb=*', '--resource=declarations.extguard.io', '-n', APP]);
    await ok(['create', 'rolebinding', 'tenant-declarations', '--role=declarations-all', '--group=native-tenants', '-n', APP]);
    expect((await kubectl(['auth', 'can-i', 'patch', 'declarations.extguard.io', '-n', APP, ...TENANT])).stdout.trim()).to.equal('yes');
    const current = JSON.parse(await ok(['get', 'declarations.extguard.io', 'extguard', '-n', APP, '-o', 'json']));
    const widened = { apiVersion: current.apiVersion, kind: current.kind, metadata: { name: 'extguard', namespace: APP }, spec: { ...current.spec, hosts: [...current.spec.hosts, 'files.evil.net'] } };
    for (const args of [['apply', '--server-side', '--force-conflicts', '-f', '-'], ['replace', '-f', '-']]) {
      const r = await kubectl([...args, ...TENANT], widened);
      expect(r.code, args.join(' ')).to.not.equal(0);
      expect(r.stderr).to.contain(`ValidatingAdmissionPolicy '${DECLARATIONS_GUARD}'`).and.contain('only extguard');
    }
    const other = await kubectl(['create', '-f', '-', ...TENANT], { ...widened, metadata: { name: 'mine', namespace: APP } });
    expect(other.stderr).to.contain(DECLARATIONS_GUARD);
    const del = await kubectl(['delete', 'declarations.extguard.io', 'extguard', '-n', APP, ...TENANT]);
    expect(del.stderr).to.contain(DECLARATIONS_GUARD);
    expect(await declaredHosts(APP)).to.not.include('files.evil.net');
  });

  it('a namespace serve has not written yet is left to the webhook (failurePolicy Ignore makes the missing params no denial)', async () => {
    await sync!.stop();
    sync = undefined;
    await ok(['create', 'namespace', LATE]);
    const r = await dryRun(podWith(LATE, [{ name: 'API_URL', value: 'https://files.evil.net/' }]));
    expect(r.code, r.stderr).to.equal(0);
  });

  it('cost: where the per-expression limit is reached (a hit is no denial: failurePolicy Ignore)', async function () {
    this.timeout(300_000);
    // Declared patterns written as extguard (the sync is stopped; an admin may impersonate it).
    await ok(['create', 'namespace', COST]);
    const declare = async (count: number): Promise<void> => {
      const hosts = Array.from({ length: count }, (_, i) => `*.h${String(i).padStart(4, '0')}.example.org`).concat(['*.stripe.com']).sort();
      await ok(['apply', '--server-side', '--field-manager=extguard', '-f', '-', `--as=system:serviceaccount:${SYS}:extguard`], { apiVersion: 'extguard.io/v1alpha1', kind: 'Declarations', metadata: { name: 'extguard', namespace: COST }, spec: { hosts, services: [] } });
    };
    const deniedWith = async (env: Obj[]): Promise<boolean> => (await dryRun(podWith(COST, env))).code !== 0;
    const bad = { name: 'LAST_URL', value: 'https://files.evil.net/x' };
    const measured: string[] = [];
    // Env count: each declared URL is read in full (shape, split, every pattern) before the undeclared last one.
    const lastDenied = new Map<number, number>();
    for (const [patterns, counts] of [[30, [200, 400, 800, 1600, 3200]], [1000, [50, 100, 200, 400]]] as const) {
      await declare(patterns);
      for (const n of counts) {
        const env = [...Array.from({ length: n }, (_, i) => ({ name: `API_URL_${String.fromCharCode(65 + (i % 26))}${'X'.repeat(Math.floor(i / 26))}`, value: `https://api.stripe.com/v${i}` })), bad];
        const denied = await deniedWith(env);
        measured.push(`${n} declared URL variables + 1 undeclared, ${patterns + 1} declared patterns: ${denied ? 'denied' : 'admitted (limit reached)'}`);
        if (!denied) break;
        lastDenied.set(patterns, n);
      }
    }
    // Value size: one URL with a long path (the pattern is linear in it).
    for (const size of [10_000, 100_000, 1_000_000]) {
      const denied = await deniedWith([{ name: 'API_URL', value: `https://files.evil.net/${'a'.repeat(size)}` }]);
      measured.push(`one undeclared URL of ${size} characters: ${denied ? 'denied' : 'admitted (limit reached)'}`);
    }
    console.log(`      cost measurements:\n${measured.map((m) => `        ${m}`).join('\n')}`);
    // An ordinary pod is far from the limit.
    expect(lastDenied.get(30)).to.be.at.least(400);
    expect(lastDenied.get(1000)).to.be.at.least(50);
  });
});
