// The config file on disk: load at start (fatal if invalid) and hot reload on change
// (an invalid change is refused with a clear log line, and the last good policy stays).
// A ConfigMap volume updates by swapping a symlink; pollFiles notices that.

import { readFileSync } from 'node:fs';
import type { Logger } from '../log.ts';
import { pollFiles } from '../watch-files.ts';
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
  // A refused change counts as seen: it is logged once, not on every poll, until the file changes again.
  return pollFiles([path], intervalMs, () => {
    try {
      apply(loadPolicyFile(path));
      logger.info({ config: path }, 'configuration reloaded');
      onResult?.(true);
    } catch (err) {
      logger.error({ config: path, err: (err as Error).message }, 'configuration change refused; the last good configuration stays in force');
      onResult?.(false);
    }
    return true;
  });
}
