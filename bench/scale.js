// `npm run bench -- scale`: memory, informer sync time and CPU per request with many
// ExternalName Services, through real informers against a real API server (the e2e control
// plane of test/e2e/cluster.ts: etcd + kube-apiserver, nothing else).
//
// Steps of 100, 1k and 10k Services (--steps) over --namespaces namespaces. At each step:
//   - the Services are created through the API, concurrently, as `kubectl apply` leaves them
//     (labels, the last-applied-configuration annotation, the server's managedFields);
//   - the server started at the previous step has been watching the creation: its RSS once
//     caught up is the "grown by watch" figure;
//   - a fresh `extguard serve --kubeconfig` (pinned to the server core) is started: sync time
//     = process start to the first /readyz 200, with the "cache synced" log lines' times;
//   - RSS at ready, RSS after the first /validate and /mutate (the snapshot is built lazily
//     and copied to each judge worker on the first request), CPU per request on both
//     endpoints (bench/measure.js), then --steady seconds of light load (one review a second)
//     and the RSS at its end.
// At the last step, --churn Service updates a second (an extguard annotation changed on a
// random Service: each event really changes the catalog) run while the CPU is measured
// again, and the catalog rebuild is timed in-process on the objects the API server returns.
//
//   npm run build && npm run bench -- scale [--services 10000 --namespaces 100 --steady 60
//     --steps 100,1000,10000 --seconds 2 --rounds 3 --churn 10 --label NAME]
//
// --label NAME writes bench/results/scale-NAME.md and .json. Exit 1 when the last step's
// RSS (after sync or after the steady state) is above the issue-11 goal of 150 MiB.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { answer, makeCerts, measure, median, pinned, root, rssMiB, SERVER_CORE, startServer, writeBody } from './measure.js';
import { reviews } from './objects.js';

const RSS_GOAL_MIB = 150;

