// The Debian packages of the image's root filesystem: pinned by name, version and sha256 in
// debian-packages.lock.json, fetched with apt (`apt-get download pkg=version`, the archive
// this machine and node:24-bookworm already trust), verified, and unpacked with `dpkg-deb -x`.
// No maintainer script runs: the image needs the files, not a configured system.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = new URL('./debian-packages.lock.json', import.meta.url).pathname;

/**
 * What the image takes from Debian, and why. node's ELF needs (ldd): ld-linux, libc, libm,
 * libdl, libpthread (libc6), libstdc++ (libstdc++6), libgcc_s (libgcc-s1); gcc-12-base is
 * what libgcc-s1 and libstdc++6 depend on (their copyright file). ca-certificates: the Mozilla
 * roots, for a system CA file (Node has its own copy; tools and NODE_USE_SYSTEM_CA read this one).
 */
export const PACKAGES = ['libc6', 'libgcc-s1', 'gcc-12-base', 'libstdc++6', 'ca-certificates'] as const;

export interface LockedPackage { name: string; version: string; architecture: string; sha256: string; filename: string }
export interface DebianLock { suite: string; packages: LockedPackage[] }

export function readLock(): DebianLock {
  const lock = JSON.parse(readFileSync(LOCK_FILE, 'utf8')) as DebianLock;
  const names = lock.packages.map((p) => p.name);
  const missing = PACKAGES.filter((p) => !names.includes(p));
  if (missing.length) throw new Error(`${LOCK_FILE} lacks ${missing.join(', ')}: run \`npm run image -- --update-lock\``);
  return lock;
}

function run(cmd: string, args: string[], cwd?: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message} (the image is assembled on Debian bookworm: apt-get and dpkg-deb)`);
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
}

/** One field of a Packages-style record. */
function field(record: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)$`, 'm').exec(record)?.[1]?.trim();
}

/**
 * `--update-lock`: the candidate version of every package in this machine's apt lists (run
 * `apt-get update` first to see the archive's current ones), with the sha256 the archive's
 * signed index gives for its .deb.
 */
export function updateLock(): DebianLock {
  const packages = PACKAGES.map((name): LockedPackage => {
    const show = run('apt-cache', ['show', '--no-all-versions', name]);
    const version = field(show.out, 'Version');
    const sha256 = field(show.out, 'SHA256');
    const architecture = field(show.out, 'Architecture');
    const filename = field(show.out, 'Filename');
    if (!show.ok || !version || !sha256 || !architecture || !filename) throw new Error(`apt-cache show ${name}: no candidate (${show.err.trim() || 'no record'}); is this Debian bookworm with apt lists (apt-get update)?`);
    return { name, version, architecture, sha256, filename };
  });
  const suite = /VERSION_CODENAME=(\w+)/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
  const lock: DebianLock = { suite, packages };
  writeFileSync(LOCK_FILE, `${JSON.stringify(lock, null, 2)}\n`);
  return lock;
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The .deb of every locked package, from the cache or apt, sha256-checked. */
export function fetchPackages(lock: DebianLock, cacheDir: string): Array<LockedPackage & { deb: string }> {
  const debs = join(cacheDir, 'debs');
  mkdirSync(debs, { recursive: true });
  return lock.packages.map((p) => {
    const deb = join(debs, `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.architecture}.deb`);
    if (!existsSync(deb) || sha256File(deb) !== p.sha256) {
      const tmp = mkdtempSync(join(debs, '.download-'));
      try {
        const got = run('apt-get', ['download', `${p.name}=${p.version}`], tmp);
        if (!got.ok) {
          throw new Error(
            `apt-get download ${p.name}=${p.version} failed: ${got.err.trim().split('\n').pop()}\n` +
            `The lock (${LOCK_FILE}) pins a version the Debian archive may no longer serve: a bookworm point release ` +
            'replaces the versions it updates. Refresh the lock: `apt-get update && npm run image -- --update-lock`, ' +
            'review the new versions, commit the lock.',
          );
        }
        const file = readdirSync(tmp).find((f) => f.endsWith('.deb'));
        if (!file) throw new Error(`apt-get download ${p.name}=${p.version} wrote no .deb`);
        renameSync(join(tmp, file), deb);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    const actual = sha256File(deb);
    if (actual !== p.sha256) {
      rmSync(deb, { force: true });
      throw new Error(`${p.name}=${p.version}: sha256 ${actual}, the lock pins ${p.sha256}; the download was not the locked package (nothing was unpacked)`);
    }
    return { ...p, deb };
  });
}

/** Unpacks the packages' files into `dir` (no maintainer scripts). */
export function unpack(debs: Array<{ name: string; deb: string }>, dir: string): void {
  for (const { name, deb } of debs) {
    const x = run('dpkg-deb', ['-x', deb, dir]);
    if (!x.ok) throw new Error(`dpkg-deb -x ${name}: ${x.err.trim()}`);
  }
}
