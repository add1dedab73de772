// Faults around an installed extguard, through the real kube-apiserver:
//
// - kube-apiserver stops (SIGTERM, then SIGKILL) and comes back on the same etcd while
//   extguard serves with informers. Honest readiness, as src/catalog/informers.ts defines
//   it: a replica whose caches synced once stays ready (it serves its last-known catalog;
//   turning every replica unready during an API server blip would fail every admission at
//   once), and extguard_catalog_watch_healthy{what} says 0 until the watch is back. A
//   Service declared after the restart must then be used.
// - The serving certificate is renewed (--new-ca) and the ConfigMap changed while clients
//   stream reviews through the API server: no request may fail, and both changes apply.
//   (test/integration covers rotation under load with a direct client; here the client is
//   the API server, which re-reads the caBundle and keeps its own connection pool.)
//
// Prints the measured times. Leaves extguard-system in place (no namespace controller runs
// here, so a deleted namespace would stay Terminating for the files that follow) but
// removes the webhook configurations, so nothing is blocked after this file.

import { expect } from 'chai';
import { Agent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlane } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';
import { installSelfSigned, runInstalledPod, NAMESPACE, type Installation, type InstalledPod } from './install.ts';

// Built at run time so the test source holds no credential-shaped literal.
const SECRET = ['e2e', 'Fault', 'Plain', '-7c1d', 'Wq'].join('');
const NS = 'e2e-faults';
const CONFIG = 'defaultMode: enforce\nexemptNamespaces: [kube-system, kube-public, kube-node-lease, extguard-system]\n';
const DOWN_MS = 3000;

type Obj = Record<string, unknown>;
const pod = (name: string, opts: { annotations?: Record<string, string>; env?: Obj[] } = {}): Obj => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: NS, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', ...(opts.env ? { env: opts.env } : {}) }] },
});
const leaky = (name: string) => pod(name, { env: [{ name: 'DB_PASSWORD', value: SECRET }] });

