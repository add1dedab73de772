// `npm run bench -- worst`: how the judge and the server behave on adversarial Deployments
// (bench/shapes.js). Per shape: the judge's time in a child process (killed at --cap), then one
// AdmissionReview through a fresh `extguard serve` while /healthz is polled every 10 ms on its
// own connection. Goal (issue 8): every review answered within 1 s, /healthz within 100 ms.
// Then the flood (issue 20): one tenant sends the 1.4 MB semicolon script from 6 connections
// while another user's one-container Pod is reviewed 30 times on its own connection; goal: no
// ordinary review refused. Then `extguard check` over the realistic examples and fixtures, so
// verdicts can be diffed.
//
// Options: --cap SECONDS (60), --out FILE (JSON results), --md FILE (the markdown table),
// --verdicts FILE (realistic verdicts), --root DIR (the extguard tree to measure: its dist/,
// bin/, examples/ and test/fixtures/; default this one), --only NAME,NAME (shapes whose name
// contains one of them; "flood" selects the flood), --skip-judge, --skip-server,
// --skip-realistic, --skip-flood, --flood-gap MS (pause between ordinary reviews, 200).

import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { FLOOD, floodText, ordinaryPod, shapes } from './shapes.js';

const HERE = fileURLToPath(import.meta.url);
const GOAL_REVIEW_MS = 1000;
const GOAL_HEALTH_MS = 100;
const HEALTH_EVERY_MS = 10;

// ---------------------------------------------------------------------------------------------
// In-process judge (child side). The only place that knows the shape of dist/: when internals
// move, adapt this function and nothing else.
async function loadJudge(root) {
  const dist = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
  const [{ judge, compilePolicy }, { parseConfig }, { catalogFromDocuments, readManifests }] = await Promise.all([
    dist('policy/judge.js'), dist('config/config.js'), dist('catalog/files.js'),
  ]);
  const configFile = join(root, 'examples/config.yaml');
  const policy = compilePolicy(parseConfig(readFileSync(configFile, 'utf8'), configFile));
  const catalog = catalogFromDocuments(readManifests([join(root, 'examples/catalog.yaml')]));
  return (object) => {
    try {
      const { verdict } = judge({ operation: 'CREATE', object, namespace: 'shop', dryRun: false }, catalog, policy);
      return { allowed: verdict.allowed, violations: verdict.violations.length, rules: [...new Set(verdict.violations.map((v) => v.rule))] };
    } catch (err) {
      // An expansion bomb: the judge declines it on purpose, and the webhook answers "too complex".
      if (err?.name === 'ExpansionLimitError') return { allowed: false, violations: 0, rules: ['too-complex'] };
      throw err;
    }
  };
}

