// The judge runs on worker threads under a deadline (src/server/judge-pool.ts). These tests
// give the pool a worker that really hangs or dies on chosen reviews, and check what a cluster
// would notice: the replica keeps answering /healthz and other reviews, the stuck review gets a
// well-formed answer by its namespace's mode, and the next review is judged normally.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../src/log.ts';
import { JudgePool } from '../../src/server/judge-pool.ts';
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
