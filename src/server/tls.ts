// Serving certificate loaded from disk and reloaded when it changes, without a restart and
// without dropping requests: tls.Server#setSecureContext swaps the context for new
// handshakes while established connections keep theirs. Kubernetes updates a mounted Secret
// by swapping a symlink, which fs.watch misses, so we poll stat() (cheap) instead.

import { readFileSync, statSync, watchFile, unwatchFile, type Stats } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from '../log.ts';

export const TLS_OPTIONS = { minVersion: 'TLSv1.2' } as const;

export interface CertificatePaths {
  certFile: string;
  keyFile: string;
}

/** Reads and checks a cert/key pair; throws an Error that names the file and the fix. */
export function loadCertificate({ certFile, keyFile }: CertificatePaths): SecureContextOptions {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const options = { cert: read(certFile, 'certificate'), key: read(keyFile, 'key'), ...TLS_OPTIONS };
  try {
    createSecureContext(options); // validates PEM syntax and that key matches cert
  } catch (err) {
    throw new Error(`TLS certificate ${certFile} and key ${keyFile} are not a usable pair: ${(err as Error).message}`);
  }
  return options;
}

const fingerprint = (s: Stats): string => `${s.ino}:${s.size}:${s.mtimeMs}`;

/**
 * Calls `apply` with the new options whenever the files change and form a valid pair.
 * A half-written rotation (new cert, old key) fails the check and is retried on the next poll.
 */
export function watchCertificate(paths: CertificatePaths, apply: (opts: SecureContextOptions) => void, logger: Logger, onResult?: (ok: boolean) => void, intervalMs = 2000): () => void {
  const stamp = (): string => {
    try {
      return fingerprint(statSync(paths.certFile)) + '|' + fingerprint(statSync(paths.keyFile));
    } catch {
      return 'missing';
    }
  };
  let last = stamp();
  const check = (): void => {
    const now = stamp();
    if (now === last) return;
    try {
      apply(loadCertificate(paths));
      last = now;
      logger.info({ certFile: paths.certFile }, 'TLS certificate reloaded');
      onResult?.(true);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'TLS certificate changed but is not usable yet; keeping the current one');
      onResult?.(false);
    }
  };
  const opts = { interval: intervalMs, persistent: false };
  watchFile(paths.certFile, opts, check);
  watchFile(paths.keyFile, opts, check);
  return () => {
    unwatchFile(paths.certFile, check);
    unwatchFile(paths.keyFile, check);
  };
}
