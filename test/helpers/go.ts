// What the tests take from Go: the toolchain (for the e2e control plane, helm, Prometheus's
// parsers) and modules pinned by version and module hash from the Go module proxy (CRDs, the
// SARIF schema). Used by test/e2e/run.js, the e2e tests and the SARIF schema helper.

import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `go` on PATH, else Go's standard install location (where the Go machine image puts it). */
export function findGo(): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/local/go/bin']) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, 'go'), constants.X_OK);
      return path.join(dir, 'go');
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Where built test binaries are kept between runs: ${EXTGUARD_E2E_CACHE:-~/.cache/extguard-e2e}. */
export function e2eCacheDir(): string {
  return process.env['EXTGUARD_E2E_CACHE'] || path.join(os.homedir(), '.cache', 'extguard-e2e');
}

export interface ModulePin {
  module: string;
  version: string;
  /** The module hash go.sum would hold (`h1:…`). */
  sum: string;
}

/**
 * `go mod download` of a pinned module: its directory in the module cache, or why not (the
 * proxy refused it, or it is not the module that was pinned).
 */
export function downloadModule(go: string, pin: ModulePin): { dir: string } | { error: string } {
  const dl = spawnSync(go, ['mod', 'download', '-json', `${pin.module}@${pin.version}`], {
    cwd: os.tmpdir(), encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' }, timeout: 600_000,
  });
  let info: { Sum?: string; Dir?: string } | undefined;
  try {
    info = dl.status === 0 ? (JSON.parse(dl.stdout) as { Sum?: string; Dir?: string }) : undefined;
  } catch {
    info = undefined;
  }
  const what = `go mod download ${pin.module}@${pin.version}`;
  if (!info?.Dir) return { error: `${what}: ${dl.stderr || dl.stdout || dl.error?.message}` };
  if (info.Sum !== pin.sum) return { error: `${what}: sum ${info.Sum}, pinned ${pin.sum}` };
  return { dir: info.Dir };
}
