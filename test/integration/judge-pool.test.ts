// The judge runs on worker threads under a deadline (src/server/judge-pool.ts). These tests
// give the pool a worker that really hangs or dies on chosen reviews, and check what a cluster
// would notice: the replica keeps answering /healthz and other reviews, the stuck review gets a
// well-formed answer by its namespace's mode, and the next review is judged normally.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../src/log.ts';
import { CLUSTER_KEY, HEAD_CHARS, JudgePool, readHead, schedulingKey, UNREADABLE_KEY, type JudgeResult } from '../../src/server/judge-pool.ts';
import { buildSnapshot } from '../../src/catalog/snapshot.ts';
import { compilePolicy } from '../../src/policy/judge.ts';
import { DEFAULT_CONFIG } from '../../src/config/config.ts';
import { deployment, FAKE_PASSWORD, pod } from '../helpers/objects.ts';
import { review, startWebhook, type TestWebhook } from '../helpers/webhook.ts';

const catalogYaml = readFileSync(new URL('../../examples/catalog.yaml', import.meta.url), 'utf8');
const faultyWorker = new URL('../fixtures/judge-worker-faulty.ts', import.meta.url);
const leaky = (ns: string) => deployment({ name: 'web', namespace: ns, annotations: { 'extguard.io/inject': 'external-db' }, containers: [{ env: [{ name: 'DB_PASSWORD', value: FAKE_PASSWORD }] }] });

describe('judge pool: a judgement that never ends', function () {
  this.timeout(30_000);
  const DEADLINE = 1500;
  let hook: TestWebhook;
  before(async () => {
    hook = await startWebhook({ declarations: catalogYaml, config: 'defaultMode: enforce\n', serve: { judgeWorkers: 1, judgeTimeoutMs: DEADLINE, judgeWorkerUrl: faultyWorker } });
  });
  after(async () => { await hook.stop(); });

  it('does not hold up /healthz or the event loop while a worker is stuck', async () => {
    let settled = false;
    const stuck = hook.post('/validate', review(leaky('shop'), { uid: 'hang-1' })).then((r) => { settled = true; return r; });
    await new Promise((r) => setTimeout(r, 100)); // the review has reached the worker
    const health = await hook.get('/healthz');
    expect(health.status).to.equal(200);
    expect(settled, 'the stuck review was answered before /healthz').to.equal(false);
    const body = (await stuck).json();
    expect(body.response).to.include({ uid: 'hang-1', allowed: false });
    expect(body.response.status.message).to.match(/^extguard denied Deployment shop\/web: too large or complex to judge within 1500 ms/);
    expect(JSON.stringify(body)).not.to.include(FAKE_PASSWORD);
  });

  it('replaces the stuck worker: the next review is judged for real', async () => {
    const body = (await hook.post('/validate', review(leaky('shop')))).json();
    expect(body.response.allowed).to.equal(false);
    expect(body.response.status.message).to.include('plaintext-credential');
    const clean = (await hook.post('/validate', review(pod({ namespace: 'shop', containers: [{}] })))).json();
    expect(clean.response.allowed).to.equal(true);
  });

  it('answers by the namespace mode: warn and audit admit with a warning, /mutate admits unmutated', async () => {
    const warn = (await hook.post('/validate', review(leaky('staging'), { uid: 'hang-warn' }))).json().response;
    expect(warn).to.include({ uid: 'hang-warn', allowed: true });
    expect(warn.warnings).to.deep.equal(['extguard admitted Deployment staging/web unjudged (mode warn): too large or complex to judge within 1500 ms']);
    const audit = (await hook.post('/validate', review(leaky('legacy'), { uid: 'hang-audit' }))).json().response;
    expect(audit).to.include({ uid: 'hang-audit', allowed: true });
    expect(audit.auditAnnotations).to.deep.equal({ judged: 'false', reason: 'timeout' });
    const mutate = (await hook.post('/mutate', review(leaky('shop'), { uid: 'hang-mutate' }))).json().response;
    expect(mutate).to.include({ uid: 'hang-mutate', allowed: true });
    expect(mutate).not.to.have.property('patch');
    expect(mutate.warnings[0]).to.match(/^extguard did not inject into Deployment shop\/web: too large or complex/);
  });

  it('answers a review whose worker dies, and recovers', async () => {
    const dead = (await hook.post('/validate', review(leaky('shop'), { uid: 'exit-1' }))).json().response;
    expect(dead).to.include({ uid: 'exit-1', allowed: false });
    expect(dead.status.message).to.match(/not judged: the judge worker failed on it/);
    expect((await hook.post('/validate', review(leaky('shop')))).json().response.status.message).to.include('plaintext-credential');
  });

  it('counts every answer given without a judgement, and every replaced worker', async () => {
    const metrics = await hook.metrics();
    expect(metrics).to.match(/extguard_unjudged_total\{endpoint="validate",reason="timeout",allowed="false"\} 1\b/);
    expect(metrics).to.match(/extguard_unjudged_total\{endpoint="validate",reason="timeout",allowed="true"\} 2\b/);
    expect(metrics).to.match(/extguard_unjudged_total\{endpoint="mutate",reason="timeout",allowed="true"\} 1\b/);
    expect(metrics).to.match(/extguard_unjudged_total\{endpoint="validate",reason="crashed",allowed="false"\} 1\b/);
    expect(metrics).to.match(/extguard_judge_worker_restarts_total\{reason="timeout"\} 4\b/);
    expect(metrics).to.match(/extguard_judge_worker_restarts_total\{reason="crashed"\} 1\b/);
  });
});

