import { expect } from 'chai';
import fastJsonPatch from 'fast-json-patch';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { createCertificateSet } from '../../src/tls/files.ts';
import { deployment, FAKE_PASSWORD, pod } from '../helpers/objects.ts';
import { review, startWebhook, type TestWebhook } from '../helpers/webhook.ts';

const fixture = (name: string): any => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const catalogYaml = readFileSync(new URL('../../examples/catalog.yaml', import.meta.url), 'utf8');
const FIXTURE_SECRET = 'FIXTURE-PLAINTEXT-VALUE-7f3a';

const leaky = (ns: string) => deployment({ namespace: ns, containers: [{ env: [{ name: 'DB_PASSWORD', value: FAKE_PASSWORD }, { name: 'ANALYTICS_URL', value: 'https://analytics.example.org/ingest' }] }] });

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('webhook over HTTPS', function () {
  let hook: TestWebhook;
  before(async () => { hook = await startWebhook({ declarations: catalogYaml, config: 'defaultMode: enforce\n' }); });
  after(async () => { await hook.stop(); });

  describe('/mutate', () => {
    it('echoes the uid and returns a base64 JSONPatch that injects the declared services', async () => {
      const input = fixture('review-pod-create-inject.json');
      const res = await hook.post('/mutate?timeout=10s', input);
      expect(res.status).to.equal(200);
      const body = res.json();
      expect(body).to.include({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
      expect(body.response).to.include({ uid: input.request.uid, allowed: true, patchType: 'JSONPatch' });
      const patch = JSON.parse(Buffer.from(body.response.patch, 'base64').toString('utf8'));
      const after = fastJsonPatch.applyPatch(structuredClone(input.request.object), patch, true, false).newDocument as any;
      const expectedEnv = [
        { name: 'DB_HOST', value: 'external-db' },
        { name: 'DB_PORT', value: '5432' },
        { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'username' } } },
        { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
        { name: 'PAYMENTS_API_HOST', value: 'api.payments.example.com' },
        { name: 'PAYMENTS_API_PORT', value: '443' },
        { name: 'PAYMENTS_API_API_KEY', valueFrom: { secretKeyRef: { name: 'payments-api-key', key: 'token' } } },
      ];
      expect(after.spec.containers[0].env).to.deep.equal([{ name: 'LOG_LEVEL', value: 'info' }, ...expectedEnv]);
      expect(after.spec.containers[1].env).to.deep.equal(expectedEnv);

      // Idempotent: the mutated object gets no patch the second time.
      const again = (await hook.post('/mutate', { ...input, request: { ...input.request, object: after } })).json();
      expect(again.response).to.deep.equal({ uid: input.request.uid, allowed: true });
      // ...and /validate allows it.
      const valid = (await hook.post('/validate', { ...input, request: { ...input.request, object: after } })).json();
      expect(valid.response.allowed).to.equal(true);
    });

    it('never denies on policy: a leaky object gets allowed with no patch from /mutate', async () => {
      const res = (await hook.post('/mutate', review(leaky('shop')))).json();
      expect(res.response.allowed).to.equal(true);
      expect(res.response.patch).to.equal(undefined);
    });
  });

  describe('/validate', () => {
    it('denies plaintext credentials and undeclared hosts in enforce, naming container and path, never the value', async () => {
      const input = fixture('review-deployment-leaky.json');
      const res = await hook.post('/validate', input);
      expect(res.status).to.equal(200);
      const r = res.json().response;
      expect(r.uid).to.equal(input.request.uid);
      expect(r.allowed).to.equal(false);
      expect(r.status.code).to.equal(403);
      expect(r.status.message).to.contain('Deployment shop/reports').and.contain('container "app"');
      expect(r.status.message).to.contain('spec.template.spec.containers[0].env[1].value');
      expect(r.status.message).to.contain('externalName: analytics.example.org');
      expect(r.warnings).to.have.length(2);
      expect(res.text).not.to.contain(FIXTURE_SECRET);
    });

    it('gives a dry-run request the same verdict and warnings', async () => {
      const real = (await hook.post('/validate', review(leaky('shop'), { uid: 'u-real' }))).json().response;
      const dry = (await hook.post('/validate', review(leaky('shop'), { uid: 'u-dry', dryRun: true }))).json().response;
      expect({ ...dry, uid: 'x' }).to.deep.equal({ ...real, uid: 'x' });
    });

    it('allows with warnings in a warn namespace', async () => {
      const r = (await hook.post('/validate', review(leaky('staging')))).json().response;
      expect(r.allowed).to.equal(true);
      expect(r.warnings.join('\n')).to.contain('[plaintext-credential]').and.contain('[undeclared-external-host]');
    });

    it('allows with audit annotations and no warnings in an audit namespace', async () => {
      const r = (await hook.post('/validate', review(leaky('legacy')))).json().response;
      expect(r.allowed).to.equal(true);
      expect(r.warnings).to.equal(undefined);
      expect(r.auditAnnotations.mode).to.equal('audit');
      expect(JSON.parse(r.auditAnnotations.violations).map((v: any) => v.rule)).to.deep.equal(['plaintext-credential', 'undeclared-external-host']);
      expect(JSON.stringify(r)).not.to.contain(FAKE_PASSWORD);
    });

    it('allows kinds it does not cover and exempt namespaces', async () => {
      // A Secret is where a credential belongs.
      const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c', namespace: 'shop' }, stringData: { password: FAKE_PASSWORD } };
      expect((await hook.post('/validate', review(secret))).json().response.allowed).to.equal(true);
      expect((await hook.post('/validate', review(leaky('kube-system')))).json().response.allowed).to.equal(true);
    });

    describe('ConfigMaps', () => {
      const cm = (namespace: string) => ({
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace },
        data: { LOG_LEVEL: 'info', 'application.properties': `spring.datasource.url=jdbc:postgresql://db/shop\nspring.datasource.password=${FAKE_PASSWORD}\n` },
      });
      it('denies a plaintext credential in a ConfigMap in enforce: key and file format named, value never echoed', async () => {
        const res = await hook.post('/validate', review(cm('shop')));
        const r = res.json().response;
        expect(r.allowed).to.equal(false);
        expect(r.status.message).to.contain('ConfigMap shop/app-config').and.contain('"application.properties"').and.contain('Java properties').and.contain('Secret');
        expect(r.warnings.join('\n')).to.contain('[plaintext-credential] data["application.properties"]');
        expect(res.text).not.to.contain(FAKE_PASSWORD);
      });
      it('warns in a warn namespace and annotates in an audit one', async () => {
        const warn = await hook.post('/validate', review(cm('staging')));
        expect(warn.json().response.allowed).to.equal(true);
        expect(warn.json().response.warnings.join('\n')).to.contain('[plaintext-credential]');
        expect(warn.text).not.to.contain(FAKE_PASSWORD);
        const audit = await hook.post('/validate', review(cm('legacy')));
        expect(audit.json().response.allowed).to.equal(true);
        expect(audit.json().response.auditAnnotations.mode).to.equal('audit');
        expect(audit.text).not.to.contain(FAKE_PASSWORD);
      });
      it('allows ordinary settings and judges no hosts in a ConfigMap', async () => {
        const plain = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain', namespace: 'shop' }, data: { API_URL: 'https://undeclared.example.net/v1', 'nginx.conf': 'proxy_pass https://undeclared.example.net;' } };
        const r = (await hook.post('/validate', review(plain))).json().response;
        expect(r).to.deep.equal({ uid: r.uid, allowed: true });
      });
    });

    it('answers an object of an unknown shape with a well-formed AdmissionReview error', async () => {
      const bad = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: 'oops' } };
      const res = await hook.post('/validate', review(bad, { uid: 'u-shape' }));
      expect(res.status).to.equal(200);
      expect(res.json().response).to.deep.equal({ uid: 'u-shape', allowed: false, status: { code: 400, message: 'extguard cannot read the object: spec.containers: expected a list' } });
    });
  });

  describe('bad input', () => {
    const cases: { what: string; send: () => Promise<{ status: number; text: string }>; status: number; error: RegExp }[] = [
      { what: 'malformed JSON', send: () => hook.post('/validate', null, { raw: '{"kind": "AdmissionReview",' }), status: 400, error: /not valid JSON/ },
      { what: 'a non-JSON content type', send: () => hook.post('/validate', null, { raw: 'hello', contentType: 'text/plain' }), status: 415, error: /Content-Type: application\/json/ },
      { what: 'a JSON array', send: () => hook.post('/validate', [1, 2]), status: 400, error: /expected a JSON AdmissionReview object/ },
      { what: 'a review without request', send: () => hook.post('/validate', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), status: 400, error: /has no request/ },
      { what: 'a request without uid', send: () => hook.post('/validate', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }), status: 400, error: /uid/ },
      { what: 'the wrong kind', send: () => hook.post('/validate', { apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }), status: 400, error: /expected kind AdmissionReview/ },
      { what: 'GET on /validate', send: () => hook.get('/validate'), status: 405, error: /use POST/ },
      { what: 'an unknown path', send: () => hook.post('/admit', {}), status: 404, error: /not found/ },
      { what: 'a body over the limit', send: () => hook.post('/validate', null, { raw: JSON.stringify({ pad: 'x'.repeat(9 * 1024 * 1024) }) }), status: 413, error: /larger than/ },
    ];
    for (const c of cases) {
      it(`rejects ${c.what} with ${c.status} and a clear error`, async () => {
        const res = await c.send();
        expect(res.status).to.equal(c.status);
        expect(JSON.parse(res.text).error).to.match(c.error);
      });
    }

    it('answers v1beta1 reviews that carry a uid with an AdmissionReview error naming the fix', async () => {
      const body = { ...review(leaky('shop'), { uid: 'u-beta' }), apiVersion: 'admission.k8s.io/v1beta1' };
      const r = (await hook.post('/validate', body)).json();
      expect(r.response).to.include({ uid: 'u-beta', allowed: false });
      expect(r.response.status.message).to.match(/admissionReviewVersions/);
    });

    it('keeps serving after all of that', async () => {
      expect((await hook.get('/healthz')).status).to.equal(200);
      expect((await hook.post('/validate', review(pod({ containers: [{}] })))).json().response.allowed).to.equal(true);
    });
  });

  describe('TLS', () => {
    /** The cipher a handshake settles on, or the error that ended it. */
    const handshake = (opts: { ciphers?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }): Promise<string> => new Promise((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: hook.server.port, ca: hook.ca, servername: 'localhost', ...opts }, () => {
        resolve(`${socket.getProtocol()} ${socket.getCipher().standardName}`);
        socket.end();
      });
      socket.on('error', (err) => resolve(`error ${err.message}`));
    });

    it('negotiates TLS 1.3, and TLS 1.2 only with AEAD suites', async () => {
      expect(await handshake({})).to.match(/^TLSv1\.3 TLS_/);
      expect(await handshake({ maxVersion: 'TLSv1.2' })).to.match(/^TLSv1\.2 TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_\d+_GCM|CHACHA20_POLY1305)/);
    });

    it('refuses CBC suites', async () => {
      const cbc = 'ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA';
      expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: cbc })).to.match(/^error /);
    });
  });

  describe('health and metrics', () => {
    it('is live and ready with file declarations', async () => {
      expect((await hook.get('/healthz')).text).to.equal('ok');
      expect((await hook.get('/readyz')).status).to.equal(200);
    });

    it('exposes request counts, latency and verdicts by rule and mode, without values', async () => {
      await hook.post('/validate', review(leaky('staging')));
      const text = await hook.metrics();
      expect(text).to.match(/extguard_admission_requests_total\{endpoint="validate",code="200"\} \d+/);
      expect(text).to.match(/extguard_admission_duration_seconds_bucket\{le="0.005",endpoint="validate"\} \d+/);
      expect(text).to.match(/extguard_violations_total\{rule="plaintext-credential",mode="warn"\} \d+/);
      expect(text).to.match(/extguard_verdicts_total\{mode="enforce",allowed="false"\} \d+/);
      expect(text).to.match(/extguard_catalog_synced 1/);
      expect(text).not.to.contain(FAKE_PASSWORD).and.not.to.contain('analytics.example.org');
    });
  });
});

