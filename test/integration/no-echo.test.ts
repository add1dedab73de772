// Passwords can look like hosts, addresses and URLs. Planted in every place a container carries
// text (env under a credential's name, a variable that flows into one through $(VAR), a CLI
// flag, a probe's exec command, an Authorization header), each is reported, and none shows up
// in any output channel: the AdmissionReview (message, warnings, audit annotations), the
// server's logs, /metrics, and `extguard check` in text and JSON.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest, type Agent } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { echoes } from '../helpers/fuzz.ts';
import { PLACES, plantedValue, SHAPES } from '../helpers/planted.ts';
import { bin, root, startTlsServeProcess, type ServeProcess, type TlsServeProcess } from '../helpers/process.ts';

// Assembled at run time: the test source holds nothing a scanner would take for a credential.
const HOST_PW = ['summer', '2024', 'vault', '.io'].join('');
const IP_PW = ['203', '0', '113', '77'].join('.');
const URL_PW = ['https://', 'quietmeadow', 'lantern', '.example.com'].join('');
const FLOW_PW = ['autumn', '77', 'harbor', '.dev'].join('');
const FLAG_PW = ['winter', '2025', 'beacon', '.net'].join('');
const PROBE_PW = ['198', '51', '100', '23'].join('.');
const HEADER_PW = ['spring', '42', 'orchard', '.co.uk'].join('');
const SECRETS = [HOST_PW, IP_PW, URL_PW, FLOW_PW, FLAG_PW, PROBE_PW, HEADER_PW];

function leakyPod(namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'leaky', namespace },
    spec: {
      containers: [{
        name: 'app', image: 'registry.example.com/app:1',
        env: [
          { name: 'DB_PASSWORD', value: HOST_PW },
          { name: 'API_TOKEN', value: IP_PW },
          { name: 'CLIENT_SECRET', value: URL_PW },
          // A host position (issue 20: a name that says nothing would only be a shape) whose
          // value becomes a password.
          { name: 'CACHE_HOST', value: FLOW_PW },
          { name: 'REDIS_PASSWORD', value: '$(CACHE_HOST)' },
        ],
        args: ['--password', FLAG_PW],
        livenessProbe: { exec: { command: ['redis-cli', '-a', PROBE_PW, 'ping'] } },
        readinessProbe: { httpGet: { path: '/ready', port: 8080, httpHeaders: [{ name: 'Authorization', value: `Bearer ${HEADER_PW}` }] } },
      }],
    },
  };
}

/**
 * Every planted credential is reported at its own place: as a plaintext credential, or as an
 * undeclared host that is not shown (the URL under CLIENT_SECRET, which the credential rule takes
 * for a setting, and CACHE_HOST, whose value becomes REDIS_PASSWORD).
 */
const REPORTED_PATHS = [
  'spec.containers[0].env[0].value', 'spec.containers[0].env[1].value', 'spec.containers[0].env[2].value',
  'spec.containers[0].env[3].value', 'spec.containers[0].env[4].value', 'spec.containers[0].args[1]', 'spec.containers[0].livenessProbe.exec.command[2]',
  'spec.containers[0].readinessProbe.httpGet.httpHeaders[0].value',
];

function expectNoEcho(channel: string, text: string): void {
  for (const s of SECRETS) expect(echoes(text, s), `${channel} echoes a planted credential (${s.slice(0, 3)}…)`).to.equal(false);
}

