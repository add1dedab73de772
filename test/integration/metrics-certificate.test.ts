// The serving certificate's validity on /metrics of the built `extguard serve`, at start and
// after a rotation, so an alert can fire before the certificate expires; and whether the last
// reload of the certificate and of the configuration worked.

import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, issueCert, type PemPair } from '../../src/tls/pki.ts';
import { startServeProcess, type ServeProcess } from '../helpers/process.ts';

const DAY_S = 24 * 60 * 60;

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

/** The value of an unlabelled series, or undefined when it is absent. */
function sample(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

const seconds = (d: Date): number => d.getTime() / 1000;

async function until(port: number, check: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  let text = await scrape(port);
  while (!check(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
    text = await scrape(port);
  }
  return text;
}

describe('metrics: serving certificate validity and reload state', function () {
  this.timeout(30_000);
  let dir: string;
  let ca: PemPair;
  let proc: ServeProcess;
  let metricsPort: number;

  const leaf = (days: number) => issueCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server', days });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'extguard-certmetric-'));
    // The CA outlives the leaf by years: the metric must follow the leaf, first in the file.
    ca = await createCA('extguard-test-ca', { days: 3650 });
    const serving = await leaf(30);
    writeFileSync(join(dir, 'tls.crt'), serving.certPem + ca.certPem);
    writeFileSync(join(dir, 'tls.key'), serving.keyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'config.yaml'), 'defaultMode: enforce\n');
    proc = await startServeProcess(['--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--config', join(dir, 'config.yaml'), '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1']);
    metricsPort = Number(/"metricsPort":(\d+)/.exec(proc.logs())![1]);
  });
  after(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exposes the serving certificate's notAfter and notBefore from the start", async () => {
    const served = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
    const text = await scrape(metricsPort);
    const expiry = sample(text, 'extguard_tls_certificate_expiry_timestamp_seconds');
    expect(expiry).to.equal(seconds(served.validToDate));
    expect(sample(text, 'extguard_tls_certificate_not_before_timestamp_seconds')).to.equal(seconds(served.validFromDate));
    // 30 days from now, give or take the backdating and the test's own run time.
    expect(expiry! - Date.now() / 1000).to.be.within(29 * DAY_S, 31 * DAY_S);
    expect(text).to.match(/# TYPE extguard_tls_certificate_expiry_timestamp_seconds gauge/);
  });

  it('follows a rotated certificate once the pair matches, and never shows key material', async () => {
    const before = sample(await scrape(metricsPort), 'extguard_tls_certificate_expiry_timestamp_seconds');
    const rotated = await leaf(90);
    // Half a rotation: the new certificate beside the old key is refused, the old pair stays.
    writeFileSync(join(dir, 'tls.crt'), rotated.certPem);
    let text = await until(metricsPort, (t) => /^extguard_last_reload_successful\{what="certificate"\} 0$/m.test(t), 'the refused reload');
    expect(sample(text, 'extguard_tls_certificate_expiry_timestamp_seconds')).to.equal(before);
    writeFileSync(join(dir, 'tls.key'), rotated.keyPem);
    const want = seconds(new X509Certificate(rotated.certPem).validToDate);
    text = await until(metricsPort, (t) => sample(t, 'extguard_tls_certificate_expiry_timestamp_seconds') === want, 'the new notAfter');
    expect(want - Date.now() / 1000).to.be.within(89 * DAY_S, 91 * DAY_S);
    expect(text).to.match(/^extguard_last_reload_successful\{what="certificate"\} 1$/m);
    expect(text).to.match(/extguard_reloads_total\{what="certificate",result="success"\} [1-9]/);
    expect(text).to.match(/extguard_reloads_total\{what="certificate",result="failure"\} [1-9]/);
    for (const pem of [rotated.keyPem, rotated.certPem, ca.keyPem]) {
      for (const line of pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(text).not.to.contain(line);
    }
    expect(text).not.to.contain('PRIVATE KEY');
  });

  it('says the last configuration reload failed until a good one is written', async () => {
    expect(await scrape(metricsPort)).to.match(/^extguard_last_reload_successful\{what="config"\} 1$/m);
    writeFileSync(join(dir, 'config.yaml'), 'defaultMode: sometimes\n');
    await until(metricsPort, (t) => /^extguard_last_reload_successful\{what="config"\} 0$/m.test(t), 'the refused config');
    writeFileSync(join(dir, 'config.yaml'), 'defaultMode: warn\n');
    await until(metricsPort, (t) => /^extguard_last_reload_successful\{what="config"\} 1$/m.test(t), 'the accepted config');
  });
});
