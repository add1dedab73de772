// The native unknown-external-service policy (src/native/unknown-service.ts), enforced by a
// real kube-apiserver with NO webhook installed: a workload asking for injection from a Service
// its namespace's Declarations do not list is denied in enforce; a declared one is admitted;
// a namespace without Declarations yet gets no decision (the webhook judges).

import { expect } from 'chai';
import { parseConfig } from '../../src/config/config.ts';
import { DEFAULT_TARGET, type KubeObject } from '../../src/native/common.ts';
import { declarationObjects } from '../../src/native/declarations.ts';
import { DECLARATIONS } from '../../src/native/injection.ts';
import { UNKNOWN_SERVICE_POLICY, unknownServicePolicies } from '../../src/native/unknown-service.ts';
import type { ControlPlane, KubectlResult } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';

const NS = { declared: 'e2e-native-unknown-svc', bare: 'e2e-native-unknown-svc-bare' };
const CONFIG = parseConfig('defaultMode: enforce\n', 'e2e');

const deployment = (ns: string, inject: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app', namespace: ns, annotations: { 'extguard.io/inject': inject } },
  spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] } } },
});
const cronJob = (ns: string, inject: string) => ({
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'job', namespace: ns },
  spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { metadata: { annotations: { 'extguard.io/inject': inject } }, spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] } } } } },
});

describe('native unknown-external-service policy through a real kube-apiserver, no webhook', function () {
  let cp: ControlPlane;
  const kubectl = (args: string[], input?: unknown): Promise<KubectlResult> => cp.kubectl(args, input === undefined ? {} : { input: JSON.stringify(input) });
  const crd = declarationObjects(CONFIG, { target: DEFAULT_TARGET, namespace: 'extguard-system' }).filter((o) => o.kind === 'CustomResourceDefinition');
  const policies: KubeObject[] = unknownServicePolicies(CONFIG, DEFAULT_TARGET);
  const dryRun = (obj: unknown) => kubectl(['create', '--dry-run=server', '-f', '-'], obj);

  before(async function () {
    this.timeout(120_000);
    cp = await sharedControlPlane();
    for (const ns of Object.values(NS)) expect((await kubectl(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).code).to.equal(0);
    expect((await kubectl(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'List', items: crd })).code).to.equal(0);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${DECLARATIONS.plural}.${DECLARATIONS.group}`]);
    const declarations = {
      apiVersion: `${DECLARATIONS.group}/${DECLARATIONS.version}`, kind: DECLARATIONS.kind, metadata: { name: DECLARATIONS.name, namespace: NS.declared },
      spec: { hosts: ['db.example.com'], services: [{ name: 'payments-db', prefix: 'PAYMENTS_DB', host: 'db.example.com', port: 5432 }] },
    };
    const d = await kubectl(['apply', '-f', '-'], declarations);
    expect(d.code, d.stderr).to.equal(0);
    const applied = await kubectl(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'List', items: policies });
    expect(applied.code, applied.stderr).to.equal(0);
    // Policies and their paramKind are picked up asynchronously.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await dryRun(deployment(NS.declared, 'not-declared'));
      if (r.code !== 0 && r.stderr.includes(UNKNOWN_SERVICE_POLICY)) break;
      if (Date.now() > deadline) throw new Error(`the policy never applied: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  });

  after(async function () {
    this.timeout(30_000);
    for (const o of policies) await kubectl(['delete', o.kind.toLowerCase(), o.metadata.name, '--ignore-not-found']);
    await kubectl(['delete', 'namespace', '--wait=false', '--ignore-not-found', ...Object.values(NS)]);
    await kubectl(['delete', 'crd', `${DECLARATIONS.plural}.${DECLARATIONS.group}`, '--ignore-not-found', '--wait=false']);
  });

  it('denies a Deployment and a CronJob (pod template annotation) naming an undeclared Service; the message names it and the rule', async () => {
    for (const obj of [deployment(NS.declared, 'payments-db, not-declared'), cronJob(NS.declared, 'not-declared')]) {
      const r = await dryRun(obj);
      expect(r.code, obj.kind).to.not.equal(0);
      expect(r.stderr).to.contain('unknown-external-service').and.to.contain('not-declared');
    }
  });

  it('admits declared Services, blanks and repeats included', async () => {
    for (const obj of [deployment(NS.declared, 'payments-db'), deployment(NS.declared, ' payments-db,,payments-db '), cronJob(NS.declared, 'payments-db')]) {
      const r = await dryRun(obj);
      expect(r.code, r.stderr).to.equal(0);
    }
  });

  it('a namespace without Declarations yet: no decision, admitted (the webhook judges)', async () => {
    const r = await dryRun(deployment(NS.bare, 'not-declared'));
    expect(r.code, r.stderr).to.equal(0);
  });
});
