// Polls files for changes. Kubernetes updates mounted Secrets and ConfigMaps by swapping a
// symlink, which fs.watch misses; stat() through the link sees the new inode and mtime.

import { statSync, unwatchFile, watchFile } from 'node:fs';

function stamp(paths: readonly string[]): string {
  return paths.map((p) => {
    try {
      const s = statSync(p);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }).join('|');
}

/**
 * Calls `onChange` when any of `paths` changes. `onChange` returns false when it could not
 * use the new content yet (a half-written rotation): the change is then retried on the next
 * poll instead of being forgotten. Returns a function that stops watching.
 */
export function pollFiles(paths: readonly string[], intervalMs: number, onChange: () => boolean): () => void {
  let last = stamp(paths);
  const check = (): void => {
    const now = stamp(paths);
    if (now !== last && onChange()) last = now;
  };
  for (const p of paths) watchFile(p, { interval: intervalMs, persistent: false }, check);
  return () => { for (const p of paths) unwatchFile(p, check); };
}
