// Issue 24: SIGTERM to `npm start` (the README's quick start; also what a process manager or
// Ctrl-C in some terminals sends to npm alone) stops the server. npm passes the signal to its
// child only; `exec` in the script makes that child the server instead of a shell that dies
// and leaves the server running.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { delimiter, dirname, sep } from 'node:path';
import { root } from '../helpers/process.ts';

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('npm start', function () {
  this.timeout(60_000);

  it('SIGTERM to npm closes the webhook port and npm exits', async () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
    env.PATH = [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.split(sep).includes('node_modules'))].join(delimiter);
    const npm = spawn('npm', ['start', '--', '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let logs = '';
    npm.stdout!.on('data', (c: Buffer) => { logs += c.toString(); });
    npm.stderr!.on('data', (c: Buffer) => { logs += c.toString(); });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not listen: ${logs}`)), 45_000);
        npm.stdout!.on('data', () => {
          const m = /"port":(\d+)/.exec(logs);
          if (m) { clearTimeout(timer); resolve(Number(m[1])); }
        });
      });
      expect(await refusesConnections(port)).to.equal(false);
      npm.kill('SIGTERM');
      await exited;
      // The server's own shutdown log, and nothing listening afterwards.
      expect(logs).to.contain('"signal":"SIGTERM"');
      expect(await refusesConnections(port), `port ${port} still open after npm exited`).to.equal(true);
    } finally {
      // npm runs in a process group of its own: a server left behind (the bug) goes with it,
      // and cannot keep this test run alive through the pipes it holds.
      try { process.kill(-npm.pid!, 'SIGKILL'); } catch { /* the group is gone: nothing left running */ }
    }
  });
});