describe('judge pool: queue limits', function () {
  this.timeout(30_000);
  it('answers "overloaded" at once when every worker is busy and the queue is full, and the queued job still runs', async () => {
    const snapshot = buildSnapshot([], []);
    const pool = new JudgePool({
      size: 1, deadlineMs: 5000, maxQueued: 1, maxQueuedChars: 1 << 20, logger: silentLogger, workerUrl: faultyWorker,
      state: () => ({ policy: compilePolicy(DEFAULT_CONFIG), catalog: snapshot }),
    });
    try {
      const text = (uid: string): string => JSON.stringify(review(pod({ namespace: 'x', containers: [{}] }), { uid }));
      const stuck = pool.run('validate', text('hang-q'));
      const queued = pool.run('validate', text('q-2'));
      await new Promise((r) => setTimeout(r, 50));
      expect(await pool.run('validate', text('q-3'))).to.deep.equal({ kind: 'unjudged', reason: 'overloaded' });
      expect(await stuck).to.deep.equal({ kind: 'unjudged', reason: 'timeout' });
      const second = await queued;
      // q-2 waited behind the stuck job and shares its deadline budget: it is either judged
      // by the replacement worker or timed out, but always answered.
      expect(['answer', 'unjudged']).to.include(second.kind);
    } finally {
      await pool.close();
    }
  });
});

