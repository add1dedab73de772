// Memory under bursts of maximum-size reviews: 12 concurrent UPDATE reviews of ~5.8 MiB per
// burst against the built `extguard serve` (main heap --max-old-space-size=$HEAP, default 192),
// printing the answers and the process RSS after each burst. Env: ROUNDS (3), HEAP, INFLIGHT
// (--max-inflight-bytes). Run: node bench/memory-burst.mjs (Node 24: ./node_modules/node/bin/node).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'extguard-mem-'));
spawnSync(process.execPath, [`${root}/bin/extguard.js`, 'certs', '--out-dir', join(dir, 'c'), '--ip', '127.0.0.1', '--dns-name', 'localhost']);
const child = spawn(process.execPath, ['--max-old-space-size=' + (process.env.HEAP ?? '192'), `${root}/bin/extguard.js`, 'serve', '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', ...(process.env.INFLIGHT ? ['--max-inflight-bytes', process.env.INFLIGHT] : []), '--tls-cert', join(dir, 'c', 'tls.crt'), '--tls-key', join(dir, 'c', 'tls.key'), '--declarations', `${root}/examples/catalog.yaml`], { stdio: ['ignore', 'pipe', 'inherit'] });
let logs = '';
const port = await new Promise((r) => child.stdout.on('data', (c) => { logs += c; const m = /"port":(\d+)/.exec(logs); if (m) r(Number(m[1])); }));
const ca = readFileSync(join(dir, 'c', 'ca.crt'));
const env = Array.from({ length: 12000 }, (_, i) => ({ name: `V_${i}`, value: `https://h${i}.example.com/${'x'.repeat(200)}` }));
const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big', namespace: 'shop' }, spec: { template: { spec: { containers: [{ name: 'a', image: 'x', env }] } } } };
const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'UPDATE', namespace: 'shop', name: 'big', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: obj, oldObject: obj } });
console.log('body MiB', (body.length / 1048576).toFixed(2));
const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
console.log('idle RSS MiB', rss().toFixed(0));
const send = () => new Promise((res) => { const q = request({ host: '127.0.0.1', port, path: '/validate', method: 'POST', ca, servername: 'localhost', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (r) => { let b=''; r.on('data',(c)=>{ if (b.length<300) b+=c; }); r.on('end', () => res(r.statusCode === 200 ? '200 ' + (/"reason":"[^"]*"|"allowed":(true|false)/.exec(b)?.[0] ?? b.slice(0,80)) : r.statusCode)); }); q.on('error', (e) => res('err ' + e.code)); q.end(body); });
for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
  const codes = await Promise.all(Array.from({ length: 12 }, send));
  const count = {}; for (const c of codes) count[c] = (count[c] ?? 0) + 1;
  console.log('round', round, JSON.stringify(count), 'RSS', rss().toFixed(0), 'HWM', hwm().toFixed(0), 'alive', child.exitCode === null);
}
const mp = Number(/"metricsPort":(\d+)/.exec(logs)[1]);
const m = await fetch(`http://127.0.0.1:${mp}/metrics`).then((r) => r.text());
console.log(m.split('\n').filter((l) => /unjudged_total\{|restarts_total\{/.test(l)).join('\n'));
for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 2000)); console.log('after', (i + 1) * 2, 's RSS', rss().toFixed(0)); }
child.kill('SIGTERM');
