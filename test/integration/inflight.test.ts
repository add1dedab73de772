// Memory is bounded at the edge: admission bodies being read and parsed at once may not exceed
// a byte budget. Past it a request is refused with 503 before its body is read; the budget is
// given back when a request ends, and the server keeps answering.

import { expect } from 'chai';
import type { ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pod } from '../helpers/objects.ts';
import { review, startWebhook, type TestWebhook } from '../helpers/webhook.ts';

const BODY_LIMIT = 1024 * 1024;
const BUDGET = 2 * BODY_LIMIT + 64 * 1024;

describe('admission bytes in flight', function () {
  this.timeout(20_000);
  let hook: TestWebhook;
  before(async () => { hook = await startWebhook({ serve: { bodyLimit: BODY_LIMIT, inflightBytes: BUDGET } }); });
  after(async () => { await hook.stop(); });

  /** A request that declares `length` bytes and sends only a first part of them, then waits. */
  function held(length: number): { req: ClientRequest; answer: Promise<{ status: number; retryAfter?: string; body: string }> } {
    let req!: ClientRequest;
    const answer = new Promise<{ status: number; retryAfter?: string; body: string }>((resolve, reject) => {
      req = httpsRequest({
        host: '127.0.0.1', port: hook.server.port, path: '/validate', method: 'POST', ca: hook.ca, servername: 'localhost', agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': length },
      }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}), body }));
      });
      req.on('error', reject);
      req.write(' '.repeat(1024));
    });
    return { req, answer };
  }

  it('refuses with 503 past the budget, before reading the body, and takes requests again once bytes are freed', async () => {
    const size = BODY_LIMIT - 4096;
    const a = held(size);
    const b = held(size);
    await new Promise((r) => setTimeout(r, 200));
    // Two bodies of ~1 MiB are in flight: a third does not fit in the budget.
    const third = held(size);
    const refused = await third.answer;
    expect(refused.status).to.equal(503);
    expect(refused.retryAfter).to.equal('1');
    expect(JSON.parse(refused.body).error).to.match(/^overloaded: \d+ bytes of admission requests in flight, budget \d+$/);
    third.req.destroy();
    // The held requests finish (as bodies that are not JSON): their bytes are given back.
    for (const h of [a, b]) h.req.end(' '.repeat(size - 1024));
    expect((await a.answer).status).to.equal(400);
    expect((await b.answer).status).to.equal(400);
    const ok = await hook.post('/validate', review(pod({ containers: [{}] })));
    expect(ok.status).to.equal(200);
    expect(await hook.metrics()).to.match(/extguard_unjudged_total\{endpoint="validate",reason="overloaded",allowed="false"\} 1/);
  });

  it('admits a body up to the body limit when nothing else is in flight', async () => {
    const res = await hook.post('/validate', review(pod({ containers: [{ env: [{ name: 'PAD', value: 'x'.repeat(BODY_LIMIT - 2048) }] }] })));
    expect(res.status).to.equal(200);
  });
});