// Scheduling between namespaces (issue 20): these drive the pool directly with the faulty worker,
// and check who runs and who is refused, never how long anything took.
describe('judge pool: scheduling between namespaces', function () {
  this.timeout(30_000);
  const snapshot = buildSnapshot([], []);
  const policy = compilePolicy(DEFAULT_CONFIG);
  const newPool = (opts: Partial<ConstructorParameters<typeof JudgePool>[0]> = {}): JudgePool => new JudgePool({
    size: 1, deadlineMs: 5000, maxQueued: 64, maxQueuedChars: 1 << 24, logger: silentLogger, workerUrl: faultyWorker,
    state: () => ({ policy, catalog: snapshot }), ...opts,
  });
  /** A review of a Pod in `ns`, padded past `pad` characters when asked. */
  const text = (uid: string, ns: string, pad = 0): string =>
    JSON.stringify(review(pod({ namespace: ns, annotations: pad ? { note: 'x'.repeat(pad) } : {}, containers: [{}] }), { uid }));
  /** Settles in the order of completion. */
  const tracked = (order: string[], name: string, p: Promise<JudgeResult>) => p.then((r) => { order.push(name); return r; });
  /** Lets every callback already due run (no time passes for the workers to matter). */
  const settle = () => new Promise((r) => setImmediate(r));

  it('takes turns between namespaces instead of first come, first served', async () => {
    const pool = newPool();
    try {
      const order: string[] = [];
      // One worker: the first job runs, the others queue in the same tick.
      const all = [
        tracked(order, 'a0', pool.run('validate', text('a0', 'a'))),
        tracked(order, 'a1', pool.run('validate', text('a1', 'a'))),
        tracked(order, 'a2', pool.run('validate', text('a2', 'a'))),
        tracked(order, 'a3', pool.run('validate', text('a3', 'a'))),
        tracked(order, 'b1', pool.run('validate', text('b1', 'b'))),
        tracked(order, 'b2', pool.run('validate', text('b2', 'b'))),
      ];
      for (const r of await Promise.all(all)) expect(r.kind).to.equal('answer');
      expect(order).to.deep.equal(['a0', 'a1', 'b1', 'a2', 'b2', 'a3']);
    } finally {
      await pool.close();
    }
  });

  it('gives each namespace a share of the queue: past it, its reviews are refused at once and others still queue', async () => {
    const pool = newPool({ maxQueued: 8 }); // a quarter each: 2
    try {
      void pool.run('validate', text('hang-share', 'a'));
      const queued = [pool.run('validate', text('a1', 'a')), pool.run('validate', text('a2', 'a'))];
      expect(await pool.run('validate', text('a3', 'a'))).to.deep.equal({ kind: 'unjudged', reason: 'overloaded' });
      let settled = false;
      const other = pool.run('validate', text('b1', 'b')).then((r) => { settled = true; return r; });
      await settle();
      expect(settled, 'b1 waits for its turn').to.equal(false);
      await pool.close();
      for (const r of [...(await Promise.all(queued)), await other]) expect(r).to.deep.equal({ kind: 'unjudged', reason: 'overloaded' });
    } finally {
      await pool.close();
    }
  });

  it('makes room in a full queue by refusing the newest review of the namespace holding most of it', async () => {
    const pool = newPool({ maxQueued: 4, maxQueuedPerKey: 4 });
    try {
      const results = new Map<string, JudgeResult>();
      const run = (uid: string, ns: string) => pool.run('validate', text(uid, ns)).then((r) => { results.set(uid, r); return r; });
      void run('hang-full', 'a');
      for (const uid of ['a1', 'a2', 'a3', 'a4']) void run(uid, 'a');
      void run('b1', 'b');
      await settle();
      expect([...results.keys()], 'a4 pushed out for b1').to.deep.equal(['a4']);
      expect(results.get('a4')).to.deep.equal({ kind: 'unjudged', reason: 'overloaded' });
      // a holds the most: its next review is refused, not b's.
      void run('a5', 'a');
      await settle();
      expect(results.get('a5')).to.deep.equal({ kind: 'unjudged', reason: 'overloaded' });
      expect(results.has('b1')).to.equal(false);
    } finally {
      await pool.close();
    }
  });

  it('never runs large reviews on every worker: the last one stays for ordinary reviews', async () => {
    const pool = newPool({ size: 2, largeChars: 4096 });
    try {
      void pool.run('validate', text('hang-large', 'a', 8192));
      let started = false;
      const large = pool.run('validate', text('large-2', 'a', 8192)).then((r) => { started = true; return r; });
      const small = await pool.run('validate', text('small', 'b'));
      expect(small.kind).to.equal('answer');
      await settle();
      expect(started, 'the second large review waits although a worker is idle').to.equal(false);
      await pool.close();
      expect(await large).to.deep.equal({ kind: 'unjudged', reason: 'overloaded' });
    } finally {
      await pool.close();
    }
  });

  it('refuses at once what cannot finish in time: after a namespace\'s review timed out, one as large that would wait', async () => {
    const pool = newPool({ size: 2, deadlineMs: 1000, largeChars: 4096 });
    try {
      expect(await pool.run('validate', text('hang-learn', 'a', 8192))).to.deep.equal({ kind: 'unjudged', reason: 'timeout' });
      // A worker is free for a large review again: the next one runs (a stuck review costs one answer, not its namespace's next one).
      let probed = false;
      const probe = pool.run('validate', text('hang-probe', 'a', 8192)).then((r) => { probed = true; return r; });
      // One more as large must wait, and would need a whole deadline: refused now, not at its deadline.
      expect(await pool.run('validate', text('hang-refused', 'a', 8192))).to.deep.equal({ kind: 'unjudged', reason: 'overloaded' });
      expect(probed).to.equal(false);
      // A small one of the same namespace is predicted to cost a fraction: judged.
      expect((await pool.run('validate', text('small-a', 'a'))).kind).to.equal('answer');
      expect(await probe).to.deep.equal({ kind: 'unjudged', reason: 'timeout' });
    } finally {
      await pool.close();
    }
  });
});

