// What `npm run image` (build.ts) and the Dockerfile share: the one command that assembles the
// root filesystem, where it writes, and the image's runtime settings (config.json). The unit
// test test/unit/image.test.ts holds the Dockerfile to these.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** Root filesystem output, relative to the repository (the Dockerfile works in a copy of it). */
export const ROOTFS_DIR = 'build/image/rootfs';
/** `node <ASSEMBLE_ARGS>`: run by build.ts and, word for word, by the Dockerfile's build stage. */
export const ASSEMBLE_ARGS = ['tools/image/assemble.ts', '--out', ROOTFS_DIR] as const;

export const ROOTFS_TAR = 'rootfs.tar';
/** One line per entry of rootfs.tar: type, mode, uid:gid, size, path (-> link). */
export const ROOTFS_LIST = 'rootfs.files.txt';
/** What went into the root filesystem, for the SBOM: Debian packages and the Node binary. */
export const ROOTFS_INPUTS = 'rootfs.inputs.json';

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  user: string;
  env: string[];
  workingDir: string;
  exposedPorts: string[];
  labels: Record<string, string>;
}

export function imageConfig(): ImageConfig {
  return JSON.parse(readFileSync(new URL('./config.json', import.meta.url), 'utf8')) as ImageConfig;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version;
}

/** The Node version the lockfile pins (the `node` devDependency). */
export function lockedNodeVersion(): string {
  const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, 'utf8')) as { packages: Record<string, { version?: string }> };
  const version = lock.packages['node_modules/node']?.version;
  if (!version) throw new Error('package-lock.json pins no node_modules/node (the `node` devDependency)');
  return version;
}