describe('no output channel echoes a credential shaped like a host, an address or a URL', function () {
  this.timeout(60_000);
  let server: TlsServeProcess;
  let proc: ServeProcess;
  let agent: Agent;
  let dir: string;

  before(async () => {
    const declarations = ['warn', 'audit'].map((m) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-${m}\n  labels:\n    extguard.io/mode: ${m}\n`).join('---\n');
    server = await startTlsServeProcess({ 'declarations.yaml': declarations }, (d) => ['--declarations', join(d, 'declarations.yaml')]);
    ({ proc, agent, dir } = server);
  });

  after(async () => { await server?.stop(); });

  const post = (path: string, body: unknown): Promise<string> => new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: proc.port, path, method: 'POST', servername: 'localhost', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });

  const reviewOf = (namespace: string, uid: string) => ({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, namespace, name: 'leaky', operation: 'CREATE', object: leakyPod(namespace), userInfo: { username: 'tenant', groups: ['tenants'] } },
  });

  for (const [namespace, mode] of [['ns-enforce', 'enforce'], ['ns-warn', 'warn'], ['ns-audit', 'audit']] as const) {
    it(`reports every planted credential in ${mode} mode, and the review echoes none`, async () => {
      const text = await post('/validate', reviewOf(namespace, `uid-${mode}`));
      const response = JSON.parse(text).response;
      expect(response.allowed).to.equal(mode !== 'enforce');
      // Where the rules' output lands in each mode: the message (enforce), warnings (enforce,
      // warn), audit annotations (audit). Every planted place is named there.
      const where = mode === 'audit' ? response.auditAnnotations.violations : (response.warnings as string[]).join('\n');
      for (const p of REPORTED_PATHS) {
        expect(where, p).to.match(mode === 'audit' ? new RegExp(`"container":"app","path":"${p.replace(/[.[\]]/g, '\\$&')}"`) : new RegExp(`\\] container "app" ${p.replace(/[.[\]]/g, '\\$&')}:`));
      }
      expectNoEcho(`/validate (${mode})`, text);
      expectNoEcho('/mutate', await post('/mutate', reviewOf(namespace, `uid-m-${mode}`)));
    });
  }

  it('leaves nothing in the logs or /metrics', async () => {
    const metrics = await server.metrics();
    expect(metrics).to.match(/extguard_violations_total\{[^}]*rule="plaintext-credential"/);
    expect(proc.logs()).to.contain('spec.containers[0].livenessProbe.exec.command[2]');
    expectNoEcho('/metrics', metrics);
    expectNoEcho('the server logs', proc.logs());
  });

  it('extguard check prints none, in text or JSON', () => {
    const file = join(dir, 'pod.json');
    writeFileSync(file, JSON.stringify(leakyPod('default')));
    for (const format of ['text', 'json']) {
      const r = spawnSync(process.execPath, [bin, 'check', '--format', format, file], { cwd: root, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(1);
      if (format === 'json') {
        const found = JSON.parse(r.stdout).results[0].violations.map((v: { path: string }) => v.path);
        expect(new Set(found)).to.have.keys(REPORTED_PATHS);
      }
      for (const p of REPORTED_PATHS) expect(r.stdout, p).to.contain(p);
      expectNoEcho(`check --format ${format}`, r.stdout + r.stderr);
    }
  });

  // Every place the project knows (test/helpers/planted.ts), each in a host, an address and a
  // URL shape, through the real server and CLI. Detection is the rules' work; here only
  // "never echoed" is asserted (and a place's field is named where it is detected today).
  const planted = PLACES.flatMap((place, n) => SHAPES
    .filter((shape) => !place.knownEcho?.shapes.includes(shape))
    .map((shape) => ({ place, shape, secret: plantedValue(shape, n), objects: place.objects(plantedValue(shape, n)) })));
  const placed = (objects: Record<string, unknown>[], namespace: string, name: string): Record<string, unknown>[] =>
    objects.map((o) => ({ ...o, metadata: { ...(o['metadata'] as object), namespace, ...(o['kind'] === 'Pod' ? { name } : {}) } }));
  const expectNoneEchoed = (channel: string, text: string, secrets: readonly string[]): void => {
    for (const s of secrets) expect(echoes(text, s), `${channel} echoes a planted credential (${s.slice(0, 3)}…)`).to.equal(false);
  };

  it('every known credential place, in three shapes: no review, log line or /metrics echoes one', async () => {
    let i = 0;
    for (const { objects, secret, place, shape } of planted) {
      for (const namespace of ['ns-enforce', 'ns-warn', 'ns-audit']) {
        for (const object of placed(objects, namespace, `planted-${i++}`)) {
          const kind = object['kind'] as string;
          const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: `p-${i}`, kind: { group: '', version: 'v1', kind }, namespace, name: 'planted', operation: 'CREATE', object, userInfo: { username: 'tenant', groups: ['tenants'] } } };
          expectNoneEchoed(`/validate ${place.name} (${shape}, ${namespace})`, await post('/validate', review), [secret]);
          expectNoneEchoed(`/mutate ${place.name} (${shape}, ${namespace})`, await post('/mutate', review), [secret]);
        }
      }
    }
    const secrets = planted.map((p) => p.secret);
    expectNoneEchoed('/metrics', await server.metrics(), secrets);
    expectNoneEchoed('the server logs', proc.logs(), secrets);
  });

  it('every known credential place, in three shapes: check in text, JSON, SARIF and policy-report formats echoes none, and mutate adds none', () => {
    const file = join(dir, 'planted.yaml');
    const objects = planted.flatMap((p, i) => placed(p.objects, 'default', `planted-${i}`));
    writeFileSync(file, objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
    const secrets = planted.map((p) => p.secret);
    for (const format of ['text', 'json', 'sarif', 'policyreport']) {
      const r = spawnSync(process.execPath, [bin, 'check', '--format', format, file], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(r.status, r.stderr).to.equal(1);
      expectNoneEchoed(`check --format ${format}`, r.stdout + r.stderr, secrets);
      if (format === 'json') {
        const found = new Set<string>(JSON.parse(r.stdout).results.flatMap((x: { name: string; violations: { path: string }[] }) => x.violations.map((v) => `${x.name} ${v.path}`)));
        planted.forEach((p, i) => {
          if (!p.place.reported || !(p.place.reportedShapes ?? SHAPES).includes(p.shape)) return;
          expect([...found].some((f) => f.startsWith(`planted-${i} ${p.place.reported}`)), `${p.place.name} (${p.shape})`).to.equal(true);
        });
      }
    }
    const m = spawnSync(process.execPath, [bin, 'mutate', file], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(m.status, m.stderr).to.equal(0);
    expectNoneEchoed('mutate (stderr)', m.stderr, secrets);
    for (const s of secrets) {
      const count = (t: string): number => t.split(s).length - 1;
      expect(count(m.stdout), 'mutate output holds a planted credential more often than its input').to.be.at.most(count(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n')));
    }
  });
});