async function judgeChild(root, file) {
  const judgeOne = await loadJudge(root);
  judgeOne(JSON.parse(readFileSync(join(root, 'test/fixtures/review-deployment-leaky.json'), 'utf8')).request.object); // warm-up
  let t = performance.now();
  const object = JSON.parse(readFileSync(file, 'utf8'));
  const parseMs = performance.now() - t;
  process.stdout.write('ready\n'); // the parent's cap starts now
  t = performance.now();
  const result = judgeOne(object);
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - t, parseMs, ...result })}\n`);
}

/** Runs the judge on one shape in a child process; kills it `capMs` after it is ready. */
function judgeInChild(root, file, capMs) {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [HERE, '--judge-child', root, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer;
    let killed = false;
    child.stdout.on('data', (c) => {
      out += c;
      if (!timer && out.includes('ready\n')) timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, capMs);
    });
    child.stderr.on('data', (c) => { err += c; });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (killed) resolveRun({ outcome: 'timeout', ms: capMs });
      else if (line) resolveRun({ outcome: 'done', ...JSON.parse(line) });
      else resolveRun({ outcome: 'error', error: lastLine(err) || `exit ${code ?? signal}` });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Through the server.

function startServer(root, certs) {
  const child = spawn(process.execPath, [
    join(root, 'bin/extguard.js'), 'serve', '--declarations', join(root, 'examples/catalog.yaml'), '--config', join(root, 'examples/config.yaml'),
    '--tls-cert', join(certs, 'tls.crt'), '--tls-key', join(certs, 'tls.key'), '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise((res) => child.on('exit', (code, signal) => res(code ?? signal)));
  const port = new Promise((res, rej) => {
    child.stdout.on('data', (c) => { log += c; const m = /"port":(\d+)/.exec(log); if (m) res(Number(m[1])); if (log.length > 1e6) log = log.slice(-1e5); });
    exited.then((how) => rej(new Error(`extguard serve exited (${how}) before listening: ${lastLine(log)}`)));
  });
  child.stderr.on('data', (c) => { log += c; });
  return { port, exited, log: () => log, kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); } };
}

/** One HTTPS request; resolves with status, body and milliseconds, or rejects after `timeoutMs`. */
function call(port, ca, agent, method, path, body, timeoutMs) {
  return new Promise((res, rej) => {
    const t = performance.now();
    const headers = body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {};
    const req = request({ host: '127.0.0.1', port, path, method, agent, ca, servername: 'localhost', headers }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, body: Buffer.concat(chunks).toString(), ms: performance.now() - t }));
      r.on('error', rej);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end(body);
  });
}

const DEPLOYMENTS = { kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' } };
const PODS = { kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' } };
const CONFIGMAPS = { kind: { group: '', version: 'v1', kind: 'ConfigMap' }, resource: { group: '', version: 'v1', resource: 'configmaps' } };
/** The review type of a shape's text: configmap-* shapes are ConfigMaps, the rest Deployments. */
const typeOf = (objectText) => (objectText.startsWith('{"apiVersion":"v1","kind":"ConfigMap"') ? CONFIGMAPS : DEPLOYMENTS);

/**
 * The AdmissionReview around an object given as JSON text (it may be too deep to re-stringify),
 * with the request's fields in the order kube-apiserver writes them (its struct order).
 */
function reviewText(uid, objectText, { name = 'worst', namespace = 'shop', username = 'attacker@example.com', type = DEPLOYMENTS } = {}) {
  const head = JSON.stringify({
    kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1',
    request: {
      uid, kind: type.kind, resource: type.resource, requestKind: type.kind, requestResource: type.resource,
      name, namespace, operation: 'CREATE',
      userInfo: { username, groups: ['system:authenticated'] },
      object: '__OBJECT__', oldObject: null, dryRun: false, options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
  return head.replace('"__OBJECT__"', () => objectText);
}

/** Polls /healthz on its own keep-alive connection until stop(); a request still in flight counts its age. */
function pollHealth(port, ca) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  let stopped = false;
  let inFlightSince;
  const loop = (async () => {
    while (!stopped) {
      inFlightSince = performance.now();
      try {
        const r = await call(port, ca, agent, 'GET', '/healthz', undefined, 600_000);
        latencies.push(r.ms);
      } catch { /* the server was killed: the age at stop() is the figure */ }
      inFlightSince = undefined;
      if (!stopped) await new Promise((r) => setTimeout(r, HEALTH_EVERY_MS));
    }
  })();
  return {
    warm: () => call(port, ca, agent, 'GET', '/healthz', undefined, 10_000),
    async stop(graceMs) {
      stopped = true;
      const age = inFlightSince === undefined ? 0 : performance.now() - inFlightSince;
      const late = await Promise.race([loop.then(() => false), new Promise((r) => setTimeout(() => r(true), graceMs))]);
      agent.destroy();
      const all = late && age ? [...latencies, age] : latencies;
      return { samples: all.length, maxMs: all.length ? Math.max(...all) : undefined, stalled: late };
    },
  };
}

async function waitReady(port, ca, agent) {
  for (let i = 0; i < 200; i++) {
    try { if ((await call(port, ca, agent, 'GET', '/readyz', undefined, 5000)).status === 200) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('extguard serve never became ready');
}

/** A started server made ready: one ordinary review judged (the workers warm), /healthz polled from now on. */
async function warmUp(server, root, ca) {
  const port = await server.port;
  const agent = new Agent({ keepAlive: false });
  await waitReady(port, ca, agent);
  await call(port, ca, agent, 'POST', '/validate?timeout=10s', readFileSync(join(root, 'test/fixtures/review-deployment-leaky.json')), 10_000);
  const health = pollHealth(port, ca);
  await health.warm();
  return { port, agent, health };
}

async function throughServer(root, certs, ca, objectText, capMs) {
  const server = startServer(root, certs);
  try {
    const { port, agent, health } = await warmUp(server, root, ca);
    const uid = `worst-${Date.now()}`;
    const body = reviewText(uid, objectText, { type: typeOf(objectText) });
    let answer;
    try {
      const r = await call(port, ca, agent, 'POST', '/validate?timeout=10s', body, capMs);
      answer = { outcome: 'answered', ms: r.ms, status: r.status, ...readAnswer(r.body, uid) };
    } catch (err) {
      const exit = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r(undefined), 200))]);
      answer = err.message === 'timeout' ? { outcome: 'timeout', ms: capMs } : { outcome: 'error', error: exit === undefined ? err.message : `server exited (${exit}): ${lastLine(server.log())}` };
    }
    const healthz = await health.stop(answer.outcome === 'answered' ? capMs : 0);
    return { review: answer, healthz };
  } finally {
    server.kill();
    await server.exited;
  }
}

function readAnswer(text, uid) {
  let body;
  try { body = JSON.parse(text); } catch { return { wellFormed: false, message: text.slice(0, 120) }; }
  const r = body?.response;
  const wellFormed = body?.apiVersion === 'admission.k8s.io/v1' && body?.kind === 'AdmissionReview' && r?.uid === uid && typeof r?.allowed === 'boolean';
  const message = String(r?.status?.message ?? body?.error ?? '').slice(0, 120);
  // Answered without a judgement (timeout, overloaded, crashed, too-complex): every mode but
  // off says so in its audit annotations.
  const unjudged = r?.auditAnnotations?.judged === 'false' ? String(r.auditAnnotations.reason) : undefined;
  return { wellFormed, uidEchoed: r?.uid === uid, allowed: r?.allowed, message, ...(unjudged ? { unjudged } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The flood (issue 20): one tenant's slow reviews must not spend another's deadline.

/**
 * Sends one review after another on one keep-alive connection until stop() or `count`. The body
 * is built once: each request writes a fresh uid (36 characters, like the API server's) over the
 * previous one, so the sender spends its time sending, not building megabytes of text.
 */
function sender(port, ca, { template, count = Infinity, gapMs = 0, capMs, onAnswer }) {
  const body = Buffer.from(template);
  const uidAt = body.indexOf(UID_SLOT);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const answers = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; i < count && !stopped; i++) {
      const uid = randomUUID();
      body.write(uid, uidAt, 'latin1');
      try {
        const r = await call(port, ca, agent, 'POST', '/validate?timeout=10s', body, capMs);
        answers.push({ ms: r.ms, status: r.status, ...readAnswer(r.body, uid) });
      } catch (err) {
        answers.push({ outcome: err.message === 'timeout' ? 'timeout' : 'error', error: err.message });
      }
      onAnswer?.();
      if (gapMs && !stopped) await new Promise((r) => setTimeout(r, gapMs));
    }
  })();
  return { answers, done: loop, async stop() { stopped = true; await loop; agent.destroy(); } };
}

const UID_SLOT = '#'.repeat(36);

/**
 * The flooding tenant, on a thread of its own: building and encrypting megabytes a second on
 * the thread that polls /healthz and sends the ordinary reviews would time the bench, not the
 * server. Posts 'flowing' after the first answer, and its answers when told to stop.
 */
async function floodThread({ port, ca, capMs }) {
  const template = reviewText(UID_SLOT, floodText(), { name: 'worst', namespace: FLOOD.tenant.namespace, username: FLOOD.tenant.username });
  let flowing = false;
  const onAnswer = () => { if (!flowing) { flowing = true; parentPort.postMessage({ type: 'flowing' }); } };
  const senders = Array.from({ length: FLOOD.connections }, () => sender(port, ca, { template, capMs, onAnswer }));
  parentPort.once('message', async () => {
    await Promise.all(senders.map((f) => f.stop()));
    parentPort.postMessage({ type: 'answers', answers: senders.flatMap((f) => f.answers) });
  });
}

function startFlood(port, ca, capMs) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { flood: { port, ca: ca.toString(), capMs } } });
  const failed = new Promise((_, rej) => { worker.once('error', rej); });
  failed.catch(() => {});
  const flowing = new Promise((res) => worker.on('message', (m) => { if (m.type === 'flowing') res(); }));
  return {
    flowing: Promise.race([flowing, failed]),
    async stop() {
      const answers = new Promise((res) => worker.on('message', (m) => { if (m.type === 'answers') res(m.answers); }));
      worker.postMessage('stop');
      try { return await Promise.race([answers, failed]); } finally { await worker.terminate(); }
    },
  };
}

/** What one answer was: judged (allowed/denied), answered without a judgement (its reason), or no answer. */
function outcomeOf(a) {
  if (a.outcome === 'timeout') return 'no answer (client timeout)';
  if (a.outcome === 'error') return 'error';
  if (!a.wellFormed) return `error (HTTP ${a.status})`;
  if (a.unjudged) return `unjudged: ${a.unjudged}`;
  return a.allowed ? 'judged: allowed' : 'judged: denied';
}

function latency(answers) {
  const ms = answers.filter((a) => a.ms !== undefined).map((a) => a.ms).sort((x, y) => x - y);
  return ms.length ? { p50: ms[Math.floor((ms.length - 1) / 2)], max: ms.at(-1) } : {};
}

function tally(answers) {
  const out = {};
  for (const a of answers) out[outcomeOf(a)] = (out[outcomeOf(a)] ?? 0) + 1;
  return out;
}

async function flood(root, certs, ca, { capMs, gapMs }) {
  const server = startServer(root, certs);
  try {
    const { port, health } = await warmUp(server, root, ca);
    const t0 = performance.now();
    const flooding = startFlood(port, ca, capMs);
    // The ordinary reviews start once the flood is in full swing: its first answer is back, so
    // every worker has had a flood review and the queue holds the rest.
    await Promise.race([flooding.flowing, new Promise((r) => setTimeout(r, capMs))]);
    const ordinary = sender(port, ca, {
      template: reviewText(UID_SLOT, JSON.stringify(ordinaryPod()), { name: 'web', namespace: FLOOD.ordinary.namespace, username: FLOOD.ordinary.username, type: PODS }),
      count: FLOOD.ordinary.count, gapMs, capMs,
    });
    await ordinary.done;
    const floodAnswers = await flooding.stop();
    const seconds = (performance.now() - t0) / 1000;
    const healthz = await health.stop(capMs);
    return {
      seconds,
      ordinary: {
        sent: ordinary.answers.length, refused: ordinary.answers.filter((a) => !/^judged/.test(outcomeOf(a))).length, outcomes: tally(ordinary.answers), ...latency(ordinary.answers),
        ms: ordinary.answers.map((a) => (a.ms === undefined ? null : Math.round(a.ms))),
      },
      flood: { sent: floodAnswers.length, outcomes: tally(floodAnswers), ...latency(floodAnswers) },
      healthz,
    };
  } finally {
    server.kill();
    await server.exited;
  }
}

function floodGoal(f) {
  return f.ordinary.sent === FLOOD.ordinary.count && f.ordinary.refused === 0 ? 'PASS' : 'FAIL';
}

function floodMarkdown(f, gapMs) {
  if (f.error) return `Flood: error: ${f.error}\n\nGoal: no ordinary review refused: **FAIL**`;
  const outcomes = (o) => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `Flood: ${FLOOD.shape} (${FLOOD.tenant.namespace}, user ${FLOOD.tenant.username}) from ${FLOOD.connections} connections, while a one-container Pod (${FLOOD.ordinary.namespace}, user ${FLOOD.ordinary.username}) is reviewed ${FLOOD.ordinary.count} times on its own connection, ${gapMs} ms apart; ${f.seconds.toFixed(1)} s.`,
    `Goal: no ordinary review refused: **${f.goal}**.`,
    '',
    '| who | reviews | outcomes | p50 | max |',
    '| --- | --- | --- | --- | --- |',
    `| ordinary (${FLOOD.ordinary.namespace}) | ${f.ordinary.sent} | ${outcomes(f.ordinary.outcomes)} | ${f.ordinary.p50 === undefined ? '-' : fmtMs(f.ordinary.p50)} | ${f.ordinary.max === undefined ? '-' : fmtMs(f.ordinary.max)} |`,
    `| flood (${FLOOD.tenant.namespace}) | ${f.flood.sent} | ${outcomes(f.flood.outcomes)} | ${f.flood.p50 === undefined ? '-' : fmtMs(f.flood.p50)} | ${f.flood.max === undefined ? '-' : fmtMs(f.flood.max)} |`,
    '',
    `/healthz max ${f.healthz.maxMs === undefined ? '-' : (f.healthz.stalled ? '>' : '') + fmtMs(f.healthz.maxMs)} (${f.healthz.samples} samples).`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Realistic objects: examples/workloads and the fixtures' request.object, judged by `check`.

function realistic(root, dir) {
  const inputs = [];
  const workloads = join(root, 'examples/workloads');
  for (const f of readdirSync(workloads).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()) inputs.push([`examples/workloads/${f}`, join(workloads, f)]);
  const fixtureDir = join(root, 'test/fixtures');
  for (const f of readdirSync(fixtureDir).filter((f) => f.startsWith('review-') && f.endsWith('.json')).sort()) {
    const req = JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')).request;
    if (!req?.object) continue;
    // `check` judges an object without metadata.namespace in "default"; the review said where.
    const object = { ...req.object, metadata: { ...req.object.metadata, namespace: req.object.metadata?.namespace ?? req.namespace } };
    const file = join(dir, f);
    writeFileSync(file, JSON.stringify(object));
    inputs.push([`test/fixtures/${f} .request.object`, file]);
  }
  return inputs.flatMap(([source, file]) => {
    let stdout;
    try {
      stdout = execFileSync(process.execPath, [join(root, 'bin/extguard.js'), 'check', '--format', 'json', '--declarations', join(root, 'examples/catalog.yaml'),
        '--config', join(root, 'examples/config.yaml'), file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    } catch (err) {
      if (err.status !== 1) throw err; // 1: something was denied, which some examples mean to show
      stdout = err.stdout;
    }
    return JSON.parse(stdout).results.map((r) => ({
      source, object: `${r.kind} ${r.namespace}/${r.name}`, mode: r.mode, allowed: r.allowed,
      violations: r.violations.map((v) => `${v.rule} ${v.path}`),
    }));
  });
}

// ---------------------------------------------------------------------------------------------
// Report.

const fmtMs = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const fmtBytes = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(0)} KiB`);
const lastLine = (s) => s.trim().split('\n').at(-1)?.slice(0, 300) ?? '';

