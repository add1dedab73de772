// The listener's limits on the built `extguard serve`, over real TLS: 200 connections that
// dribble header bytes and never finish must not keep the webhook from answering real
// reviews, and must be cut by the server once the headers timeout passes; a connection that
// never starts its TLS handshake is cut at the handshake timeout; oversized headers get 431.
//
// Short timeouts are set through the serve flags so this takes seconds: the headers timeout
// is long enough to cover opening the slow connections and sending every review while all of
// them are still open, which the test checks.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_PASSWORD, pod } from '../helpers/objects.ts';
import { bin, root, startServeProcess, type ServeProcess } from '../helpers/process.ts';
import { review } from '../helpers/webhook.ts';

const HEADERS_TIMEOUT_MS = 8_000;
/** Far above the headers timeout plus slack, so the cut seen is the headers timeout's, not this one's. */
const REQUEST_TIMEOUT_MS = 20_000;
const HANDSHAKE_TIMEOUT_MS = 1_500;
const SLOW_CONNECTIONS = 200;
/** Timers in two processes, and the server sweeps its connections every 500 ms. */
const TIMER_SLACK_MS = 250;
/** How late past the timeout a cut may come on a loaded machine; well under Node's default 30 s sweep. */
const CUT_SLACK_MS = 5_000;

interface Answer { status: number; text: string; ms: number }

interface SlowClient {
  openedAt: number;
  closedAt?: number;
  /** True once we closed it ourselves; a close we did not ask for came from the server. */
  closedByUs: boolean;
  received: string;
  destroy(): void;
}

function post(port: number, ca: Buffer, body: string, opts: { agent?: Agent | false; headers?: Record<string, string> } = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path: '/validate?timeout=5s', method: 'POST', ca, servername: 'localhost', agent: opts.agent ?? false,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...opts.headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A TLS connection that sends the start of a request one byte every 500 ms and never ends its headers. */
function openSlowClient(port: number, ca: Buffer): Promise<SlowClient> {
  const bytes = Buffer.from(`POST /validate HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'a'.repeat(200)}`);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    const client: SlowClient = {
      openedAt: 0, closedByUs: false, received: '',
      destroy() { client.closedByUs = true; socket.destroy(); },
    };
    let timer: NodeJS.Timeout | undefined;
    let sent = 0;
    socket.once('secureConnect', () => {
      client.openedAt = Date.now();
      timer = setInterval(() => { if (sent < bytes.length) socket.write(bytes.subarray(sent, ++sent)); }, 500);
      socket.write(bytes.subarray(0, ++sent));
      resolve(client);
    });
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => { client.received += c; });
    socket.on('error', (err) => { if (!client.openedAt) reject(err); }); // after the cut a pending write may fail
    socket.once('close', () => { clearInterval(timer); client.closedAt = Date.now(); });
  });
}

