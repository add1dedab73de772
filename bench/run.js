// `npm run bench`: extguard's CPU per admission request against a floor run in the same
// invocation (bench/floor.js: TLS + JSON.parse + a fixed answer), for the objects of
// bench/objects.js on /validate and /mutate. Servers run pinned to one core, the load
// generator on the other; floor and extguard alternate for --rounds rounds and the table
// gives the median and the range. Latency p50/p99 at 1 and 16 connections, client side.
// Timing goals live here, never in unit tests.
//
//   npm run bench [-- --seconds 2 --rounds 5 --objects pod,deployment,statefulset --label NAME]
//   npm run bench -- worst [options]     adversarial shapes (bench/worst.js)
//   npm run bench -- scale [options]     10k declarations through real informers (bench/scale.js)
//   npm run bench -- idle [options]      an idle replica's RSS (bench/idle.js)
//
// --label NAME writes bench/results/perf-NAME.md and .json; --root DIR measures the built
// dist/ of another checkout (the floor and the load generator stay this one's).
// --judge-workers N: serve's own default is one worker on one core, and the server runs pinned
// to one core here, so this is how to measure two.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { catalogYaml, endpointsOf, reviews } from './objects.js';
import { answer, makeCerts, measure, median, pinned, root, startServer, writeBody } from './measure.js';

if (process.argv[2] === 'worst') {
  const { main } = await import('./worst.js');
  process.exit(await main(process.argv.slice(3)));
}
if (process.argv[2] === 'idle') {
  const { main } = await import('./idle.js');
  process.exit(await main(process.argv.slice(3)));
}
if (process.argv[2] === 'scale') {
  const { main } = await import('./scale.js');
  process.exit(await main(process.argv.slice(3)));
}

const { values: o } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    objects: { type: 'string', default: 'pod,deployment,statefulset,configmap-properties,configmap-json' },
    services: { type: 'string', default: '200' },
    label: { type: 'string' },
    root: { type: 'string' },
    'judge-workers': { type: 'string' },
  },
});
const seconds = Number(o.seconds);
const rounds = Number(o.rounds);
const objects = o.objects.split(',');

/** The issue-11 goals: CPU ratio to the floor (higher is better) and p99 at 1 connection. */
const GOALS = { 'pod/validate': 0.75, 'deployment/validate': 0.6, 'deployment/mutate': 0.5 };
const P99_GOAL_US = 2000;

const dir = mkdtempSync(join(tmpdir(), 'extguard-bench-'));
const certs = makeCerts(join(dir, 'certs'));
const catalogFile = join(dir, 'catalog.yaml');
writeFileSync(catalogFile, catalogYaml(Number(o.services)));
const all = reviews();
const bodies = Object.fromEntries(objects.map((name) => {
  if (!all[name]) throw new Error(`unknown object ${name}; known: ${Object.keys(all).join(', ')}`);
  return [name, { file: writeBody(dir, name, all[name]), bytes: all[name].length }];
}));

const floor = await startServer([join(root, 'bench/floor.js'), certs.cert, certs.key]);
// --root: measure another checkout's build (e.g. main before a change) with this bench.
const extguardRoot = o.root ?? root;
const hook = await startServer([join(extguardRoot, 'bin/extguard.js'), 'serve', '--declarations', catalogFile, '--tls-cert', certs.cert, '--tls-key', certs.key, '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', ...(o['judge-workers'] ? ['--judge-workers', o['judge-workers']] : [])]);
const stopAll = async () => { await Promise.all([floor.stop(), hook.stop()]); rmSync(dir, { recursive: true, force: true }); };