function verdictOf(review) {
  if (!review) return 'skipped';
  if (review.outcome === 'timeout') return 'timeout (no answer)';
  if (review.outcome === 'error') return 'error';
  if (!review.wellFormed) return `error (HTTP ${review.status})`;
  // The deadline answer (issue 8) says so on its first line; later lines list violations.
  if (/too complex to judge: its \$\(VAR\)/.test(review.message.split('\n')[0])) return 'declined-bomb';
  if (review.unjudged === 'crashed') return 'crashed-answer';
  if (review.unjudged === 'overloaded') return 'overloaded-answer';
  if (/too large|too complex|deadline|timed? ?out/i.test(review.message.split('\n')[0])) return 'timeout-answer';
  return review.allowed ? 'allowed' : 'denied';
}

function row(r, capS) {
  const judgeCell = !r.judge ? 'skipped' : r.judge.outcome === 'timeout' ? `>${capS} s` : r.judge.outcome === 'error' ? `error: ${r.judge.error.slice(0, 60)}` : fmtMs(r.judge.ms);
  const rv = r.server?.review;
  const reviewCell = !rv ? 'skipped' : rv.outcome === 'timeout' ? `>${capS} s` : rv.outcome === 'error' ? 'no answer' : fmtMs(rv.ms);
  const h = r.server?.healthz;
  const healthCell = !h ? 'skipped' : `${h.maxMs === undefined ? '-' : (h.stalled ? '>' : '') + fmtMs(h.maxMs)} (${h.samples})`;
  return `| ${r.name} | ${fmtBytes(r.bytes)} | ${judgeCell} | ${reviewCell} | ${verdictOf(rv)} | ${healthCell} | ${r.goal ?? '-'} |`;
}