describe('webhook reloads', function () {
  this.timeout(20000);
  let hook: TestWebhook;
  beforeEach(async () => { hook = await startWebhook({ declarations: catalogYaml, config: 'defaultMode: enforce\n' }); });
  afterEach(async () => { await hook.stop(); });

  it('applies a valid config change and keeps the last good config on an invalid one', async () => {
    const mode = async () => (await hook.post('/validate', review(leaky('unlabelled')))).json().response;
    expect((await mode()).allowed).to.equal(false);
    writeFileSync(`${hook.dir}/config.yaml`, 'defaultMode: warn\n');
    await until(async () => (await mode()).allowed === true, 'config reload');
    writeFileSync(`${hook.dir}/config.yaml`, 'defaultMode: sometimes\nbogus: 1\n');
    await until(async () => /extguard_reloads_total\{what="config",result="failure"\} 1/.test(await hook.metrics()), 'refused reload');
    expect((await mode()).allowed).to.equal(true);
  });

  it('serves a rotated certificate without a restart', async () => {
    const rotated = await createCertificateSet({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const handshake = (ca: string) => new Promise<boolean>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: hook.server.port, path: '/healthz', ca, servername: 'localhost', agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
      req.on('error', () => resolve(false));
      req.end();
    });
    expect(await handshake(rotated.ca.certPem)).to.equal(false);
    writeFileSync(hook.files.keyFile, rotated.serving.keyPem);
    writeFileSync(hook.files.certFile, rotated.serving.certPem);
    await until(() => handshake(rotated.ca.certPem), 'new certificate served');
    expect(await handshake(hook.ca)).to.equal(false);
  });

  it('drops no request while the certificate rotates under load', async () => {
    const rotated = await createCertificateSet({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    // Clients trust both CAs, as the API server does while a caBundle carries old and new.
    const ca = hook.ca + rotated.ca.certPem;
    const body = JSON.stringify(review(pod({ containers: [{}] })));
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const one = () => new Promise<void>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: hook.server.port, path: '/validate', method: 'POST', ca, servername: 'localhost', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => { if (res.statusCode === 200) ok++; else failures.push(`HTTP ${res.statusCode}`); resolve(); });
      });
      req.on('error', (e) => { failures.push(e.message); resolve(); });
      req.end(body);
    });
    const workers = Array.from({ length: 8 }, async () => { while (running) await one(); });
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(hook.files.keyFile, rotated.serving.keyPem);
    writeFileSync(hook.files.certFile, rotated.serving.certPem);
    const served = (c: string) => new Promise<boolean>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: hook.server.port, path: '/healthz', ca: c, servername: 'localhost', agent: false }, (res) => { res.resume(); resolve(res.statusCode === 200); });
      req.on('error', () => resolve(false));
      req.end();
    });
    await until(() => served(rotated.ca.certPem), 'new certificate served');
    // Keep the load on until 20 more reviews are answered after the swap (a count, not a time
    // window, so a slow machine does not make the test flaky).
    const target = ok + 20;
    await until(async () => ok >= target || failures.length > 0, 'reviews answered after the rotation', 15_000);
    running = false;
    await Promise.all(workers);
    expect(failures).to.deep.equal([]);
    expect(ok).to.be.greaterThan(20);
  });
});
