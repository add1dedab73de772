// One namespace must not spend another's deadline (issue 20). A tenant floods the webhook with
// large reviews that never finish (the faulty worker hangs on a uid starting with "hang-", so
// each holds a worker until its deadline), while another namespace's ordinary Pod is reviewed.
// With one FIFO queue the Pod waited behind the flood and was refused in enforce ("too large or
// complex to judge"); now it is judged, and the flood is answered without a judgement, most of
// it at once ("overloaded") rather than at its deadline. Nothing here measures time: the
// outcome follows from the scheduling alone (bench/worst.js times the real thing).

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { deployment, pod } from '../helpers/objects.ts';
import { review, startWebhook, type HttpResult, type TestWebhook } from '../helpers/webhook.ts';

const catalogYaml = readFileSync(new URL('../../examples/catalog.yaml', import.meta.url), 'utf8');
const faultyWorker = new URL('../fixtures/judge-worker-faulty.ts', import.meta.url);
// Past the pool's 128 KiB "large review" line, like the 1.4 MB script of the bench.
const bulky = (namespace: string, i: number) => deployment({ name: `bulk-${i}`, namespace, templateAnnotations: { note: 'a;'.repeat(100_000) }, containers: [{}] });

describe('judge pool: one namespace flooding the pool with slow reviews', function () {
  this.timeout(60_000);
  const DEADLINE = 3000;
  const FLOOD = 8;
  let hook: TestWebhook;
  let flood: Promise<HttpResult>[];
  before(async () => {
    hook = await startWebhook({ declarations: catalogYaml, config: 'defaultMode: enforce\n', serve: { judgeWorkers: 2, judgeTimeoutMs: DEADLINE, judgeWorkerUrl: faultyWorker } });
    // The same user sends both (review() says "test"): the pool tells them apart by namespace.
    flood = Array.from({ length: FLOOD }, (_, i) => hook.post('/validate', review(bulky('tenant-a', i), { uid: `hang-flood-${i}` })));
    await new Promise((r) => setTimeout(r, 300)); // the flood has reached the pool
  });
  after(async () => { await hook.stop(); });

  it('judges another namespace\'s ordinary reviews meanwhile', async () => {
    for (let i = 0; i < 3; i++) {
      const body = (await hook.post('/validate', review(pod({ name: `web-${i}`, namespace: 'shop', containers: [{}] }), { uid: `ordinary-${i}` }))).json();
      expect(body.response, `ordinary review ${i}`).to.include({ uid: `ordinary-${i}`, allowed: true });
      expect(body.response.auditAnnotations, `ordinary review ${i} was judged`).to.equal(undefined);
    }
  });

  it('answers the flood without a judgement, refusing most of it at once rather than at its deadline', async () => {
    const answers = (await Promise.all(flood)).map((r) => r.json().response);
    for (const [i, a] of answers.entries()) {
      expect(a.uid).to.equal(`hang-flood-${i}`);
      expect(a.allowed).to.equal(false);
      expect(a.auditAnnotations?.judged).to.equal('false');
    }
    const reasons = answers.map((a) => a.auditAnnotations.reason as string);
    expect(reasons.filter((r) => r === 'overloaded').length, reasons.join(',')).to.be.greaterThan(0);
    expect(reasons.every((r) => r === 'overloaded' || r === 'timeout'), reasons.join(',')).to.equal(true);
    // Answered from the review's head (the fields before its object): the same message as a parsed one.
    const refused = answers[reasons.indexOf('overloaded')];
    expect(refused.status.message).to.match(/^extguard denied Deployment tenant-a\/bulk-\d: not judged: the judge was busy, or this namespace's reviews already held their share of it/);
  });

  it('counts the ordinary reviews as judged and the flood as unjudged', async () => {
    const metrics = await hook.metrics();
    expect(metrics).to.match(/extguard_verdicts_total\{mode="enforce",allowed="true"\} 3\b/);
    const unjudged = [...metrics.matchAll(/extguard_unjudged_total\{endpoint="validate",reason="(\w+)",allowed="false"\} (\d+)/g)];
    expect(unjudged.reduce((n, m) => n + Number(m[2]), 0)).to.equal(FLOOD);
  });
});
