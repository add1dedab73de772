// `npm run bench -- idle`: the resident memory of an idle replica, the issue-25 goal of
// 100 MiB. `extguard serve` with the example catalog and config (what `npm start` runs),
// one /validate and one /mutate (the catalog reaches the judge workers on the first review),
// then --wait seconds of nothing; RSS of the whole process (main thread and judge workers).
//
//   npm run build && npm run bench -- idle [--wait 10 --judge-workers N --root DIR]
//
// Exit 1 when RSS at the end is above the goal. Memory, not time: a shared machine changes
// these figures far less than the CPU ones.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { answer, makeCerts, root, rssMiB, startServer } from './measure.js';
import { reviews } from './objects.js';

const IDLE_GOAL_MIB = 100;

export async function main(argv) {
  const { values: o } = parseArgs({
    args: argv,
    options: { wait: { type: 'string', default: '10' }, 'judge-workers': { type: 'string' }, root: { type: 'string' } },
  });
  const serveRoot = o.root ?? root;
  const dir = mkdtempSync(join(tmpdir(), 'extguard-idle-'));
  const certs = makeCerts(join(dir, 'certs'));
  const args = [join(serveRoot, 'bin/extguard.js'), 'serve', '--declarations', join(serveRoot, 'examples/catalog.yaml'), '--config', join(serveRoot, 'examples/config.yaml'),
    '--tls-cert', certs.cert, '--tls-key', certs.key, '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1'];
  if (o['judge-workers']) args.push('--judge-workers', o['judge-workers']);
  const hook = await startServer(args);
  try {
    const atListen = rssMiB(hook.pid);
    const pod = reviews().pod;
    for (const endpoint of ['validate', 'mutate']) {
      const { status } = await answer(hook.port, `/${endpoint}`, pod, certs.ca);
      if (status !== 200) throw new Error(`/${endpoint} answered HTTP ${status}`);
    }
    const afterFirst = rssMiB(hook.pid);
    await sleep(Number(o.wait) * 1000);
    const idle = rssMiB(hook.pid);
    const threads = /Threads:\s+(\d+)/.exec((await import('node:fs')).readFileSync(`/proc/${hook.pid}/status`, 'utf8'))?.[1];
    const line = `idle RSS: ${atListen.toFixed(1)} MiB listening, ${afterFirst.toFixed(1)} MiB after the first reviews, ${idle.toFixed(1)} MiB after ${o.wait} s (${threads} threads)`;
    const pass = idle <= IDLE_GOAL_MIB;
    process.stdout.write(`${line}\nGoal: idle RSS ≤ ${IDLE_GOAL_MIB} MiB: ${pass ? 'PASS' : 'FAIL'}\n`);
    return pass ? 0 : 1;
  } finally {
    await hook.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
