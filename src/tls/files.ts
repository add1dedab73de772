// Writing certificate sets to disk: the development pair `serve` creates when none is given,
// and what `extguard certs` writes. Keys are written 0600.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCA, issueCert, type PemPair } from './pki.ts';

export interface CertificateSet {
  ca: PemPair;
  serving: PemPair;
}

/** DNS names a webhook Service is reached by, as the API server dials it. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export async function createCertificateSet(opts: { dnsNames: string[]; ipAddresses?: string[]; days?: number; caName?: string }): Promise<CertificateSet> {
  const ca = await createCA(opts.caName ?? 'extguard-ca', { days: opts.days ?? 365 });
  const serving = await issueCert(ca, {
    commonName: opts.dnsNames[0] ?? 'extguard',
    dnsNames: opts.dnsNames,
    ipAddresses: opts.ipAddresses ?? [],
    usage: 'server',
    days: opts.days ?? 365,
  });
  return { ca, serving };
}

export interface WrittenFiles { caFile: string; certFile: string; keyFile: string }

export function writeCertificateSet(dir: string, set: CertificateSet): WrittenFiles {
  mkdirSync(dir, { recursive: true });
  const files = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  writeFileSync(files.caFile, set.ca.certPem);
  writeFileSync(files.certFile, set.serving.certPem);
  writeFileSync(files.keyFile, set.serving.keyPem, { mode: 0o600 });
  // The CA key is only needed to issue again; keep it beside, private.
  writeFileSync(join(dir, 'ca.key'), set.ca.keyPem, { mode: 0o600 });
  return files;
}

/** The development pair for `serve` without --tls-cert: reused when present, created otherwise. */
export async function ensureDevCertificates(dir: string): Promise<WrittenFiles & { created: boolean }> {
  const files = { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  if (existsSync(files.certFile) && existsSync(files.keyFile)) return { ...files, created: false };
  const set = await createCertificateSet({
    dnsNames: ['localhost', ...serviceDnsNames('extguard', 'extguard-system')],
    ipAddresses: ['127.0.0.1', '::1'],
    caName: 'extguard-dev-ca',
  });
  return { ...writeCertificateSet(dir, set), created: true };
}
