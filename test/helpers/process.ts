// Runs the built `extguard serve` as a child process, the way a container runs it, and
// waits for the log line that carries the port it bound.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const bin = join(root, 'bin', 'extguard.js');

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  logs(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startServeProcess(args: string[], opts: { timeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (c: Buffer) => { logs += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { logs += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`extguard serve did not start: ${logs}`)), opts.timeoutMs ?? 30_000);
    const onData = (): void => {
      const m = /"port":(\d+)/.exec(logs);
      if (m) { clearTimeout(timer); child.stdout!.off('data', onData); resolve(Number(m[1])); }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`extguard serve exited ${code}: ${logs}`)); });
  });
  return {
    child,
    port,
    logs: () => logs,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The built `serve` on loopback with a certificate pair from `extguard certs`, as a container runs it. */
export interface TlsServeProcess {
  proc: ServeProcess;
  /** Temp dir holding the pair (ca.crt, tls.crt, tls.key) and the files given at start. */
  dir: string;
  /** Trusts the pair's CA; one keep-alive connection. */
  agent: Agent;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Creates the certificates and `files` in a temp dir, then starts `serve` with the pair, ports
 * 0, loopback, and `args(dir)`.
 */
export async function startTlsServeProcess(files: Record<string, string>, args: (dir: string) => string[]): Promise<TlsServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'extguard-serve-'));
  const r = spawnSync(process.execPath, [bin, 'certs', '--out-dir', dir, '--ip', '127.0.0.1', '--dns-name', 'localhost'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`extguard certs failed: ${r.stderr}`);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const proc = await startServeProcess([
    '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'),
    '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1', ...args(dir),
  ]);
  const metricsPort = Number(/"metricsPort":(\d+)/.exec(proc.logs())![1]);
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(join(dir, 'ca.crt')) });
  return {
    proc,
    dir,
    agent,
    metrics: () => new Promise((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port: metricsPort, path: '/metrics' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    }),
    async stop() {
      agent.destroy();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
