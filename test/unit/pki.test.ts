import { expect } from 'chai';
import { X509Certificate, createPrivateKey, createPublicKey, createSign, createVerify } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

import { createCA, createKeyPair, issueCert, type PemPair } from '../../src/tls/pki.ts';

interface Server {
  port: number;
  close(): Promise<void>;
}

async function startServer(pair: PemPair, extra: https.ServerOptions = {}): Promise<Server> {
  const server = https.createServer({ cert: pair.certPem, key: pair.keyPem, ...extra }, (req, res) => {
    const peer = (req.socket as tls.TLSSocket).getPeerCertificate();
    res.end(JSON.stringify({ ok: true, clientCN: peer?.subject?.CN ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function get(port: number, opts: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/', method: 'GET', agent: false, ...opts }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('tls/pki', function () {
  this.timeout(20000);
  let ca: PemPair;
  let server: PemPair;

  before(async () => {
    ca = await createCA('extguard-test-ca');
    server = await issueCert(ca, {
      commonName: 'extguard.extguard-system.svc',
      dnsNames: ['extguard.extguard-system.svc', 'localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
      usage: 'server',
    });
  });

  it('creates a self-signed CA with an ECDSA P-256 PKCS#8 key', () => {
    expect(ca.keyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(ca.certPem).to.match(/^-----BEGIN CERTIFICATE-----\n/);
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).to.equal(true);
    expect(cert.subject).to.equal('CN=extguard-test-ca');
    expect(cert.verify(cert.publicKey)).to.equal(true);
    const key = createPrivateKey(ca.keyPem);
    expect(key.asymmetricKeyType).to.equal('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
    expect(cert.checkPrivateKey(key)).to.equal(true);
    expect(() => tls.createSecureContext({ cert: ca.certPem, key: ca.keyPem })).not.to.throw();
  });

  it('issues a server certificate that verifies against the CA and carries the SANs', () => {
    const cert = new X509Certificate(server.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.verify(caCert.publicKey)).to.equal(true);
    expect(cert.checkIssued(caCert)).to.equal(true);
    expect(cert.ca).to.equal(false);
    expect(cert.subjectAltName).to.include('DNS:extguard.extguard-system.svc');
    expect(cert.subjectAltName).to.include('DNS:localhost');
    expect(cert.subjectAltName).to.include('IP Address:127.0.0.1');
    expect(cert.checkHost('extguard.extguard-system.svc')).to.equal('extguard.extguard-system.svc');
    expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(cert.checkHost('evil.example.com')).to.equal(undefined);
    expect(cert.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkPrivateKey(createPrivateKey(server.keyPem))).to.equal(true);
    expect(server.keyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(() => tls.createSecureContext({ cert: server.certPem, key: server.keyPem, ca: ca.certPem })).not.to.throw();
    const validFor = Date.parse(cert.validTo) - Date.now();
    expect(validFor).to.be.within(364 * 86400e3, 366 * 86400e3);
  });

  it('puts organization into the subject and client usage into EKU', async () => {
    const admin = await issueCert(ca, { commonName: 'admin', organization: ['system:masters'], usage: 'client', days: 2 });
    const cert = new X509Certificate(admin.certPem);
    expect(cert.subject.split('\n')).to.include.members(['O=system:masters', 'CN=admin']);
    expect(cert.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.2']);
    expect(cert.subjectAltName).to.equal(undefined);
    const both = await issueCert(ca, { commonName: 'peer', dnsNames: ['peer'], usage: 'both' });
    expect(new X509Certificate(both.certPem).keyUsage).to.have.members(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('rejects bad input', async () => {
    let err: unknown;
    try {
      await issueCert(ca, { commonName: 'x', ipAddresses: ['not-an-ip'], usage: 'server' });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/not an IP address/);
    err = undefined;
    try {
      await issueCert(ca, { commonName: 'x', usage: 'server' });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/needs dnsNames or ipAddresses/);
  });

  it('creates a bare signing key pair', async () => {
    const kp = await createKeyPair();
    const sig = createSign('SHA256').update('hello').sign(kp.privateKeyPem);
    expect(createVerify('SHA256').update('hello').verify(createPublicKey(kp.publicKeyPem), sig)).to.equal(true);
    expect(kp.publicKeyPem).to.match(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  describe('over a real TLS connection', () => {
    let srv: Server;
    before(async () => {
      srv = await startServer(server);
    });
    after(async () => {
      await srv?.close();
    });

    it('is accepted by a client that trusts only the CA, using a DNS SAN as servername', async () => {
      const res = await get(srv.port, { ca: ca.certPem, servername: 'extguard.extguard-system.svc' });
      expect(res.status).to.equal(200);
      expect(JSON.parse(res.body)).to.include({ ok: true });
    });

    it('is accepted when the client connects by IP (IP SAN)', async () => {
      const res = await get(srv.port, { ca: ca.certPem });
      expect(res.status).to.equal(200);
    });

    it('is rejected by a client that trusts a different CA', async () => {
      const other = await createCA('someone-else');
      let err: NodeJS.ErrnoException | undefined;
      try {
        await get(srv.port, { ca: other.certPem, servername: 'extguard.extguard-system.svc' });
      } catch (e) {
        err = e as NodeJS.ErrnoException;
      }
      expect(err, 'TLS handshake should fail').to.not.equal(undefined);
      expect(err!.code).to.match(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
    });

    it('is rejected when the servername matches no SAN', async () => {
      let err: NodeJS.ErrnoException | undefined;
      try {
        await get(srv.port, { ca: ca.certPem, servername: 'evil.example.com' });
      } catch (e) {
        err = e as NodeJS.ErrnoException;
      }
      expect(err?.code).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
    });
  });

  it('client certificates work for mutual TLS', async () => {
    const client = await issueCert(ca, { commonName: 'kube-apiserver', usage: 'client' });
    const srv = await startServer(server, { ca: ca.certPem, requestCert: true, rejectUnauthorized: true });
    try {
      const res = await get(srv.port, { ca: ca.certPem, cert: client.certPem, key: client.keyPem, servername: 'localhost' });
      expect(JSON.parse(res.body)).to.deep.equal({ ok: true, clientCN: 'kube-apiserver' });
      const otherCA = await createCA('other');
      const stranger = await issueCert(otherCA, { commonName: 'stranger', usage: 'client' });
      let failed = false;
      try {
        await get(srv.port, { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem, servername: 'localhost' });
      } catch {
        failed = true;
      }
      expect(failed, 'a client certificate from another CA must be refused').to.equal(true);
    } finally {
      await srv.close();
    }
  });
});