function wellFormed(a: Answer, uid: string): void {
  expect(a.status, a.text).to.equal(200);
  const body = JSON.parse(a.text);
  expect(body).to.include({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  expect(body.response.uid).to.equal(uid);
  expect(body.response.allowed).to.equal(false); // the review carries a plaintext credential
  expect(a.text).not.to.contain(FAKE_PASSWORD);
}

async function until(what: string, test: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

describe('serve: HTTP edge limits under a slowloris (built binary)', function () {
  this.timeout(60_000);
  let dir: string;
  let ca: Buffer;
  let proc: ServeProcess;
  let uid = 0;
  const leakyReview = (): { uid: string; body: string } => {
    const id = `00000000-0000-4000-8000-slow${String(++uid).padStart(8, '0')}`;
    const object = pod({ containers: [{ env: [{ name: 'API_TOKEN', value: FAKE_PASSWORD }] }] });
    return { uid: id, body: JSON.stringify(review(object, { uid: id })) };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'extguard-edge-'));
    const r = spawnSync(process.execPath, [bin, 'certs', '--out-dir', dir, '--ip', '127.0.0.1', '--dns-name', 'localhost'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    ca = readFileSync(join(dir, 'ca.crt'));
    proc = await startServeProcess([
      '--declarations', join(root, 'examples', 'catalog.yaml'), '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'),
      '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1',
      '--headers-timeout', String(HEADERS_TIMEOUT_MS), '--request-timeout', String(REQUEST_TIMEOUT_MS),
      '--tls-handshake-timeout', String(HANDSHAKE_TIMEOUT_MS),
    ]);
  });
  after(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`answers real reviews while ${SLOW_CONNECTIONS} connections dribble headers, then cuts those at --headers-timeout`, async () => {
    const slow: SlowClient[] = [];
    try {
      // Opened in batches, as a slowloris ramps up; all are open before the first review.
      for (let i = 0; i < SLOW_CONNECTIONS; i += 50) {
        slow.push(...await Promise.all(Array.from({ length: Math.min(50, SLOW_CONNECTIONS - i) }, () => openSlowClient(proc.port, ca))));
      }
      expect(slow.filter((s) => s.closedAt !== undefined), 'slow connections closed before the reviews').to.have.length(0);

      // The API server's way: a keep-alive pool (client-go keeps up to 25 idle per host), one
      // review after another, then bursts of concurrent reviews on fresh connections.
      const pool = new Agent({ keepAlive: true, maxSockets: 25 });
      const answers: Answer[] = [];
      for (let i = 0; i < 30; i++) {
        const r = leakyReview();
        const a = await post(proc.port, ca, r.body, { agent: pool });
        wellFormed(a, r.uid);
        answers.push(a);
      }
      for (let burst = 0; burst < 3; burst++) {
        const reviews = Array.from({ length: 10 }, leakyReview);
        const got = await Promise.all(reviews.map((r) => post(proc.port, ca, r.body, { agent: burst === 1 ? pool : false })));
        got.forEach((a, i) => wellFormed(a, reviews[i]!.uid));
        answers.push(...got);
      }
      pool.destroy();
      const stillOpen = slow.filter((s) => s.closedAt === undefined).length;
      expect(stillOpen, 'every slow connection must still be open while the reviews run (if not, the machine was too slow for this headers timeout)').to.equal(SLOW_CONNECTIONS);
      const lastOpened = Math.max(...slow.map((s) => s.openedAt));

      await until('the server to cut every slow connection', () => slow.every((s) => s.closedAt !== undefined), lastOpened + HEADERS_TIMEOUT_MS + CUT_SLACK_MS - Date.now());
      const lived = slow.map((s) => s.closedAt! - s.openedAt).sort((a, b) => a - b);
      expect(slow.filter((s) => s.closedByUs), 'closed by the client').to.have.length(0);
      expect(lived[0], 'no slow connection is cut before the headers timeout').to.be.at.least(HEADERS_TIMEOUT_MS - TIMER_SLACK_MS);
      expect(lived.at(-1), 'cut by the headers timeout, not the request timeout').to.be.below(REQUEST_TIMEOUT_MS);
      expect(slow.every((s) => s.received.startsWith('HTTP/1.1 408 ')), 'each is told 408 as it is cut').to.equal(true);

      const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
      console.log(`      figures: ${answers.length} reviews with ${SLOW_CONNECTIONS} slow connections open: min ${ms[0]!.toFixed(1)} ms, median ${pct(ms, 0.5).toFixed(1)} ms, p90 ${pct(ms, 0.9).toFixed(1)} ms, max ${ms.at(-1)!.toFixed(1)} ms; slow connections cut after ${lived[0]} .. ${lived.at(-1)} ms (headers timeout ${HEADERS_TIMEOUT_MS} ms)`);
    } finally {
      slow.forEach((s) => { if (s.closedAt === undefined) s.destroy(); });
    }
  });

  it('cuts a TCP connection that never starts its TLS handshake at --tls-handshake-timeout', async () => {
    const socket = netConnect(proc.port, '127.0.0.1');
    let openedAt = 0;
    let closedByUs = false;
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', () => { openedAt = Date.now(); resolve(); }));
    const guard = setTimeout(() => { closedByUs = true; socket.destroy(); }, HANDSHAKE_TIMEOUT_MS + 15_000);
    const lived = (await closed) - openedAt;
    clearTimeout(guard);
    expect(closedByUs, 'the server never closed the connection').to.equal(false);
    expect(lived).to.be.at.least(HANDSHAKE_TIMEOUT_MS - TIMER_SLACK_MS);
    console.log(`      figures: a connection without a TLS handshake was cut after ${lived} ms (handshake timeout ${HANDSHAKE_TIMEOUT_MS} ms)`);
  });

  it('answers 431 to a header block over 8 KiB and keeps serving', async () => {
    const big = leakyReview();
    const refused = await post(proc.port, ca, big.body, { headers: { 'x-padding': 'a'.repeat(12 * 1024) } });
    expect(refused.status).to.equal(431);
    // Headers of a few KiB, far more than an API server sends, are fine.
    const roomy = leakyReview();
    wellFormed(await post(proc.port, ca, roomy.body, { headers: { 'x-padding': 'a'.repeat(6 * 1024) } }), roomy.uid);
    const next = leakyReview();
    wellFormed(await post(proc.port, ca, next.body), next.uid);
  });
});
