// What `npm run bench` (and the scale bench) measure with: servers pinned to one core, the
// load generator (bench/load.js) pinned to the other, and the server's CPU time read from
// /proc before and after a run. CPU per request, not requests per second: on a 2-core machine
// requests/s mostly measures the load generator.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
/** The server's core and the load generator's. */
export const SERVER_CORE = '0';
export const LOAD_CORE = '1';
export const pinned = hasTaskset;

function pinnedSpawn(core, args, stdio) {
  return hasTaskset ? spawn('taskset', ['-c', core, process.execPath, ...args], { stdio }) : spawn(process.execPath, args, { stdio });
}

/** CPU seconds (user + system, every thread) a live process has used. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident set size of a live process, MiB. */
export function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Starts a Node server on the server core; resolves once it prints its port. */
export async function startServer(args, readyPattern = /"port":(\d+)/) {
  const child = pinnedSpawn(SERVER_CORE, args, ['ignore', 'pipe', 'pipe']);
  let out = '';
  const port = await new Promise((resolve, reject) => {
    const look = (c) => { out += c; const m = readyPattern.exec(out); if (m) resolve(Number(m[1])); };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${out.slice(-2000)}`)));
  });
  child.stdout.resume();
  child.stderr.resume();
  return { pid: child.pid, port, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

/** The bench's certificate pair and CA, made by `extguard certs`. */
export function makeCerts(dir) {
  const r = spawnSync(process.execPath, [join(root, 'bin/extguard.js'), 'certs', '--out-dir', dir, '--dns-name', 'localhost', '--ip', '127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`extguard certs failed: ${r.stderr}`);
  return { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key'), ca: join(dir, 'ca.crt') };
}

/** One POST to check what a server answers before measuring it. */
export async function answer(port, path, body, caFile) {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca: readFileSync(caFile), servername: 'localhost', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Drives `server` with `connections` for `seconds` and returns the server's CPU microseconds
 * per answered request, and the client-side latency percentiles.
 */
export async function measure(server, { path, bodyFile, caFile, connections, seconds }) {
  const before = cpuSeconds(server.pid);
  const load = pinnedSpawn(LOAD_CORE, [join(root, 'bench/load.js'), String(server.port), path, bodyFile, caFile, String(connections), String(seconds)], ['ignore', 'pipe', 'inherit']);
  let out = '';
  load.stdout.on('data', (c) => { out += c; });
  const code = await new Promise((r) => load.on('exit', r));
  const after = cpuSeconds(server.pid);
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}');
  if (code !== 0 || result.error) throw new Error(`load generator failed on ${path}: ${result.error ?? code}`);
  return { cpuUs: ((after - before) * 1e6) / result.requests, requests: result.requests, p50Us: result.p50Us, p99Us: result.p99Us };
}

export function writeBody(dir, name, buffer) {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, buffer);
  return file;
}

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