try {
  // What each endpoint answers, checked once: a benchmark of denials or "not judged" answers
  // would measure the wrong path.
  for (const name of objects) {
    for (const endpoint of endpointsOf(name)) {
      const { status, body } = await answer(hook.port, `/${endpoint}`, all[name], certs.ca);
      const response = JSON.parse(body).response ?? {};
      if (status !== 200 || response.allowed !== true || response.auditAnnotations?.judged === 'false' || (endpoint === 'mutate' && !response.patch)) {
        throw new Error(`${name} /${endpoint} is not an ordinary judged answer: HTTP ${status}, allowed ${response.allowed}, warnings ${JSON.stringify(response.warnings ?? [])}`);
      }
    }
  }
  const runs = [
    { server: 'floor', s: floor, path: '/validate' },
    { server: 'validate', s: hook, path: '/validate?timeout=10s' },
    { server: 'mutate', s: hook, path: '/mutate?timeout=10s' },
  ];
  // Warm-up: JIT, TLS sessions, worker threads.
  const runsOf = (name) => runs.filter((r) => r.server === 'floor' || endpointsOf(name).includes(r.server));
  for (const name of objects) for (const r of runsOf(name)) await measure(r.s, { path: r.path, bodyFile: bodies[name].file, caFile: certs.ca, connections: 16, seconds: 1 });

  const samples = {};
  for (let round = 1; round <= rounds; round++) {
    for (const name of objects) {
      for (const connections of [16, 1]) {
        for (const r of runsOf(name)) {
          const m = await measure(r.s, { path: r.path, bodyFile: bodies[name].file, caFile: certs.ca, connections, seconds });
          (samples[`${name}/${r.server}/${connections}`] ??= []).push(m);
        }
      }
    }
    process.stderr.write(`round ${round}/${rounds} done\n`);
  }
  const result = summarise(samples);
  const md = markdown(result);
  process.stdout.write(md);
  if (o.label) {
    writeFileSync(join(root, `bench/results/perf-${o.label}.md`), md);
    writeFileSync(join(root, `bench/results/perf-${o.label}.json`), JSON.stringify({ seconds, rounds, pinned, measured: o.root ?? '.', samples, result }, null, 2) + '\n');
  }
  await stopAll();
  process.exit(result.rows.every((r) => r.pass !== false) ? 0 : 1);
} catch (err) {
  await stopAll();
  throw err;
}

function summarise(samples) {
  const rows = [];
  for (const name of objects) {
    const floor16 = samples[`${name}/floor/16`];
    for (const endpoint of endpointsOf(name)) {
      const ext16 = samples[`${name}/${endpoint}/16`];
      const ext1 = samples[`${name}/${endpoint}/1`];
      const ratios = ext16.map((m, i) => floor16[i].cpuUs / m.cpuUs);
      const goal = GOALS[`${name}/${endpoint}`];
      const p99At1 = median(ext1.map((m) => m.p99Us));
      const ratio = median(ratios);
      rows.push({
        object: name, bytes: bodies[name].bytes, endpoint,
        floorUs: spread(floor16.map((m) => m.cpuUs)),
        extguardUs: spread(ext16.map((m) => m.cpuUs)),
        ratio: spread(ratios, 2),
        at1: { p50Us: median(ext1.map((m) => m.p50Us)), p99Us: p99At1 },
        at16: { p50Us: median(ext16.map((m) => m.p50Us)), p99Us: median(ext16.map((m) => m.p99Us)) },
        floorAt1: { p50Us: median(samples[`${name}/floor/1`].map((m) => m.p50Us)), p99Us: median(samples[`${name}/floor/1`].map((m) => m.p99Us)) },
        ...(goal !== undefined ? { goal, pass: ratio >= goal && (name === 'statefulset' || p99At1 <= P99_GOAL_US) } : {}),
      });
    }
  }
  return { rows };
}

function spread(xs, digits = 0) {
  const f = (x) => Number(x.toFixed(digits));
  return { median: f(median(xs)), min: f(Math.min(...xs)), max: f(Math.max(...xs)) };
}

function markdown({ rows }) {
  const range = (s) => `${s.median} (${s.min}–${s.max})`;
  const lines = [
    `Server CPU per request (µs, user+system of every thread, from /proc), median of ${rounds} alternating rounds of ${seconds} s at 16 connections, (range).`,
    `Ratio = floor CPU / extguard CPU per request (1.00 = as cheap as the floor). Latency: client side, median of the rounds' p50 and p99.`,
    pinned ? 'Servers pinned to core 0, load generator to core 1 (taskset).' : 'taskset not found: NOT pinned, figures are noisy.',
    '',
    '| object | endpoint | floor µs/req | extguard µs/req | ratio to floor | goal | p50 / p99 @1 conn | p50 / p99 @16 conns | floor p50 / p99 @1 |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const goal = r.goal === undefined ? '' : `≥ ${r.goal}${r.object === 'statefulset' ? '' : `, p99@1 ≤ ${P99_GOAL_US} µs`}: ${r.pass ? 'PASS' : 'FAIL'}`;
    lines.push(`| ${r.object} (${(r.bytes / 1024).toFixed(1)} KiB) | /${r.endpoint} | ${range(r.floorUs)} | ${range(r.extguardUs)} | ${range(r.ratio)} | ${goal} | ${r.at1.p50Us} / ${r.at1.p99Us} | ${r.at16.p50Us} / ${r.at16.p99Us} | ${r.floorAt1.p50Us} / ${r.floorAt1.p99Us} |`);
  }
  return lines.join('\n') + '\n';
}
