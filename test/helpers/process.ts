// Runs the built `extguard serve` as a child process, the way a container runs it, and
// waits for the log line that carries the port it bound.

import { spawn, type ChildProcess } from 'node:child_process';
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
