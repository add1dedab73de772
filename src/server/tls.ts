// Serving certificate loaded from disk and reloaded when it changes, without a restart and
// without dropping requests: tls.Server#setSecureContext swaps the context for new
// handshakes while established connections keep theirs. Kubernetes updates a mounted Secret
// by swapping a symlink; pollFiles notices that.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from '../log.ts';
import { pollFiles } from '../watch-files.ts';

/**
 * TLS 1.2+ with AEAD suites only (GCM, ChaCha20-Poly1305) and forward secrecy: Node's default
 * list still offers CBC suites for TLS 1.2. The API server's Go client supports all of these.
 * TLS 1.3 suites are listed too: a list without them would leave TLS 1.3 unconfigured.
 */
export const TLS_OPTIONS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const;

export interface CertificatePaths {
  certFile: string;
  keyFile: string;
}

/**
 * A missing or unreadable pair is, in a container, almost always a Secret not mounted where the
 * flags point: say which flags and which mount the image expects.
 */
const MOUNT_HINT = '; --tls-cert and --tls-key name the serving certificate and key (PEM).'
  + ' In a container, mount a kubernetes.io/tls Secret where they point: the image\'s default command'
  + ' reads /etc/extguard/tls/tls.crt and /etc/extguard/tls/tls.key (e.g. docker run -v ./certs:/etc/extguard/tls:ro)';

/** Reads and checks a cert/key pair; throws an Error that names the file and the fix. */
export function loadCertificate({ certFile, keyFile }: CertificatePaths): SecureContextOptions {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`cannot read TLS ${what} ${file}: ${code ?? (err as Error).message}${code === 'ENOENT' || code === 'EACCES' ? MOUNT_HINT : ''}`);
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

/**
 * Validity of the serving certificate in `options` (from loadCertificate): the first PEM block
 * of the file, the leaf, as TLS presents it. Only the dates leave this function.
 */
export function certificateValidity(options: SecureContextOptions): { notBefore: Date; notAfter: Date } {
  const leaf = new X509Certificate(options.cert as Buffer);
  return { notBefore: leaf.validFromDate, notAfter: leaf.validToDate };
}

/**
 * Calls `apply` with the new options whenever the files change and form a valid pair.
 * A half-written rotation (new cert, old key) fails the check and is retried on the next poll.
 */
export function watchCertificate(paths: CertificatePaths, apply: (opts: SecureContextOptions) => void, logger: Logger, onResult?: (ok: boolean) => void, intervalMs = 2000): () => void {
  return pollFiles([paths.certFile, paths.keyFile], intervalMs, () => {
    try {
      apply(loadCertificate(paths));
      logger.info({ certFile: paths.certFile }, 'TLS certificate reloaded');
      onResult?.(true);
      return true;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'TLS certificate changed but is not usable yet; keeping the current one');
      onResult?.(false);
      return false;
    }
  });
}