/** Values of one metric by its `what` label, e.g. {services: 1, namespaces: 1}. */
function gauge(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{what="([a-z]+)"\\} (\\S+)$`, 'gm'))) out[m[1]!] = Number(m[2]);
  return out;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

describe('faults: kube-apiserver restarts, and reloads under load through it', function () {
  let cp: ControlPlane;
  let installation: Installation;
  let hook: InstalledPod;
  const kubectlJson = (args: string[], obj: Obj) => cp.kubectl([...args, '-f', '-'], { input: JSON.stringify(obj) });
  const watchHealth = async () => gauge(await hook.metrics(), 'extguard_catalog_watch_healthy');

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    const r = await kubectlJson(['apply'], { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    expect(r.code, r.stderr).to.equal(0);
    installation = await installSelfSigned(cp, { config: CONFIG });
    hook = await runInstalledPod(cp);
    await until('the API server to call extguard', 60_000, async () => {
      const d = await kubectlJson(['create', '--dry-run=server'], leaky('probe'));
      return d.stderr.includes('extguard denied');
    }, 250);
  });

  after(async function () {
    this.timeout(60_000);
    await hook?.stop();
    await cp.kubectl(['delete', 'mutatingwebhookconfiguration,validatingwebhookconfiguration', 'extguard', '--ignore-not-found']);
    // The API server drops the configurations asynchronously.
    await until('covered creates to pass without extguard', 30_000, async () => (await kubectlJson(['create', '--dry-run=server'], pod('after-faults'))).code === 0, 250);
  });

  // SIGKILL first: its restart adds --shutdown-send-retry-after, which the SIGTERM case then
  // meets. With the default flags a SIGTERM'd kube-apiserver stops listening at once but
  // keeps an HTTP/1.1 watch (client-node's) open until the client's 30 s inactivity timeout
  // (measured: 29.7 s), and that watch stays current meanwhile; with the flag it answers
  // 429 and closes connections within 2 s, as API servers behind a load balancer run.
  const variants = [
    { signal: 'SIGKILL', label: 'SIGKILL', restartArgs: ['--shutdown-send-retry-after=true'] },
    { signal: 'SIGTERM', label: 'SIGTERM (--shutdown-send-retry-after)', restartArgs: [] },
  ] as const;
  for (const { signal, label, restartArgs } of variants) {
    it(`kube-apiserver ${label}, down ${DOWN_MS / 1000} s: stays ready, reports the stale watch, recovers, uses a Service declared after the restart`, async function () {
      this.timeout(120_000);
      await until('both watches healthy before the fault', 30_000, async () => {
        const h = await watchHealth();
        return h['services'] === 1 && h['namespaces'] === 1;
      });

      // Sample /readyz and the watch gauge through the whole fault.
      const samples: Array<{ at: number; ready: string; services?: number; namespaces?: number }> = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const at = Date.now();
          const ready = await hook.get('/readyz').then((r) => `${r.status} ${r.body.trim()}`, (e: Error) => `error ${e.message}`);
          const h = await watchHealth().catch(() => ({} as Record<string, number>));
          samples.push({ at, ready, ...h });
          await sleep(100);
        }
      })();

      const killedAt = Date.now();
      await cp.stopApiserver(signal);
      const exitedAt = Date.now();
      const staleAt = await until('the watch gauge to report the outage', 45_000, async () => {
        const h = await watchHealth();
        return h['services'] === 0 && h['namespaces'] === 0 && Date.now();
      });
      await sleep(Math.max(0, exitedAt + DOWN_MS - Date.now()));
      const startedAt = Date.now();
      await cp.startApiserver({ extraArgs: [...restartArgs] });
      const upAt = Date.now();
      const recoveredAt = await until('both watches to recover', 60_000, async () => {
        const h = await watchHealth();
        return h['services'] === 1 && h['namespaces'] === 1 && Date.now();
      });
      sampling = false;
      await sampler;

      // A Service declared after the restart: injection names it.
      const svc = `db-after-${signal.toLowerCase()}`;
      const created = await kubectlJson(['create'], {
        apiVersion: 'v1', kind: 'Service',
        metadata: { name: svc, namespace: NS, annotations: { 'extguard.io/secret': `${svc}-credentials`, 'extguard.io/env-prefix': 'DB' } },
        spec: { type: 'ExternalName', externalName: `${svc}.partner-e2e.example.net`, ports: [{ port: 5432 }] },
      });
      expect(created.code, created.stderr).to.equal(0);
      const declaredAt = Date.now();
      let attempts = 0;
      let lastErr = '';
      const env = await until(`injection of ${svc}`, 30_000, async () => {
        attempts++;
        const r = await kubectlJson(['create', '--dry-run=server', '-o', 'json'], pod('wants-db', { annotations: { 'extguard.io/inject': svc } }));
        if (r.code !== 0) { lastErr = r.stderr; return undefined; }
        return JSON.parse(r.stdout).spec.containers[0].env as Array<{ name: string; value?: string }>;
      }, 50).catch((e: Error) => { throw new Error(`${e.message}; last: ${lastErr}\n${hook.logs().slice(-3000)}`); });
      const pickedUpAt = Date.now();
      expect(env.find((e) => e.name === 'DB_HOST')?.value).to.equal(svc);

      // Honest readiness: ready throughout (served its last-known catalog), the gauge told the truth.
      const notOk = samples.filter((s) => s.ready !== '200 ok');
      console.log(`      ${signal}: exited ${exitedAt - killedAt} ms after the signal; gauge 0 after ${staleAt - killedAt} ms; ` +
        `API server down ${upAt - killedAt} ms (restart took ${upAt - startedAt} ms); watches back ${recoveredAt - upAt} ms after /readyz; ` +
        `new Service used ${pickedUpAt - declaredAt} ms after its creation (${pickedUpAt - upAt} ms after the restart, ${attempts} attempt(s)); ` +
        `${samples.length} /readyz samples, ${notOk.length} not "200 ok"`);
      expect(notOk, 'every /readyz answer during the outage').to.deep.equal([]);
      expect(samples.some((s) => s.at > exitedAt && s.at < startedAt && s.services === 0), 'a sample with the watch down during the outage').to.equal(true);
      expect(hook.logs()).to.contain('serving the last-known catalog while retrying').and.contain('watch re-established');
      expect(hook.logs()).not.to.contain(SECRET);
    });
  }

  it('renewing the certificate (--new-ca) and changing the ConfigMap under load through the API server: no request fails', async function () {
    this.timeout(120_000);
    // Several clients, each with its own keep-alive connection to the API server, creating
    // (dry run) a Pod with a plaintext credential: enforce denies it, warn allows it with a warning.
    const url = new URL(`${cp.server}/api/v1/namespaces/${NS}/pods?dryRun=All`);
    const body = JSON.stringify(leaky('under-load'));
    type Outcome = { start: number; end: number; kind: 'denied' | 'warned' | 'failed'; detail?: string };
    const outcomes: Outcome[] = [];
    let running = true;
    const one = (agent: Agent) => new Promise<Outcome>((resolve) => {
      const start = Date.now();
      const req = httpsRequest(url, {
        method: 'POST', agent, ca: cp.caCertPem, cert: cp.adminCertPem, key: cp.adminKeyPem,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => {
          const end = Date.now();
          const warning = String(res.headers['warning'] ?? '');
          if (res.statusCode === 403 && text.includes('extguard denied')) resolve({ start, end, kind: 'denied' });
          else if (res.statusCode === 201 && warning.includes('[plaintext-credential]')) resolve({ start, end, kind: 'warned' });
          else resolve({ start, end, kind: 'failed', detail: `HTTP ${res.statusCode}: ${text.slice(0, 300)}` });
        });
      });
      req.on('error', (e) => resolve({ start, end: Date.now(), kind: 'failed', detail: e.message }));
      req.end(body);
    });
    const CLIENTS = 6;
    const agents = Array.from({ length: CLIENTS }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    const clients = agents.map(async (agent) => { while (running) outcomes.push(await one(agent)); });
    const count = (kind: Outcome['kind'], from = 0) => outcomes.filter((o) => o.kind === kind && o.start >= from).length;

    try {
      await until('load to flow', 10_000, async () => count('denied') >= CLIENTS);

      // Certificate: the API server gets a caBundle with the new and the old CA at once; the
      // Pod serves the old certificate until its volume syncs, then the new one.
      const before = await hook.servedCertificate();
      const renewStart = Date.now();
      await installation.renewCertificates('--new-ca');
      await sleep(1000);
      await hook.syncVolumes();
      await until('the new certificate to be served', 20_000, async () => (await hook.servedCertificate()).serialNumber !== before.serialNumber, 200);
      const certAt = Date.now();
      await sleep(1000);

      // Configuration: kubectl patch of the ConfigMap, then the kubelet's volume sync.
      const cmStart = Date.now();
      const patched = await cp.kubectl(['patch', 'configmap', 'extguard-config', '-n', NAMESPACE, '--type', 'merge', '-p', JSON.stringify({ data: { 'config.yaml': CONFIG.replace('enforce', 'warn') } })]);
      expect(patched.code, patched.stderr).to.equal(0);
      await hook.syncVolumes();
      const firstWarned = await until('the warn configuration to apply', 20_000, async () => outcomes.find((o) => o.kind === 'warned'));
      await sleep(1000);
      running = false;
      await Promise.all(clients);

      const failed = outcomes.filter((o) => o.kind === 'failed');
      expect(failed.map((o) => o.detail), 'failed requests').to.deep.equal([]);
      expect(count('denied', renewStart), 'requests judged across the certificate renewal').to.be.greaterThan(CLIENTS);
      // Judged after the reload: nothing sent after the first warned answer came back is denied.
      expect(count('denied', firstWarned.end), 'denied after the new configuration applied').to.equal(0);
      expect(count('warned', firstWarned.end)).to.be.greaterThan(0);
      const m = await hook.metrics();
      expect(m).to.match(/extguard_reloads_total\{what="certificate",result="success"\} [1-9]/);
      expect(m).to.match(/extguard_reloads_total\{what="config",result="success"\} [1-9]/);
      const span = outcomes.at(-1)!.end - outcomes[0]!.start;
      console.log(`      ${outcomes.length} reviews by ${CLIENTS} keep-alive clients in ${span} ms, ${failed.length} failed; ` +
        `renewal applied to served in ${certAt - renewStart} ms (${count('denied', renewStart) - count('denied', certAt)} requests in that window); ` +
        `ConfigMap patch to first warned answer ${firstWarned.end - cmStart} ms`);
    } finally {
      running = false;
      await Promise.all(clients);
      for (const a of agents) a.destroy();
    }
  });
});
