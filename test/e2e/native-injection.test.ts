// Native injection through a real kube-apiserver with NO webhook installed (what a stopped
// webhook with failurePolicy Ignore amounts to): the MutatingAdmissionPolicies of `extguard
// policies` must give every workload exactly the variables `extguard mutate` gives it from the
// same Services, add nothing the second time, and stay out of what they cannot decide.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { catalogFromDocuments, readManifests } from '../../src/catalog/files.ts';
import { declaredServices, DECLARATIONS } from '../../src/native/injection.ts';
import type { ControlPlane } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NS = 'e2e-native-inject-app';
const SHARED = 'e2e-native-inject-shared';
const OFF = 'e2e-native-inject-off';
const NO_PARAMS = 'e2e-native-inject-none';
const CONFIG = `defaultMode: enforce\nsharedNamespace: ${SHARED}\n`;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The minimal Declarations CRD this test needs (the real one ships with the declarations sync).
const CRD: Obj = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${DECLARATIONS.plural}.${DECLARATIONS.group}` },
  spec: {
    group: DECLARATIONS.group, scope: 'Namespaced',
    names: { kind: DECLARATIONS.kind, plural: DECLARATIONS.plural, singular: 'declarations', listKind: 'DeclarationsList' },
    versions: [{
      name: DECLARATIONS.version, served: true, storage: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { services: { type: 'array', items: {
        type: 'object', required: ['name', 'prefix', 'host'],
        properties: {
          name: { type: 'string' }, prefix: { type: 'string' }, host: { type: 'string' }, port: { type: 'integer' }, secret: { type: 'string' },
          keys: { type: 'array', items: { type: 'object', required: ['key', 'suffix'], properties: { key: { type: 'string' }, suffix: { type: 'string' } } } },
        },
      } } } } } } },
    }],
  },
};

const externalName = (namespace: string, name: string, host: string, annotations: Obj = {}, ports?: number[]): Obj => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, annotations },
  spec: { type: 'ExternalName', externalName: host, ...(ports ? { ports: ports.map((port) => ({ name: `p${port}`, port })) } : {}) },
});

const SERVICES: Obj[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SHARED } },
  externalName(NS, 'db', 'db.example.com', { 'extguard.io/env-prefix': 'DB', 'extguard.io/secret': 'db-credentials' }, [5432, 5433]),
  externalName(NS, 'api', 'api.example.com', { 'extguard.io/host': 'external-name', 'extguard.io/secret': 'api-key', 'extguard.io/secret-keys': 'token=TOKEN, broken, key=KEY' }),
  // Shadows the shared namespace's Service of the same name.
  externalName(NS, 'cache', 'cache.example.com', {}, [6379]),
  externalName(SHARED, 'cache', 'shared-cache.example.com', {}, [6380]),
  externalName(SHARED, 'ledger', 'ledger.example.com', { 'extguard.io/env-prefix': 'bad prefix' }, [443]),
];

const container = (name: string, env?: Obj[]): Obj => ({ name, image: 'registry.example.com/app:1.0', ...(env ? { env } : {}) });
const podSpec = (extra: Obj = {}): Obj => ({ restartPolicy: 'Always', containers: [container('app', [{ name: 'DB_HOST', value: 'kept.example.com' }, { name: 'OTHER', value: '1' }]), container('side')], ...extra });

const WORKLOADS: Obj[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pod', namespace: NS, annotations: { 'extguard.io/inject': 'db, api ,cache,ledger' } }, spec: podSpec() },
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'deploy', namespace: NS, annotations: { 'extguard.io/inject': 'api' } },
    spec: {
      selector: { matchLabels: { app: 'deploy' } },
      template: {
        metadata: { labels: { app: 'deploy' }, annotations: { 'extguard.io/inject': 'db,api', 'extguard.io/inject-containers': 'migrate, app, missing' } },
        spec: podSpec({ initContainers: [container('migrate')] }),
      },
    },
  },
  {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cron', namespace: NS },
    spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { metadata: { annotations: { 'extguard.io/inject': 'ledger, db, db' } }, spec: { ...podSpec(), restartPolicy: 'Never' } } } } },
  },
  { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'tmpl', namespace: NS }, template: { metadata: { annotations: { 'extguard.io/inject': 'cache' } }, spec: podSpec() } },
  {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'sts', namespace: NS, annotations: { 'extguard.io/inject': 'cache' } },
    spec: { serviceName: 'sts', selector: { matchLabels: { app: 'sts' } }, template: { metadata: { labels: { app: 'sts' } }, spec: podSpec() } },
  },
];

function podSpecOf(o: Obj): Obj {
  if (o.kind === 'Pod') return o.spec;
  if (o.kind === 'CronJob') return o.spec.jobTemplate.spec.template.spec;
  if (o.kind === 'PodTemplate') return o.template.spec;
  return o.spec.template.spec;
}

/** Every container's env, by list and name: what the comparison is about. */
function envs(o: Obj): Record<string, unknown> {
  const spec = podSpecOf(o);
  const out: Record<string, unknown> = {};
  for (const list of ['initContainers', 'containers']) for (const c of spec[list] ?? []) out[`${list}/${c.name}`] = c.env ?? [];
  return out;
}

describe('native injection: MutatingAdmissionPolicy without the webhook', function () {
  let cp: ControlPlane;
  let dir: string;
  let expected: Obj[];
  const kubectl = async (args: string[], input?: unknown) => {
    const r = await cp.kubectl(args, input === undefined ? {} : { input: JSON.stringify(input) });
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  const list = (items: Obj[]): Obj => ({ apiVersion: 'v1', kind: 'List', items });
  const dryRun = async (o: Obj): Promise<Obj> => JSON.parse(await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], o));
  const declarationsFor = (namespace: string): Obj => ({
    apiVersion: `${DECLARATIONS.group}/${DECLARATIONS.version}`, kind: DECLARATIONS.kind, metadata: { name: DECLARATIONS.name, namespace },
    // The same function the declarations sync uses, on the same Services `extguard mutate` reads.
    spec: { services: declaredServices(namespace, catalogFromDocuments(readManifests([join(dir, 'services.yaml')])), SHARED) },
  });
  const probe = (namespace: string, annotation: string, env?: Obj[]): Obj => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace, annotations: { 'extguard.io/inject': annotation } }, spec: { containers: [container('app', env)] },
  });

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'e2e-native-inject-'));
    writeFileSync(join(dir, 'config.yaml'), CONFIG);
    writeFileSync(join(dir, 'services.yaml'), SERVICES.map((o) => JSON.stringify(o)).join('\n---\n'));
    writeFileSync(join(dir, 'workloads.yaml'), WORKLOADS.map((o) => JSON.stringify(o)).join('\n---\n'));

    const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/extguard.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
    const mutated = cli('mutate', '--config', join(dir, 'config.yaml'), '--declarations', join(dir, 'services.yaml'), join(dir, 'workloads.yaml'));
    expect(mutated.status, mutated.stderr).to.equal(0);
    expected = parseAllDocuments(mutated.stdout).map((d) => d.toJS() as Obj);
    expect(expected.map((o) => o.kind)).to.deep.equal(WORKLOADS.map((o) => o.kind));

    const printed = cli('policies', '--config', join(dir, 'config.yaml'));
    expect(printed.status, printed.stderr).to.equal(0);
    const ours = parseAllDocuments(printed.stdout).map((d) => d.toJS() as Obj).filter((o) => /^MutatingAdmissionPolicy/.test(o.kind) && o.metadata.name.startsWith('extguard-inject-'));
    expect(ours.map((o) => o.kind)).to.have.length(8);

    await kubectl(['apply', '-f', '-'], CRD);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD.metadata.name}`]);
    await kubectl(['apply', '-f', '-'], list([
      ...SERVICES,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OFF, labels: { 'extguard.io/mode': 'off' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NO_PARAMS } },
    ]));
    await kubectl(['apply', '-f', '-'], list([declarationsFor(NS), declarationsFor(OFF)]));
    // The compile check: the API server type-checks every expression on create.
    await kubectl(['apply', '-f', '-'], list(ours));
    for (const o of ours.filter((x) => x.kind === 'MutatingAdmissionPolicy')) {
      const status = JSON.parse(await kubectl(['get', 'mutatingadmissionpolicy', o.metadata.name, '-o', 'json'])).status;
      expect(status?.typeChecking?.expressionWarnings ?? [], o.metadata.name).to.deep.equal([]);
    }
    // The API server resolves a new CRD as a paramKind a little later; until then the policy
    // fails and is ignored (no mutation). Wait for a probe to be injected.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const env = (await dryRun(probe(NS, 'cache'))).spec.containers[0].env;
      if (env) break;
      if (Date.now() > deadline) throw new Error('the injection policies never applied to a probe Pod');
      await new Promise((r) => setTimeout(r, 1000));
    }
  });

  after(async function () {
    this.timeout(60_000);
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!cp) return;
    // Cluster-scoped objects: the other e2e files share this API server.
    for (const suffix of ['pod', 'template', 'cronjob', 'podtemplate']) {
      await cp.kubectl(['delete', '--ignore-not-found', 'mutatingadmissionpolicybinding', `extguard-inject-${suffix}`]);
      await cp.kubectl(['delete', '--ignore-not-found', 'mutatingadmissionpolicy', `extguard-inject-${suffix}`]);
    }
    await cp.kubectl(['delete', '--ignore-not-found', '--wait=false', 'crd', CRD.metadata.name]);
  });

  it('gives a Pod, a Deployment, a CronJob, a PodTemplate and a StatefulSet exactly the variables `extguard mutate` gives them', async function () {
    this.timeout(60_000);
    const created: Obj[] = [];
    for (const w of WORKLOADS) created.push(JSON.parse(await kubectl(['create', '-o', 'json', '-f', '-'], w)));
    expect(created.map((o) => o.kind)).to.deep.equal(WORKLOADS.map((o) => o.kind));
    created.forEach((o, i) => expect(envs(o), `${o.kind} ${o.metadata.name}`).to.deep.equal(envs(expected[i]!)));
    // Not vacuous: the webhook's answer does inject, keeps DB_HOST and skips the missing container.
    const pod = envs(expected[0]!);
    expect((pod['containers/side'] as Obj[]).map((e) => e.name)).to.deep.equal(['DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD', 'API_HOST', 'API_TOKEN', 'API_KEY', 'CACHE_HOST', 'CACHE_PORT', 'LEDGER_HOST', 'LEDGER_PORT']);
    expect((pod['containers/app'] as Obj[])[0]).to.deep.equal({ name: 'DB_HOST', value: 'kept.example.com' });
    expect(envs(expected[1]!)['containers/side']).to.deep.equal([]);
  });

  it('adds nothing the second time: an UPDATE with the original manifest, and the mutated objects created again', async function () {
    this.timeout(60_000);
    for (const w of WORKLOADS.filter((o) => o.kind !== 'Pod')) {
      const resource = `${w.kind.toLowerCase()}/${w.metadata.name}`;
      const before = JSON.parse(await kubectl(['get', '-n', NS, resource, '-o', 'json']));
      // The original, un-injected manifest: the policy puts back exactly the same variables.
      const replaced = JSON.parse(await kubectl(['replace', '-o', 'json', '-f', '-'], w));
      expect(envs(replaced), resource).to.deep.equal(envs(before));
      // The stored object as it is: no change at all, so not even a new generation.
      const again = JSON.parse(await kubectl(['replace', '-o', 'json', '-f', '-'], replaced));
      expect(envs(again), resource).to.deep.equal(envs(before));
      if (before.metadata.generation !== undefined) expect(again.metadata.generation, resource).to.equal(before.metadata.generation);
    }
    const pod = JSON.parse(await kubectl(['get', '-n', NS, 'pod/pod', '-o', 'json']));
    const { uid: _u, resourceVersion: _r, creationTimestamp: _c, managedFields: _m, ...metadata } = pod.metadata;
    const recreated = await dryRun({ ...pod, metadata: { ...metadata, name: 'pod-again' }, status: undefined });
    expect(envs(recreated)).to.deep.equal(envs(pod));
  });

  it('leaves to the webhook a workload naming a Service the Declarations do not list: nothing injected, nothing denied', async function () {
    const out = await dryRun(probe(NS, 'db, nosuch'));
    expect(out.spec.containers[0].env).to.equal(undefined);
  });

  it('does not mutate in a namespace in mode off, nor where no Declarations object exists yet', async function () {
    expect((await dryRun(probe(OFF, 'db'))).spec.containers[0].env).to.equal(undefined);
    expect((await dryRun(probe(NO_PARAMS, 'db'))).spec.containers[0].env).to.equal(undefined);
  });

  it('holds 10,000 variables in a container and a 70 kB annotation; past the cost limit the object is admitted un-mutated', async function () {
    this.timeout(60_000);
    const many = (n: number): Obj[] => Array.from({ length: n }, (_, i) => ({ name: `V${i}`, value: 'x' }));
    // 7 wanted variables x 10,000 existing names (70,000 name comparisons, about 9 cost units
    // each): within the 1,000,000 per-expression budget, which ends near 110,000 comparisons.
    expect((await dryRun(probe(NS, 'db, api', many(10_000)))).spec.containers[0].env).to.have.length(10_000 + 7);
    // 20,000 names (70 kB) of duplicates: the first-occurrence scan stays linear.
    const names = Array.from({ length: 20_000 }, (_, i) => (i % 2 ? 'db' : 'api')).join(',');
    const injected = (await dryRun(probe(NS, names))).spec.containers[0].env as Obj[];
    expect(injected.map((e) => e.name)).to.deep.equal(['API_HOST', 'API_TOKEN', 'API_KEY', 'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD']);
    // 7 x 20,000 exceeds the budget: failurePolicy Ignore admits the object as it is (the webhook, when up, injects).
    expect((await dryRun(probe(NS, 'db, api', many(20_000)))).spec.containers[0].env).to.have.length(20_000);
  });
});
