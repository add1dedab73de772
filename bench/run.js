// `npm run bench`: requests per second of `extguard serve` on /validate against a bare
// node:https server that parses the same body and answers a fixed AdmissionReview (the floor).
// Timing goals live here, never in unit tests. Usage: npm run bench [-- seconds concurrency]
// `npm run bench -- worst [options]` runs the adversarial shapes instead (bench/worst.js).
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.argv[2] === 'worst') {
  const { main } = await import('./worst.js');
  process.exit(await main(process.argv.slice(3)));
}

const root = fileURLToPath(new URL('..', import.meta.url));
const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 32);
const dir = mkdtempSync(join(tmpdir(), 'extguard-bench-'));
const body = readFileSync(join(root, 'test/fixtures/review-pod-create-inject.json'));

function load(port, ca) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca, servername: 'localhost' });
  let done = 0;
  const end = Date.now() + seconds * 1000;
  const one = () => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/validate?timeout=10s', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const worker = async () => { while (Date.now() < end) { await one(); done++; } };
  return Promise.all(Array.from({ length: concurrency }, worker)).then(() => { agent.destroy(); return done / seconds; });
}

const certs = join(dir, 'certs');
await new Promise((res, rej) => spawn(process.execPath, [join(root, 'bin/extguard.js'), 'certs', '--out-dir', certs, '--dns-name', 'localhost', '--ip', '127.0.0.1'], { stdio: 'ignore' }).on('exit', (c) => (c === 0 ? res() : rej(new Error('certs failed')))));
const ca = readFileSync(join(certs, 'ca.crt'));

// The floor, in its own process like extguard (the load generator must not share its core):
// TLS + read + JSON.parse + JSON.stringify, nothing else.
const floorSource = `
  const { createServer } = require('node:https');
  const { readFileSync } = require('node:fs');
  const s = createServer({ cert: readFileSync(process.argv[1]), key: readFileSync(process.argv[2]) }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r = JSON.parse(Buffer.concat(chunks).toString());
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: r.request.uid, allowed: true } }));
    });
  });
  s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: s.address().port })));`;
async function startProcess(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (c) => { out += c; const m = /"port":(\d+)/.exec(out); if (m) resolve(Number(m[1])); });
  });
  child.stdout.resume();
  return { port, stop: () => child.kill('SIGTERM') };
}
const floor = await startProcess(['-e', floorSource, join(certs, 'tls.crt'), join(certs, 'tls.key')]);
const floorRps = await load(floor.port, ca);
floor.stop();

const hook = await startProcess([join(root, 'bin/extguard.js'), 'serve', '--declarations', join(root, 'examples/catalog.yaml'), '--tls-cert', join(certs, 'tls.crt'), '--tls-key', join(certs, 'tls.key'), '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1']);
const rps = await load(hook.port, ca);
hook.stop();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ seconds, concurrency, floorRps: Math.round(floorRps), extguardRps: Math.round(rps), ratio: Number((rps / floorRps).toFixed(2)) }));