export async function main(argv) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      services: { type: 'string', default: '10000' },
      namespaces: { type: 'string', default: '100' },
      steps: { type: 'string' },
      steady: { type: 'string', default: '60' },
      seconds: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      churn: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '32' },
      label: { type: 'string' },
    },
  });
  const total = Number(o.services);
  const namespaces = Number(o.namespaces);
  const steps = (o.steps ?? '100,1000,10000').split(',').map(Number).filter((n) => n < total).concat(total);
  const opts = { steady: Number(o.steady), seconds: Number(o.seconds), rounds: Number(o.rounds), churn: Number(o.churn), concurrency: Number(o.concurrency) };
  if (!existsSync(join(root, 'dist/cli.js'))) throw new Error('dist/ is missing: run `npm run build` first');

  const { startControlPlane } = await import('../test/e2e/cluster.ts');
  const log = (m) => process.stderr.write(`scale: ${m}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'extguard-scale-'));
  const t = Date.now();
  const cp = await startControlPlane();
  log(`control plane up in ${Date.now() - t} ms`);
  const api = apiClient(cp, opts.concurrency);
  let previous;
  let floor;
  try {
    const certs = makeCerts(join(dir, 'certs'));
    // The floor (bench/floor.js) runs in the same rounds, so a busy machine shows as a ratio.
    floor = await startServer([join(root, 'bench/floor.js'), certs.cert, certs.key]);
    opts.floor = floor;
    const all = reviews();
    const body = { file: writeBody(dir, 'deployment', all.deployment), buffer: all.deployment };
    const nsNames = Array.from({ length: namespaces }, (_, i) => (i === 0 ? 'shop' : `team-${i}`));
    const nsCreate = await api.createAll(nsNames.map((name) => ({ path: '/api/v1/namespaces', object: namespaceObject(name) })));
    log(`${namespaces} namespaces created in ${nsCreate.ms} ms`);
    const catalog = services(total, nsNames);
    const results = [];
    let created = 0;
    for (const target of steps) {
      const batch = catalog.slice(created, target).map((s) => ({ path: `/api/v1/namespaces/${s.metadata.namespace}/services?fieldManager=kubectl-client-side-apply`, object: s }));
      const creation = await api.createAll(batch);
      created = target;
      log(`${target} Services: created ${batch.length} in ${creation.ms} ms (${Math.round(batch.length / (creation.ms / 1000))}/s)`);
      const step = { services: target, namespaces, create: { count: batch.length, ms: creation.ms } };
      if (previous) {
        // The server of the previous step watched this creation: its RSS once it has caught up.
        const lagMs = await caughtUp(previous, certs.ca, catalog[target - 1]);
        step.grownByWatch = { from: previous.services, lagMs, rssMiB: round1(rssMiB(previous.pid)) };
        await previous.stop();
        previous = undefined;
      }
      const hook = await startHook(cp.kubeconfigPath, certs);
      hook.services = target;
      previous = hook;
      Object.assign(step, await measureStep(hook, certs, body, opts, log));
      if (target === total && opts.churn > 0) {
        step.churn = await measureChurn(hook, certs, body, api, catalog.slice(3, target), opts);
        step.rebuild = await timeRebuild(api);
      }
      results.push(step);
      log(JSON.stringify(step));
    }
    await previous?.stop();
    previous = undefined;
    const report = { when: new Date().toISOString(), pinned, nodeOptions: process.env.NODE_OPTIONS ?? '', options: { ...opts, floor: undefined, total, namespaces, steps }, results };
    const md = markdown(report);
    process.stdout.write(md);
    if (o.label) {
      writeFileSync(join(root, `bench/results/scale-${o.label}.md`), md);
      writeFileSync(join(root, `bench/results/scale-${o.label}.json`), JSON.stringify(report, null, 2) + '\n');
    }
    const last = results.at(-1);
    return Math.max(last.rss.afterFirstMiB, last.rss.steadyMiB) <= RSS_GOAL_MIB ? 0 : 1;
  } finally {
    await previous?.stop();
    await floor?.stop();
    api.close();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the cluster's objects ----

function namespaceObject(name) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'extguard.io/mode': 'enforce', 'app.kubernetes.io/part-of': 'partners' } } };
}

/**
 * The Services, in creation order. The first three are the ones bench/objects.js's Deployment
 * injects or names (shop/external-db, shop/payments-api, and the declared host
 * partner-10.saas10.example.net), so its reviews are ordinary judged allows at every step.
 */
function services(count, nsNames) {
  const out = [
    service('shop', 'external-db', 'db.partner.example.com', 5432, { 'extguard.io/env-prefix': 'DB', 'extguard.io/secret': 'db-credentials', 'extguard.io/secret-keys': 'username=USER,password=PASSWORD' }),
    service('shop', 'payments-api', 'api.payments.example.com', 443, { 'extguard.io/secret': 'payments-api-key', 'extguard.io/secret-keys': 'token=API_KEY' }),
    service('shop', 'partner-10', 'partner-10.saas10.example.net', 443),
  ];
  for (let i = 3; i < count; i++) {
    const ns = nsNames[i % nsNames.length];
    const name = ns === 'shop' && i === 10 ? 'partner-10-b' : `partner-${i}`;
    // One in five carries credentials for injection, as a declared SaaS API would.
    const extguard = i % 5 === 0 ? { 'extguard.io/secret': `partner-${i}-credentials`, 'extguard.io/secret-keys': 'token=TOKEN' } : {};
    out.push(service(ns, name, `partner-${i}.saas${i % 37}.example.net`, 443 + (i % 3), extguard));
  }
  return out;
}

/** An ExternalName Service as `kubectl apply` of a chart's output leaves it. */
function service(namespace, name, externalName, port, extguard = {}) {
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'partners', 'app.kubernetes.io/managed-by': 'argocd' };
  const annotations = { ...extguard, 'partners.example.com/owner': `team-${namespace}`, 'partners.example.com/ticket': `NET-${1000 + name.length * 7}` };
  const spec = { type: 'ExternalName', externalName, ports: [{ name: 'https', port, protocol: 'TCP', targetPort: port }] };
  const applied = { apiVersion: 'v1', kind: 'Service', metadata: { annotations, labels, name, namespace }, spec };
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, namespace, labels, annotations: { ...annotations, 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) + '\n' } },
    spec,
  };
}

// ---- the API server, with the admin client certificate ----

function apiClient(cp, concurrency) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: cp.caCertPem, cert: cp.adminCertPem, key: cp.adminKeyPem });
  const { hostname, port } = new URL(cp.server);
  const call = (method, path, body, contentType = 'application/json') => new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request({ host: hostname, port, path, method, agent, headers: { accept: 'application/json', ...(data ? { 'content-type': contentType, 'content-length': data.length } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(data);
  });
  return {
    call,
    /** POSTs every object, `concurrency` at a time; 409 (already there) counts as done. */
    async createAll(items) {
      const start = Date.now();
      let next = 0;
      const one = async () => {
        while (next < items.length) {
          const { path, object } = items[next++];
          const r = await call('POST', path, object);
          if (r.status !== 201 && r.status !== 409) throw new Error(`POST ${path}: HTTP ${r.status} ${r.body.toString().slice(0, 300)}`);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, one));
      return { ms: Date.now() - start };
    },
    close: () => agent.destroy(),
  };
}

// ---- extguard ----

/**
 * `extguard serve --kubeconfig` on the server core, as bench/measure.js's startServer does,
 * keeping its log lines (with their pino times) for the sync figures.
 */
async function startHook(kubeconfig, certs) {
  const args = [join(root, 'bin/extguard.js'), 'serve', '--kubeconfig', kubeconfig, '--tls-cert', certs.cert, '--tls-key', certs.key, '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1'];
  const startedAt = Date.now();
  const child = pinned ? spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const exited = new Promise((r) => child.once('exit', r));
  const ports = await new Promise((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (text) => {
        let line;
        try { line = JSON.parse(text); } catch { line = { msg: text, time: Date.now() }; }
        lines.push(line);
        if (line.port && line.metricsPort) resolve({ port: line.port, metricsPort: line.metricsPort });
      });
    }
    child.once('exit', (code) => reject(new Error(`extguard exited (${code}) before listening: ${lines.map((l) => l.msg).join(' | ').slice(-2000)}`)));
  });
  return { pid: child.pid, ...ports, startedAt, lines, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

function get(port, path, caFile) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: readFileSync(caFile), servername: 'localhost' }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function metric(hook, name) {
  const text = await new Promise((resolve, reject) => {
    import('node:http').then(({ get: httpGet }) => httpGet({ host: '127.0.0.1', port: hook.metricsPort, path: '/metrics' }, (res) => {
      let s = '';
      res.on('data', (c) => { s += c; });
      res.on('end', () => resolve(s));
    }).on('error', reject));
  });
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** The review must be an ordinary judged allow (a mutate with its patch): anything else measures the wrong path. */
async function checkAnswer(port, endpoint, buffer, caFile) {
  const { status, body } = await answer(port, `/${endpoint}`, buffer, caFile);
  const response = JSON.parse(body).response ?? {};
  if (status !== 200 || response.allowed !== true || response.auditAnnotations?.judged === 'false' || (endpoint === 'mutate' && !response.patch)) {
    throw new Error(`deployment /${endpoint} is not an ordinary judged answer: HTTP ${status}, allowed ${response.allowed}, warnings ${JSON.stringify(response.warnings ?? [])}, status ${JSON.stringify(response.status ?? {})}`);
  }
}

async function measureStep(hook, certs, body, opts, log) {
  let readyMs;
  for (;;) {
    const r = await get(hook.port, '/readyz', certs.ca).catch(() => ({ status: 0 }));
    if (r.status === 200) { readyMs = Date.now() - hook.startedAt; break; }
    if (Date.now() - hook.startedAt > 300_000) throw new Error('extguard not ready after 300 s');
    await sleep(20);
  }
  // pino writes asynchronously: the log lines may arrive just after /readyz says 200.
  for (let i = 0; i < 100 && hook.lines.filter((l) => l.msg === 'cache synced').length < 2; i++) await sleep(20);
  const synced = Object.fromEntries(hook.lines.filter((l) => l.msg === 'cache synced').map((l) => [l.what, { ms: l.time - hook.startedAt, count: l.count }]));
  const atReady = rssMiB(hook.pid);
  for (const endpoint of ['validate', 'mutate']) await checkAnswer(hook.port, endpoint, body.buffer, certs.ca);
  const afterFirst = rssMiB(hook.pid);
  log(`  ready in ${readyMs} ms, RSS ${atReady.toFixed(1)} MiB at ready, ${afterFirst.toFixed(1)} MiB after the first reviews`);
  const cpu = await cpuPerRequest(hook, certs, body, opts);
  const afterLoad = rssMiB(hook.pid);
  // Steady state: light load, one review a second, alternating endpoints.
  const samples = [];
  const end = Date.now() + opts.steady * 1000;
  for (let i = 0; Date.now() < end; i++) {
    await checkAnswer(hook.port, i % 2 ? 'mutate' : 'validate', body.buffer, certs.ca);
    if (i % 5 === 0) samples.push(rssMiB(hook.pid));
    await sleep(1000);
  }
  const steady = rssMiB(hook.pid);
  const heapUsedMiB = (await metric(hook, 'extguard_nodejs_heap_size_used_bytes')) / 2 ** 20;
  const externalMiB = (await metric(hook, 'extguard_nodejs_external_memory_bytes')) / 2 ** 20;
  return {
    sync: { readyMs, ...synced },
    rss: { atReadyMiB: round1(atReady), afterFirstMiB: round1(afterFirst), afterLoadMiB: round1(afterLoad), steadyMiB: round1(steady), steadyMaxMiB: round1(Math.max(steady, ...samples)) },
    mainThread: { heapUsedMiB: round1(heapUsedMiB), externalMiB: round1(externalMiB) },
    cpu,
  };
}

async function cpuPerRequest(hook, certs, body, opts) {
  const run = (server, path, connections, seconds) => measure(server, { path, bodyFile: body.file, caFile: certs.ca, connections, seconds });
  for (const e of ['validate', 'mutate']) await run(hook, `/${e}?timeout=10s`, 16, 1); // warm-up
  await run(opts.floor, '/validate', 16, 1);
  const samples = { floor: [], validate: [], mutate: [], validate1: [], mutate1: [] };
  for (let r = 0; r < opts.rounds; r++) {
    samples.floor.push(await run(opts.floor, '/validate', 16, opts.seconds));
    for (const e of ['validate', 'mutate']) {
      samples[e].push(await run(hook, `/${e}?timeout=10s`, 16, opts.seconds));
      samples[`${e}1`].push(await run(hook, `/${e}?timeout=10s`, 1, opts.seconds));
    }
  }
  const sum = (xs) => ({ cpuUs: Math.round(median(xs.map((m) => m.cpuUs))), min: Math.round(Math.min(...xs.map((m) => m.cpuUs))), max: Math.round(Math.max(...xs.map((m) => m.cpuUs))), p50Us: median(xs.map((m) => m.p50Us)), p99Us: median(xs.map((m) => m.p99Us)) });
  const ratio = (e) => Number(median(samples[e].map((m, i) => samples.floor[i].cpuUs / m.cpuUs)).toFixed(2));
  return { floor: sum(samples.floor), validate: { ...sum(samples.validate), ratio: ratio('validate') }, mutate: { ...sum(samples.mutate), ratio: ratio('mutate') }, validateAt1: sum(samples.validate1), mutateAt1: sum(samples.mutate1) };
}

/**
 * Waits until a server that watched the creation knows the last Service created: a Pod in its
 * namespace that injects it is allowed (an unknown Service is denied in enforce mode).
 */
async function caughtUp(hook, caFile, last) {
  const { namespace, name } = last.metadata;
  const review = Buffer.from(JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: 'c0ffee00-0000-4000-8000-000000000001', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'probe', namespace, operation: 'CREATE', userInfo: { username: 'bench' },
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace, annotations: { 'extguard.io/inject': name } }, spec: { containers: [{ name: 'app', image: 'example.com/app:1' }] } },
      oldObject: null, dryRun: false,
    },
  }));
  const start = Date.now();
  for (;;) {
    const { body } = await answer(hook.port, '/mutate', review, caFile);
    if (JSON.parse(body).response?.allowed === true) return Date.now() - start;
    if (Date.now() - start > 300_000) throw new Error(`the running server never saw ${namespace}/${name}`);
    await sleep(100);
  }
}

/** CPU per request while `perSecond` Services change an extguard annotation each second. */
async function measureChurn(hook, certs, body, api, targets, opts) {
  let stop = false;
  let updates = 0;
  const churner = (async () => {
    for (let i = 0; !stop; i++) {
      const tick = Date.now();
      await Promise.all(Array.from({ length: opts.churn }, async (_, k) => {
        const s = targets[(i * opts.churn + k) * 7919 % targets.length];
        const r = await api.call('PATCH', `/api/v1/namespaces/${s.metadata.namespace}/services/${s.metadata.name}`, { metadata: { annotations: { 'extguard.io/env-prefix': `P${i}_${k}` } } }, 'application/merge-patch+json');
        if (r.status !== 200) throw new Error(`PATCH: HTTP ${r.status}`);
        updates++;
      }));
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
  })();
  const started = Date.now();
  try {
    const cpu = await cpuPerRequest(hook, certs, body, opts);
    return { perSecond: opts.churn, updates, seconds: Math.round((Date.now() - started) / 1000), rssMiB: round1(rssMiB(hook.pid)), cpu };
  } finally {
    stop = true;
    await churner;
  }
}

/**
 * The catalog rebuild, timed in this process on the Services the API server lists: what each
 * informer event costs the next request (records, index, the structured clone posted to each
 * judge worker, and the worker's own index).
 */
async function timeRebuild(api) {
  const { buildSnapshot, toServiceRecord, toNamespaceRecord } = await import('../dist/catalog/snapshot.js');
  const list = JSON.parse((await api.call('GET', '/api/v1/services')).body.toString()).items;
  const nsList = JSON.parse((await api.call('GET', '/api/v1/namespaces')).body.toString()).items;
  const times = { records: [], index: [], clone: [], workerIndex: [] };
  let bytes = 0;
  for (let r = 0; r < 7; r++) {
    let t = performance.now();
    const services = list.flatMap((o) => toServiceRecord(o) ?? []);
    const namespaces = nsList.flatMap((o) => toNamespaceRecord(o) ?? []);
    times.records.push(performance.now() - t);
    t = performance.now();
    const snapshot = buildSnapshot(services, namespaces);
    times.index.push(performance.now() - t);
    t = performance.now();
    const copy = structuredClone(snapshot.records());
    times.clone.push(performance.now() - t);
    t = performance.now();
    buildSnapshot(copy.services, copy.namespaces);
    times.workerIndex.push(performance.now() - t);
    bytes = JSON.stringify(copy).length;
  }
  const ms = (xs) => Number(median(xs).toFixed(2));
  return { services: list.length, recordsMs: ms(times.records), indexMs: ms(times.index), cloneMs: ms(times.clone), workerIndexMs: ms(times.workerIndex), recordsJsonBytes: bytes, listJsonBytes: JSON.stringify(list).length };
}

const round1 = (x) => Number(x.toFixed(1));
const cpuCell = (c) => `${c.cpuUs} (${c.min}–${c.max}) (${c.ratio})`;

function markdown({ options, results, pinned: isPinned, nodeOptions }) {
  const lines = [
    `${options.total} ExternalName Services over ${options.namespaces} namespaces, created through the API of a real kube-apiserver (test/e2e/cluster.ts), watched by \`extguard serve --kubeconfig\` (informers). A fresh server at each step.`,
    `Sync = process start to the first /readyz 200 (cache-synced log times in the JSON). RSS after sync = after the first /validate and /mutate (the catalog is indexed lazily and copied to each judge worker on the first review). Steady = after ${options.steady} s of one review a second.`,
    ...(nodeOptions ? [`NODE_OPTIONS=${nodeOptions} (every Node process of the bench, extguard included).`] : []),
    `CPU per request: the Deployment of bench/objects.js, median of ${options.rounds} rounds of ${options.seconds} s at 16 connections, (range), and its ratio to the floor (bench/floor.js) measured in the same rounds; p99 at 1 connection. ${isPinned ? 'Server pinned to core 0, load generator to core 1.' : 'NOT pinned.'}`,
    '',
    '| Services | created in | sync (ready) | RSS at ready | RSS after sync | RSS after steady | main heap used | floor µs/req | /validate µs/req (ratio) | /mutate µs/req (ratio) | p99 @1 validate / mutate | RSS of the previous step\'s server, grown by watch |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(`| ${r.services} | ${(r.create.ms / 1000).toFixed(1)} s (${r.create.count}) | ${(r.sync.readyMs / 1000).toFixed(2)} s | ${r.rss.atReadyMiB} MiB | ${r.rss.afterFirstMiB} MiB | ${r.rss.steadyMiB} MiB | ${r.mainThread.heapUsedMiB} MiB | ${r.cpu.floor.cpuUs} | ${cpuCell(r.cpu.validate)} | ${cpuCell(r.cpu.mutate)} | ${r.cpu.validateAt1.p99Us} / ${r.cpu.mutateAt1.p99Us} µs | ${r.grownByWatch ? `${r.grownByWatch.rssMiB} MiB (from ${r.grownByWatch.from})` : ''} |`);
  }
  const last = results.at(-1);
  if (last.churn) {
    const c = last.churn;
    lines.push('', `With ${c.perSecond} Service updates a second (an extguard annotation changed, ${c.updates} updates over ${c.seconds} s) at ${last.services} Services: floor ${c.cpu.floor.cpuUs} µs/req, /validate ${cpuCell(c.cpu.validate)} µs/req, /mutate ${cpuCell(c.cpu.mutate)} µs/req, p99 @1 ${c.cpu.validateAt1.p99Us} / ${c.cpu.mutateAt1.p99Us} µs, RSS ${c.rssMiB} MiB.`);
  }
  if (last.rebuild) {
    const b = last.rebuild;
    lines.push('', `Catalog rebuild at ${b.services} Services (in-process, median of 7): records ${b.recordsMs} ms, index ${b.indexMs} ms, structured clone to a worker ${b.cloneMs} ms, worker index ${b.workerIndexMs} ms. Records ${(b.recordsJsonBytes / 2 ** 20).toFixed(1)} MiB as JSON, the API server's list ${(b.listJsonBytes / 2 ** 20).toFixed(1)} MiB.`);
  }
  const worst = Math.max(last.rss.afterFirstMiB, last.rss.steadyMiB);
  lines.push('', `Goal: RSS ≤ ${RSS_GOAL_MIB} MiB at ${last.services} Services: ${worst <= RSS_GOAL_MIB ? 'PASS' : 'FAIL'} (${worst} MiB).`);
  return lines.join('\n') + '\n';
}