describe('judge pool: the scheduling key, read from the head of the review', () => {
  const envelope = (request: string) => `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":${request}}`;
  // kube-apiserver's order: uid, kind, resource, ..., name, namespace, operation, userInfo, object.
  const apiserver = (namespace: string | undefined, object: string) => envelope(
    `{"uid":"705ab4f5-6393-11e8-b7cc-42010a800002","kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1","resource":"deployments"},`
    + `"requestKind":{"group":"apps","version":"v1","kind":"Deployment"},"requestResource":{"group":"apps","version":"v1","resource":"deployments"},"name":"web",`
    + `${namespace === undefined ? '' : `"namespace":${JSON.stringify(namespace)},`}"operation":"CREATE","userInfo":{"username":"alice","groups":["system:authenticated"],"extra":{"scopes":["a","b"]}},`
    + `"object":${object},"oldObject":null,"dryRun":false,"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}`);

  it('is request.namespace as kube-apiserver writes it, whatever the object says', () => {
    expect(schedulingKey(apiserver('shop', '{"metadata":{"namespace":"other"}}'))).to.equal('shop');
    expect(schedulingKey(JSON.stringify(review(pod({ namespace: 'staging', containers: [{}] }))))).to.equal('staging');
    expect(schedulingKey(JSON.stringify(review(pod({ namespace: 'staging', containers: [{}] })), null, 2))).to.equal('staging');
  });

  it('is the shared cluster-scoped key when the request has no namespace before its object', () => {
    expect(schedulingKey(apiserver(undefined, '{"kind":"Namespace","metadata":{"name":"x","namespace":"shop"}}'))).to.equal(CLUSTER_KEY);
    expect(schedulingKey(apiserver('', '{}'))).to.equal(CLUSTER_KEY);
    // Written after the object (kube-apiserver never does): the object is not read to find it.
    expect(schedulingKey(envelope('{"uid":"u","object":{"metadata":{"namespace":"shop"}},"namespace":"shop"}'))).to.equal(CLUSTER_KEY);
  });

  it('cannot be taken from inside another value', () => {
    expect(schedulingKey(envelope('{"uid":"u","name":"\\"namespace\\":\\"evil\\"","userInfo":{"namespace":"evil"},"namespace":"shop","object":{}}'))).to.equal('shop');
    expect(schedulingKey(envelope('{"uid":"u","extra":["{\\"namespace\\":\\"evil\\"}",{"namespace":"evil"}],"object":{}}'))).to.equal(CLUSTER_KEY);
  });

  it('is the shared unreadable key when the head is not JSON, too long, or the namespace not a name', () => {
    for (const text of [
      'not json',
      '[]',
      '{"kind":"AdmissionReview"}',
      envelope('{"uid":"u","namesp'),
      envelope(`{"uid":"u","name":"${'a'.repeat(HEAD_CHARS)}","namespace":"shop"}`),
      envelope('{"uid":"u","namespace":7}'),
      envelope(`{"uid":"u","namespace":"${'n'.repeat(254)}"}`),
    ]) expect(schedulingKey(text), text.slice(0, 60)).to.equal(UNREADABLE_KEY);
  });

  it('carries what an answer without a judgement needs, and only for an admission.k8s.io/v1 AdmissionReview', () => {
    expect(readHead(apiserver('shop', '{}')).request).to.deep.equal({
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002', operation: 'CREATE', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, name: 'web', namespace: 'shop',
    });
    expect(readHead(apiserver('shop', '{}').replace('admission.k8s.io/v1', 'admission.k8s.io/v1beta1')).request).to.equal(undefined);
    expect(readHead(envelope('{"uid":"u","namespace":"shop","object":{}}')).request, 'no operation').to.equal(undefined);
    expect(readHead(envelope('{"uid":"u","name":5,"namespace":"shop","operation":"CREATE","object":{}}')).request, 'a name that is not a string').to.equal(undefined);
  });
});
