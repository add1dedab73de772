// Runs the built binary (bin/extguard.js -> dist/) as a user would, after `npm run build`.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FAKE_PASSWORD } from '../helpers/objects.ts';
import { bin, root, startServeProcess } from '../helpers/process.ts';

const examples = join(root, 'examples');

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', input, timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('extguard CLI (built binary)', function () {
  this.timeout(30000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'extguard-cli-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  describe('check', () => {
    it('exits 0 and prints the SPEC JSON for allowed workloads, with the injection patch', () => {
      const r = run(['check', '--format', 'json', '--declarations', join(examples, 'catalog.yaml'), join(examples, 'workloads', 'good.yaml')]);
      expect(r.code, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout);
      expect(report.summary).to.deep.equal({ objects: 1, denied: 0, warned: 0, mutated: 1 });
      const [res] = report.results;
      expect(Object.keys(res)).to.deep.equal(['apiVersion', 'kind', 'namespace', 'name', 'mode', 'allowed', 'violations', 'warnings', 'patch', 'file', 'line']);
      expect(res).to.include({ file: join(examples, 'workloads', 'good.yaml'), line: 3 });
      expect(res).to.include({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', mode: 'enforce', allowed: true });
      expect(res.patch[0]).to.include({ op: 'add', path: '/spec/template/spec/containers/0/env/1' });
    });

    it('exits 1 on a denial, with violations naming rule, container and path', () => {
      const r = run(['check', '--format', 'json', '--declarations', join(examples, 'catalog.yaml'), join(examples, 'workloads', 'bad.yaml')]);
      expect(r.code).to.equal(1);
      const [res] = JSON.parse(r.stdout).results;
      expect(res.allowed).to.equal(false);
      expect(res.violations.map((v: any) => [v.rule, v.container, v.path])).to.deep.equal([
        ['plaintext-credential', 'app', 'spec.template.spec.containers[0].env[0].value'],
        ['undeclared-external-host', 'app', 'spec.template.spec.containers[0].env[1].value'],
      ]);
      expect(r.stdout).not.to.contain('hunter2');
    });

    it('prints readable text by default, without the credential', () => {
      const r = run(['check', join(examples, 'workloads', 'bad.yaml')]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/^DENIED  Deployment shop\/reports \(mode enforce\)/);
      expect(r.stdout).to.contain('kind: Service');
      expect(r.stdout).to.contain('1 object(s): 1 denied');
      expect(r.stdout).not.to.contain('hunter2');
    });

    const teamManifests = (file: string): string => {
      writeFileSync(file, [
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {extguard.io/mode: warn}}',
        'apiVersion: v1\nkind: Service\nmetadata: {name: crm, namespace: team}\nspec: {type: ExternalName, externalName: crm.example.com}',
        'apiVersion: batch/v1\nkind: Job\nmetadata: {name: sync, namespace: team}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: s, image: x, args: ["--url=https://crm.example.com/api", "--other=https://undeclared.example.net"]}]}}}',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}',
      ].join('\n---\n'));
      return file;
    };

    it('with --trust-inputs, counts ExternalName Services and Namespaces among the inputs as cluster state, and lists them with the workloads', () => {
      const r = run(['check', '--trust-inputs', '--format', 'json', teamManifests(join(dir, 'all.yaml'))]);
      expect(r.code).to.equal(0);
      const report = JSON.parse(r.stdout);
      expect(report.results.map((x: any) => `${x.kind} ${x.name} ${x.allowed}`)).to.deep.equal(['Namespace team true', 'Service crm true', 'Job sync true']);
      const job = report.results[2];
      expect(job.mode).to.equal('warn');
      expect(job.violations.map((v: any) => v.message)).to.satisfy((m: string[]) => m.length === 1 && m[0]!.includes('undeclared.example.net'));
      expect(report.summary).to.deep.equal({ objects: 3, denied: 0, warned: 1, mutated: 0 });
    });

    it('by default, lets nothing among the inputs lower their own verdict: a mode:off Namespace or a declaration next to a bad workload', () => {
      const file = teamManifests(join(dir, 'gate.yaml'));
      const r = run(['check', '--format', 'json', file]);
      expect(r.code).to.equal(1);
      const job = JSON.parse(r.stdout).results.find((x: any) => x.kind === 'Job');
      expect([job.mode, job.allowed]).to.deep.equal(['enforce', false]);
      expect(job.violations.map((v: any) => v.path)).to.deep.equal(['spec.template.spec.containers[0].args[0]', 'spec.template.spec.containers[0].args[1]']);
      // The same declarations given as trusted state (--declarations) do count.
      const decl = join(dir, 'decl.yaml');
      writeFileSync(decl, 'apiVersion: v1\nkind: Service\nmetadata: {name: crm, namespace: team}\nspec: {type: ExternalName, externalName: crm.example.com}\n');
      const trusted = JSON.parse(run(['check', '--format', 'json', '--declarations', decl, file]).stdout).results.find((x: any) => x.kind === 'Job');
      expect(trusted.violations.map((v: any) => v.path)).to.deep.equal(['spec.template.spec.containers[0].args[1]']);
      // A stricter label among the inputs still applies: raising is always allowed.
      writeFileSync(file, readFileSync(file, 'utf8').replace('extguard.io/mode: warn', 'extguard.io/mode: enforce'));
      writeFileSync(join(dir, 'audit.yaml'), 'defaultMode: audit\n');
      const strict = run(['check', '--format', 'json', '--config', join(dir, 'audit.yaml'), file]);
      expect(JSON.parse(strict.stdout).results.find((x: any) => x.kind === 'Job').mode).to.equal('enforce');
    });

    it('catches a declaration no one may make before it is applied (invalid-declaration), and does not let it declare', () => {
      const file = join(dir, 'metadata.yaml');
      writeFileSync(file, [
        'apiVersion: v1\nkind: Service\nmetadata: {name: meta, namespace: shop}\nspec: {type: ExternalName, externalName: metadata.google.internal}',
        'apiVersion: v1\nkind: Service\nmetadata: {name: ip, namespace: shop}\nspec: {type: ExternalName, externalName: 93.184.216.9}',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: a, image: x, args: ["--dns-server=93.184.216.9:53"]}]}',
      ].join('\n---\n'));
      const r = run(['check', '--format', 'json', file]);
      expect(r.code).to.equal(1);
      const report = JSON.parse(r.stdout);
      expect(report.results.map((x: any) => [x.kind, x.name, x.allowed, x.violations.map((v: any) => `${v.rule} ${v.path}`)])).to.deep.equal([
        ['Service', 'meta', false, ['invalid-declaration spec.externalName']],
        ['Service', 'ip', false, ['invalid-declaration spec.externalName']],
        ['Pod', 'p', false, ['undeclared-external-host spec.containers[0].args[0]']],
      ]);
    });

    it('reads stdin and defaults the namespace to "default"', () => {
      const r = run(['check', '--format', 'json', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x}]}\n');
      expect(r.code).to.equal(0);
      expect(JSON.parse(r.stdout).results[0].namespace).to.equal('default');
    });

    const unusable: [string, string[], string | undefined, RegExp][] = [
      ['a missing file', ['check', '/nonexistent.yaml'], undefined, /no such file/],
      ['invalid YAML', ['check', '-'], 'kind: [unclosed\n', /not valid YAML/],
      ['a document without kind', ['check', '-'], 'foo: bar\n', /has no apiVersion\/kind/],
      ['an unreadable workload', ['check', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 3}\n', /spec\.containers: expected a list/],
      ['an unknown flag', ['check', '--colour', 'x.yaml'], undefined, /unknown option/],
      ['an unknown format', ['check', '--format', 'xml', 'x.yaml'], undefined, /Allowed choices are text, json/],
      // Setting a webhook configuration's failurePolicy needs the API server; nothing starts.
      ['serve --webhook-configuration without a cluster', ['serve', '--webhook-configuration', 'extguard', '--declarations', join(examples, 'catalog.yaml'), '--port', '0', '--metrics-port', '0'], undefined, /--webhook-configuration needs the cluster/],
    ];
    for (const [what, args, input, message] of unusable) {
      it(`exits 2 on ${what} with a clear message`, () => {
        const r = run(args, input);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(message);
      });
    }

    it('exits 2 on an invalid --config and names the problem', () => {
      const cfg = join(dir, 'bad-config.yaml');
      writeFileSync(cfg, 'defaultMode: sometimes\n');
      const r = run(['check', '--config', cfg, join(examples, 'workloads', 'good.yaml')]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/defaultMode: must be one of "enforce", "warn", "audit", "off"/);
    });
  });

  describe('mutate', () => {
    it('prints every manifest, workloads with the injected env', () => {
      const r = run(['mutate', '--declarations', join(examples, 'catalog.yaml'), join(examples, 'workloads', 'good.yaml')]);
      expect(r.code, r.stderr).to.equal(0);
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
      expect(docs).to.have.length(1);
      expect(docs[0].spec.template.spec.containers[0].env.map((e: any) => e.name)).to.deep.equal(
        ['LOG_LEVEL', 'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD', 'PAYMENTS_API_HOST', 'PAYMENTS_API_PORT', 'PAYMENTS_API_API_KEY']);
    });

    it('keeps comments and layout: each document is printed from its own parse tree with the patch applied', () => {
      const r = run(['mutate', '--declarations', join(examples, 'catalog.yaml'), join(examples, 'workloads', 'good.yaml')]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^# Asks for the declared database and payments API; extguard injects host, port and\n/);
      expect(r.stdout).to.contain('  selector: { matchLabels: { app: web } }\n');
      const two = run(['mutate', '-'], '--- # first\napiVersion: v1\nkind: ConfigMap # the kind\nmetadata: {name: a}\n---\n# second\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
      expect(two.stdout).to.equal('# first\napiVersion: v1\nkind: ConfigMap # the kind\nmetadata: { name: a }\n---\n# second\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: b }\n');
    });

    it('is idempotent: mutating its own output changes nothing', () => {
      const first = run(['mutate', '--declarations', join(examples, 'catalog.yaml'), join(examples, 'workloads', 'good.yaml')]);
      const second = run(['mutate', '--declarations', join(examples, 'catalog.yaml'), '-'], first.stdout);
      expect(second.stdout).to.equal(first.stdout);
    });
  });

  describe('certs', () => {
    it('writes a CA and a serving certificate for the Service DNS names and prints the caBundle', () => {
      const out = join(dir, 'certs');
      const r = run(['certs', '--service', 'eg', '--namespace', 'sys', '--out-dir', out]);
      expect(r.code, r.stderr).to.equal(0);
      const bundle = /caBundle: (\S+)/.exec(r.stdout)![1]!;
      expect(Buffer.from(bundle, 'base64').toString()).to.equal(readFileSync(join(out, 'ca.crt'), 'utf8'));
      const cert = new X509Certificate(readFileSync(join(out, 'tls.crt')));
      expect(cert.subjectAltName).to.contain('DNS:eg.sys.svc').and.contain('DNS:eg.sys.svc.cluster.local');
      expect(cert.verify(new X509Certificate(readFileSync(join(out, 'ca.crt'))).publicKey)).to.equal(true);
    });

    describe('run again on the same directory (rotation)', () => {
      const pems = (bundle: string) => Buffer.from(bundle, 'base64').toString().match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
      const issuedBy = (out: string, caPem: string) => new X509Certificate(readFileSync(join(out, 'tls.crt'))).verify(new X509Certificate(caPem).publicKey);
      let out: string;
      let first: { bundle: string; ca: string; tls: string };
      beforeEach(() => {
        out = mkdtempSync(join(dir, 'rotate-'));
        const r = run(['certs', '--out-dir', out]);
        expect(r.code, r.stderr).to.equal(0);
        first = { bundle: /caBundle: (\S+)/.exec(r.stdout)![1]!, ca: readFileSync(join(out, 'ca.crt'), 'utf8'), tls: readFileSync(join(out, 'tls.crt'), 'utf8') };
      });

      it('reuses the CA: a new serving certificate, the same caBundle, keys still 0600', () => {
        chmodSync(join(out, 'tls.key'), 0o644);
        const r = run(['certs', '--out-dir', out]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.contain('reused the CA');
        expect(/caBundle: (\S+)/.exec(r.stdout)![1]).to.equal(first.bundle);
        expect(readFileSync(join(out, 'ca.crt'), 'utf8')).to.equal(first.ca);
        expect(readFileSync(join(out, 'tls.crt'), 'utf8')).not.to.equal(first.tls);
        expect(issuedBy(out, first.ca)).to.equal(true);
        for (const key of ['tls.key', 'ca.key']) expect(statSync(join(out, key)).mode & 0o777, key).to.equal(0o600);
      });

      it('--new-ca: the caBundle trusts the new CA and, while it is valid, the previous one', () => {
        const r = run(['certs', '--out-dir', out, '--new-ca']);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.contain('replaced the CA');
        const newCa = readFileSync(join(out, 'ca.crt'), 'utf8');
        expect(newCa).not.to.equal(first.ca);
        expect(pems(/caBundle: (\S+)/.exec(r.stdout)![1]!)).to.deep.equal([newCa.trim(), first.ca.trim()]);
        expect(issuedBy(out, newCa)).to.equal(true);
      });

      it('without ca.key: a new CA, and the caBundle still trusts the old ca.crt', () => {
        rmSync(join(out, 'ca.key'));
        const r = run(['certs', '--out-dir', out]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.contain('replaced the CA');
        expect(pems(/caBundle: (\S+)/.exec(r.stdout)![1]!)).to.deep.equal([readFileSync(join(out, 'ca.crt'), 'utf8').trim(), first.ca.trim()]);
      });

      it('replaces a CA that would expire before the new certificate', () => {
        const r = run(['certs', '--out-dir', out, '--days', '4000']); // the first CA lasts 3650 days
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.contain('replaced the CA');
        expect(pems(/caBundle: (\S+)/.exec(r.stdout)![1]!)).to.have.length(2);
      });

      it('refuses a CA whose key does not match, and writes nothing', () => {
        const other = mkdtempSync(join(dir, 'other-'));
        expect(run(['certs', '--out-dir', other]).code).to.equal(0);
        writeFileSync(join(out, 'ca.key'), readFileSync(join(other, 'ca.key')));
        const r = run(['certs', '--out-dir', out]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/cannot reuse the CA in .*the key does not belong to the certificate/);
        expect(readFileSync(join(out, 'tls.crt'), 'utf8')).to.equal(first.tls);
      });
    });
  });

  describe('serve', () => {
    it('answers AdmissionReviews over HTTPS with the given flags and stops on SIGTERM', async () => {
      const certs = join(dir, 'serve-certs');
      run(['certs', '--out-dir', certs, '--ip', '127.0.0.1', '--dns-name', 'localhost']);
      const cfg = join(dir, 'serve-config.yaml');
      writeFileSync(cfg, 'defaultMode: enforce\n');
      const proc = await startServeProcess(['--declarations', join(examples, 'catalog.yaml'), '--tls-cert', join(certs, 'tls.crt'), '--tls-key', join(certs, 'tls.key'),
        '--config', cfg, '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1']);
      const port = proc.port;
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'cli-1', operation: 'CREATE', namespace: 'shop', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', env: [{ name: 'API_TOKEN', value: FAKE_PASSWORD }] }] } } } });
      const res = await new Promise<any>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/validate', method: 'POST', ca: readFileSync(join(certs, 'ca.crt')), servername: 'localhost', headers: { 'content-type': 'application/json' } }, (r) => {
          let t = '';
          r.on('data', (c: Buffer) => { t += c.toString(); });
          r.on('end', () => resolve(JSON.parse(t)));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(res.response).to.include({ uid: 'cli-1', allowed: false });
      expect(await proc.stop()).to.equal(0);
      expect(proc.logs()).not.to.contain(FAKE_PASSWORD);
      expect(proc.logs()).to.contain('"msg":"denied"');
    });

    it('refuses to start on a missing certificate with a clear message', () => {
      const r = run(['serve', '--tls-cert', '/nope.crt', '--tls-key', '/nope.key', '--port', '0', '--metrics-port', '0']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(/cannot read TLS certificate \/nope\.crt: ENOENT/);
      // The container image's default command points at a mount: the message names the flags and the mount.
      expect(r.stderr).to.contain('--tls-cert and --tls-key name the serving certificate and key');
      expect(r.stderr).to.contain('/etc/extguard/tls/tls.crt');
    });

    it('without --tls-cert in a directory it cannot write, says what to pass instead of EACCES', () => {
      // The image's /app is root-owned and the process runs as 65532. Root writes anywhere, so
      // as root the child drops to 65532 the way the image runs.
      const cwd = mkdtempSync(join(tmpdir(), 'extguard-ro-'));
      chmodSync(cwd, 0o555);
      try {
        const asNonroot = process.getuid?.() === 0 ? ['setpriv', '--reuid', '65532', '--regid', '65532', '--clear-groups'] : [];
        const [cmd, ...args] = [...asNonroot, process.execPath, bin, 'serve', '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1'];
        const r = spawnSync(cmd!, args, { cwd, encoding: 'utf8', timeout: 30000 });
        expect(r.status, r.stderr).to.equal(2);
        expect(r.stderr).to.contain(`the development certificate cannot be written to ${join(cwd, 'certs')} (EACCES)`);
        expect(r.stderr).to.contain('--tls-cert=/etc/extguard/tls/tls.crt --tls-key=/etc/extguard/tls/tls.key');
        expect(r.stderr).not.to.match(/EACCES: permission denied, mkdir/);
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    });
  });
});