function markdown(results, meta) {
  const lines = [
    `Worst-case shapes, cap ${meta.cap} s, ${meta.root}${meta.commit ? ` @ ${meta.commit.slice(0, 12)}` : ''}, Node ${meta.node}, ${meta.date}.`,
    `Goal: every review answered within ${GOAL_REVIEW_MS / 1000} s, /healthz within ${GOAL_HEALTH_MS} ms throughout.`,
    '',
    '| shape | object | judge (in-process) | review answer | verdict | /healthz max (samples) | goal |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => row(r, meta.cap)),
    '',
    'Review messages (first 120 characters):',
    '',
    ...results.filter((r) => r.server?.review?.message || r.server?.review?.error).map((r) => `- ${r.name}: ${(r.server.review.message || r.server.review.error).replace(/\s*\n\s*/g, ' ⏎ ')}`),
  ];
  return lines.join('\n');
}

function goal(server) {
  if (!server) return undefined;
  const ok = server.review.outcome === 'answered' && server.review.wellFormed && server.review.ms <= GOAL_REVIEW_MS
    && server.healthz.maxMs !== undefined && !server.healthz.stalled && server.healthz.maxMs <= GOAL_HEALTH_MS;
  return ok ? 'PASS' : 'FAIL';
}

// ---------------------------------------------------------------------------------------------

