// The config file on disk: load at start (fatal if invalid) and hot reload on change
// (an invalid change is refused with a clear log line, and the last good policy stays).
// A ConfigMap volume updates by swapping a symlink, so we poll stat() rather than fs.watch.

import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from '../log.ts';
import { compilePolicy, type Policy } from '../policy/judge.ts';
import { ConfigError, parseConfig } from './config.ts';

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const config = parseConfig(text, path);
  try {
    return compilePolicy(config);
  } catch (err) {
    throw new ConfigError(`${path}: invalid configuration: ${(err as Error).message}`);
  }
}

export function watchPolicyFile(path: string, apply: (p: Policy) => void, logger: Logger, onResult?: (ok: boolean) => void, intervalMs = 2000): () => void {
  const stamp = (): string => {
    try {
      const s = statSync(path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  };
  let last = stamp();
  const check = (): void => {
    const now = stamp();
    if (now === last) return;
    last = now;
    try {
      apply(loadPolicyFile(path));
      logger.info({ config: path }, 'configuration reloaded');
      onResult?.(true);
    } catch (err) {
      logger.error({ config: path, err: (err as Error).message }, 'configuration change refused; the last good configuration stays in force');
      onResult?.(false);
    }
  };
  watchFile(path, { interval: intervalMs, persistent: false }, check);
  return () => unwatchFile(path, check);
}
