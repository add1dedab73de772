// SIGTERM as a Pod gets it: the built `extguard serve` stops accepting connections, lets the
// requests it already received finish, and exits without waiting for idle keep-alive
// connections; a request that never completes is cut at --shutdown-timeout.
//
// `Expect: 100-continue` makes the server tell us when it holds our request, so the signal is
// sent while the request is provably in flight (its body not yet sent).

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { Agent, request as httpsRequest } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FAKE_PASSWORD } from '../helpers/objects.ts';
import { bin, root, startServeProcess, type ServeProcess } from '../helpers/process.ts';

const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
  request: { uid: 'drain-1', operation: 'CREATE', namespace: 'shop', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', env: [{ name: 'API_TOKEN', value: FAKE_PASSWORD }] }] } } },
});

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function until(what: string, test: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('serve: graceful shutdown on SIGTERM (built binary)', function () {
  this.timeout(20_000);
  let dir: string;
  let ca: Buffer;
  let proc: ServeProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'extguard-drain-'));
    const r = spawnSync(process.execPath, [bin, 'certs', '--out-dir', dir, '--ip', '127.0.0.1', '--dns-name', 'localhost'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    ca = readFileSync(join(dir, 'ca.crt'));
  });
  afterEach(async () => { await proc?.stop(); proc = undefined; });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const start = (shutdownTimeout: number) => startServeProcess([
    '--declarations', join(root, 'examples', 'catalog.yaml'), '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'),
    '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--shutdown-timeout', String(shutdownTimeout),
  ]);

  /** A /validate request whose headers the server has received; the body is sent by the caller. */
  function heldRequest(port: number, agent: Agent): Promise<{ req: ClientRequest; response: Promise<{ res: IncomingMessage; body: string }> }> {
    return new Promise((resolveHeld, rejectHeld) => {
      let resolveResponse!: (v: { res: IncomingMessage; body: string }) => void;
      let rejectResponse!: (e: Error) => void;
      const response = new Promise<{ res: IncomingMessage; body: string }>((res, rej) => { resolveResponse = res; rejectResponse = rej; });
      response.catch(() => undefined); // observed by the caller when it cares
      const req = httpsRequest({
        host: '127.0.0.1', port, path: '/validate', method: 'POST', ca, servername: 'localhost', agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(review), expect: '100-continue' },
      }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolveResponse({ res, body }));
      });
      req.once('continue', () => resolveHeld({ req, response }));
      req.once('error', (err) => { rejectHeld(err); rejectResponse(err); });
      req.flushHeaders();
    });
  }

  it('finishes a request in flight, refusing new connections meanwhile, then exits 0 at once', async () => {
    proc = await start(60);
    const agent = new Agent({ keepAlive: true });
    const held = await heldRequest(proc.port, agent);
    proc.child.kill('SIGTERM');
    await until('the listener to close', () => refusesConnections(proc!.port));
    held.req.end(review);
    const { res, body } = await held.response;
    expect(res.statusCode).to.equal(200);
    expect(JSON.parse(body).response).to.include({ uid: 'drain-1', allowed: false });
    expect(res.headers.connection, 'the connection is not kept for more requests').to.equal('close');
    // The keep-alive agent would hold an idle connection open; the server must not wait for it
    // (the 60 s shutdown timeout would outlast this test's 20 s).
    expect(await proc.exited).to.equal(0);
    expect(proc.logs()).to.match(/"finished":1,"msg":"in-flight requests finished"/);
    expect(proc.logs()).not.to.contain(FAKE_PASSWORD);
    agent.destroy();
  });

  it('exits promptly with idle keep-alive connections open', async () => {
    proc = await start(60);
    const agent = new Agent({ keepAlive: true });
    const held = await heldRequest(proc.port, agent);
    held.req.end(review);
    expect((await held.response).res.headers.connection).to.equal('keep-alive');
    expect(await proc.stop()).to.equal(0);
    expect(proc.logs()).to.match(/"finished":0,"msg":"in-flight requests finished"/);
    agent.destroy();
  });

  it('cuts a request that never completes at --shutdown-timeout, and says so', async () => {
    proc = await start(1);
    const agent = new Agent({ keepAlive: false });
    const held = await heldRequest(proc.port, agent);
    const outcome = held.response.then(() => 'answered', (err: NodeJS.ErrnoException) => err.code ?? err.message);
    expect(await proc.stop()).to.equal(0);
    expect(await outcome).to.equal('ECONNRESET');
    expect(proc.logs()).to.match(/"cut":1,"msg":"shutdown timeout reached: closed connections with requests still in flight"/);
  });

  // The hand-over of the webhooks (--webhook-configuration) asks the API server first; an
  // unreachable one must not hold the Pod past its grace period, nor turn the stop into a failure.
  it('with --webhook-configuration and an unreachable API server: exits 0, and says the hand-over failed', async () => {
    proc = await startServeProcess([
      '--kubeconfig', join(root, 'test', 'fixtures', 'kubeconfig-unreachable.yaml'), '--webhook-configuration', 'extguard',
      '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'),
      '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', '--shutdown-timeout', '2',
    ]);
    expect(await proc.stop()).to.equal(0);
    expect(proc.logs()).to.contain('cannot hand the webhooks over on shutdown');
  });
});
