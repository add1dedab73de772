// Writing certificate sets to disk: the development pair `serve` creates when none is given,
// and what `extguard certs` writes. Keys are written 0600.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  writePrivate(files.keyFile, set.serving.keyPem);
  // The CA key is only needed to issue again; keep it beside, private.
  writePrivate(join(dir, 'ca.key'), set.ca.keyPem);
  return files;
}

/** `mode` on writeFileSync only applies to a new file; an existing one keeps its mode. */
function writePrivate(file: string, pem: string): void {
  writeFileSync(file, pem, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Issued {
  files: WrittenFiles;
  /** PEM for the webhook configurations' caBundle: the CA, plus the one it replaces while that is valid. */
  caBundlePem: string;
  ca: 'created' | 'reused' | 'replaced';
}

/**
 * Issues a serving certificate into `dir`, reusing the CA already there when it outlives the
 * new certificate. Reusing keeps the caBundle unchanged, so a rotation only replaces the
 * Secret and no request fails while kubelets sync it. When the CA is replaced, the bundle
 * also carries the old CA while it is valid: the API server then trusts both the Pods still
 * serving the old certificate and those that have the new one.
 */
export async function issueServingCertificate(
  dir: string,
  opts: { dnsNames: string[]; ipAddresses?: string[]; days?: number; newCa?: boolean; now?: Date },
): Promise<Issued> {
  const days = opts.days ?? 365;
  const now = opts.now ?? new Date();
  const previous = readCa(dir);
  const lastsLongEnough = previous !== undefined && previous.notAfter.getTime() > now.getTime() + days * DAY_MS;
  let ca: PemPair;
  let caBundlePem: string;
  let state: Issued['ca'];
  if (previous?.keyPem !== undefined && lastsLongEnough && !opts.newCa) {
    ca = { certPem: previous.certPem, keyPem: previous.keyPem };
    caBundlePem = ca.certPem;
    state = 'reused';
  } else {
    ca = await createCA('extguard-ca', { days: Math.max(3650, days) });
    const stillValid = previous !== undefined && previous.notAfter.getTime() > now.getTime();
    caBundlePem = ca.certPem + (stillValid ? previous.certPem : '');
    state = previous ? 'replaced' : 'created';
  }
  const serving = await issueCert(ca, {
    commonName: opts.dnsNames[0] ?? 'extguard',
    dnsNames: opts.dnsNames,
    ipAddresses: opts.ipAddresses ?? [],
    usage: 'server',
    days,
  });
  return { files: writeCertificateSet(dir, { ca, serving }), caBundlePem, ca: state };
}

/** The CA already in `dir`: its certificate, and its key when that is there too. */
function readCa(dir: string): { certPem: string; keyPem?: string; notAfter: Date } | undefined {
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  if (!existsSync(certFile)) return undefined;
  const certPem = readFileSync(certFile, 'utf8');
  const keyPem = existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    if (keyPem !== undefined && !cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the key does not belong to the certificate');
  } catch (err) {
    throw new Error(`cannot reuse the CA in ${dir} (${(err as Error).message}); move ca.crt and ca.key away to create a new one`);
  }
  if (!cert.ca) throw new Error(`${certFile} is not a CA certificate; move ca.crt and ca.key away to create a new one`);
  return { certPem, ...(keyPem !== undefined ? { keyPem } : {}), notAfter: new Date(cert.validTo) };
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
