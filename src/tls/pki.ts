// Minimal PKI for extguard: a self-signed CA and leaf certificates signed by it.
//
// Used to mint the webhook's serving certificate (and, in tests, the certificates of a
// throwaway control plane). Keys are ECDSA P-256, exported as PKCS#8 PEM
// ("BEGIN PRIVATE KEY"), which Node's tls, Go's crypto/tls (kube-apiserver, etcd) and
// openssl all load. Pure TypeScript over WebCrypto: no openssl binary needed.

import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
// @peculiar/x509 2.x loads tsyringe, which needs a Reflect metadata polyfill installed before
// it is evaluated; ESM evaluates imports in order, so this import must stay above it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export type CertUsage = 'server' | 'client' | 'both';

export interface IssueOptions {
  commonName: string;
  /** DNS subjectAltNames. */
  dnsNames?: string[];
  /** IP subjectAltNames (IPv4 or IPv6 literals). */
  ipAddresses?: string[];
  /** Subject O= values; Kubernetes reads these as the client's groups (e.g. system:masters). */
  organization?: string[];
  usage: CertUsage;
  /** Validity in days; default 365. */
  days?: number;
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type EcdsaParams = webcrypto.EcdsaParams;
type RsaHashedImportParams = webcrypto.RsaHashedImportParams;

const crypto = webcrypto;
const EC_KEYGEN: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGN: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const RSA_SIGN: RsaHashedImportParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
/** Backdate notBefore so a peer with a slightly slow clock accepts a fresh certificate. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Creates a self-signed CA certificate (basicConstraints CA:true, keyCertSign). */
export async function createCA(commonName: string, opts: { days?: number } = {}): Promise<PemPair> {
  const keys = await generateKeyPair();
  const { notBefore, notAfter } = validity(opts.days ?? 3650);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: [{ CN: [commonName] }],
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: EC_SIGN,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

/** Issues a leaf certificate signed by `ca` for a fresh ECDSA P-256 key. */
export async function issueCert(ca: PemPair, opts: IssueOptions): Promise<PemPair> {
  if (!opts.commonName) throw new Error('issueCert: commonName is required');
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importSigningKey(ca.keyPem);
  const keys = await generateKeyPair();
  const { notBefore, notAfter } = validity(opts.days ?? 365);

  const subject: x509.JsonName = [{ CN: [opts.commonName] }];
  if (opts.organization?.length) subject.unshift({ O: [...opts.organization] });

  const sans: x509.JsonGeneralName[] = [];
  for (const dns of opts.dnsNames ?? []) sans.push({ type: 'dns', value: dns });
  for (const ip of opts.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new Error(`issueCert: not an IP address: ${ip}`);
    sans.push({ type: 'ip', value: ip });
  }

  const eku: string[] = [];
  if (opts.usage === 'server' || opts.usage === 'both') eku.push(x509.ExtendedKeyUsage.serverAuth);
  if (opts.usage === 'client' || opts.usage === 'both') eku.push(x509.ExtendedKeyUsage.clientAuth);
  if (eku.length === 0) throw new Error(`issueCert: unknown usage ${String(opts.usage)}`);

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, crypto),
  ];
  // A server certificate needs SANs (CN is ignored by modern TLS clients); a SAN extension must not be empty.
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  else if (opts.usage !== 'client') throw new Error('issueCert: a server certificate needs dnsNames or ipAddresses');

  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject,
      issuer: caCert.subjectName,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: caKey.key,
      signingAlgorithm: caKey.algorithm,
      extensions,
    },
    crypto,
  );
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * A bare ECDSA P-256 key pair as PEM (PKCS#8 private, SPKI public), e.g. for a
 * service-account token signing key.
 */
export async function createKeyPair(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const keys = await generateKeyPair();
  const spki = await crypto.subtle.exportKey('spki', keys.publicKey);
  return {
    privateKeyPem: await exportKeyPem(keys.privateKey),
    publicKeyPem: x509.PemConverter.encode(spki, 'PUBLIC KEY') + '\n',
  };
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC_KEYGEN, true, ['sign', 'verify']);
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n';
}

/** Imports a CA private key (any PEM form Node understands: PKCS#8, SEC1, PKCS#1) for signing. */
async function importSigningKey(pem: string): Promise<{ key: CryptoKey; algorithm: EcdsaParams | RsaHashedImportParams }> {
  const key = createPrivateKey(pem);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const pkcs8 = der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer;
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : undefined;
      if (!namedCurve) throw new Error(`issueCert: unsupported CA key curve ${String(curve)}`);
      const hash = namedCurve === 'P-256' ? 'SHA-256' : namedCurve === 'P-384' ? 'SHA-384' : 'SHA-512';
      const cryptoKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve }, false, ['sign']);
      return { key: cryptoKey, algorithm: { name: 'ECDSA', hash } };
    }
    case 'rsa': {
      const cryptoKey = await crypto.subtle.importKey('pkcs8', pkcs8, RSA_SIGN, false, ['sign']);
      return { key: cryptoKey, algorithm: RSA_SIGN };
    }
    default:
      throw new Error(`issueCert: unsupported CA key type ${String(key.asymmetricKeyType)}`);
  }
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(days) || days <= 0) throw new Error(`invalid certificate validity: ${days} days`);
  const now = Date.now();
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** 16 random bytes with the top bit cleared: a positive serial, unique in practice (RFC 5280 4.1.2.2). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}