export async function main(argv) {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      cap: { type: 'string', default: '60' }, out: { type: 'string' }, md: { type: 'string' }, verdicts: { type: 'string' },
      root: { type: 'string' }, only: { type: 'string' },
      'skip-judge': { type: 'boolean' }, 'skip-server': { type: 'boolean' }, 'skip-realistic': { type: 'boolean' },
      'skip-flood': { type: 'boolean' }, 'flood-gap': { type: 'string', default: '200' },
    },
  });
  const gapMs = Number(o['flood-gap']);
  if (!(gapMs >= 0)) throw new Error(`--flood-gap must be a number of milliseconds, not ${o['flood-gap']}`);
  const cap = Number(o.cap);
  if (!(cap > 0)) throw new Error(`--cap must be a positive number of seconds, not ${o.cap}`);
  const root = resolve(o.root ?? join(dirname(HERE), '..'));
  let commit;
  try { commit = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { /* not a git tree */ }
  const meta = { root, commit, cap, node: process.versions.node, date: new Date().toISOString() };
  const only = o.only?.split(',').filter(Boolean);
  const selected = shapes().filter((s) => !only || only.some((n) => s.name.includes(n)));
  const withFlood = !o['skip-flood'] && (!only || only.some((n) => FLOOD.name.includes(n)));

  const dir = mkdtempSync(join(tmpdir(), 'extguard-worst-'));
  try {
    const certs = join(dir, 'certs');
    execFileSync(process.execPath, [join(root, 'bin/extguard.js'), 'certs', '--out-dir', certs, '--dns-name', 'localhost', '--ip', '127.0.0.1'], { stdio: 'ignore' });
    const ca = readFileSync(join(certs, 'ca.crt'));
    const results = [];
    for (const s of selected) {
      const text = s.text();
      const file = join(dir, 'object.json');
      writeFileSync(file, text);
      const r = { name: s.name, what: s.what, bytes: Buffer.byteLength(text) };
      process.stderr.write(`${s.name} (${fmtBytes(r.bytes)}): judge...`);
      if (!o['skip-judge']) r.judge = await judgeInChild(root, file, cap * 1000);
      process.stderr.write(' server...');
      if (!o['skip-server']) {
        try { r.server = await throughServer(root, certs, ca, text, cap * 1000); } catch (err) { r.server = { review: { outcome: 'error', error: err.message }, healthz: { samples: 0, stalled: false } }; }
      }
      r.goal = goal(r.server);
      process.stderr.write(` ${r.goal ?? ''}\n`);
      results.push(r);
    }
    let text = markdown(results, meta);
    const out = { ...meta, goal: { reviewMs: GOAL_REVIEW_MS, healthzMs: GOAL_HEALTH_MS }, shapes: results };
    if (withFlood) {
      process.stderr.write(`flood (${FLOOD.connections} x ${FLOOD.shape}, ${FLOOD.ordinary.count} ordinary reviews)...`);
      try { out.flood = await flood(root, certs, ca, { capMs: cap * 1000, gapMs }); } catch (err) { out.flood = { error: err.message }; }
      out.flood.goal = out.flood.error ? 'FAIL' : floodGoal(out.flood);
      process.stderr.write(` ${out.flood.goal}\n`);
      text += `\n\n${floodMarkdown(out.flood, gapMs)}`;
    }
    if (!o['skip-realistic']) {
      out.realistic = realistic(root, dir);
      text += '\n\nRealistic objects (`extguard check`):\n\n';
      text += out.realistic.map((v) => `- ${v.source}: ${v.object} (${v.mode}): ${v.allowed ? 'allowed' : 'denied'}${v.violations.length ? `; ${v.violations.join(', ')}` : ''}`).join('\n');
      if (o.verdicts) writeFileSync(o.verdicts, `${JSON.stringify(out.realistic, null, 2)}\n`);
    }
    console.log(text);
    if (o.out) writeFileSync(o.out, `${JSON.stringify(out, null, 2)}\n`);
    if (o.md) writeFileSync(o.md, `${text}\n`);
    return results.some((r) => r.goal === 'FAIL') || out.flood?.goal === 'FAIL' ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!isMainThread && workerData?.flood) {
  await floodThread(workerData.flood);
} else if (process.argv[1] === HERE && process.argv[2] === '--judge-child') {
  await judgeChild(process.argv[3], process.argv[4]);
} else if (process.argv[1] === HERE) {
  process.exitCode = await main(process.argv.slice(2));
}

