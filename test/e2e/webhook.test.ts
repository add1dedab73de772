// extguard proven through a real kube-apiserver: the API server calls the webhook over HTTPS,
// checks apiVersion/kind/uid, applies the base64 JSONPatch, turns denials into API errors and
// warnings into Warning headers, and sends dryRun.
//
// extguard is installed from the shipped manifests as the README says (install.ts): the
// webhook configurations, Service, RBAC and certificates under test are the ones users get.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { ControlPlane } from './cluster.ts';
import { installSelfSigned, runInstalledPod, NAMESPACE, type Installation, type InstalledPod } from './install.ts';
import { sharedControlPlane } from './hooks.ts';

// Built at run time so the test source holds no credential-shaped literal.
const SECRET = ['e2e', 'Plain', 'Text', '-9f2c', 'Zq'].join('');

const CONFIG = `defaultMode: enforce
exemptNamespaces: [kube-system, kube-public, kube-node-lease, extguard-system, e2e-exempt]
`;

type Obj = Record<string, unknown>;

function podManifest(name: string, namespace: string, opts: { annotations?: Record<string, string>; env?: Obj[]; args?: string[] } = {}): Obj {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', ...(opts.env ? { env: opts.env } : {}), ...(opts.args ? { args: opts.args } : {}) }] },
  };
}

function externalName(name: string, namespace: string, host: string, annotations: Record<string, string> = {}): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, annotations }, spec: { type: 'ExternalName', externalName: host, ports: [{ port: 5432 }] } };
}

const leakyEnv = () => [{ name: 'DB_PASSWORD', value: SECRET }];

describe('extguard through a real kube-apiserver', function () {
  let cp: ControlPlane;
  let installation: Installation | undefined;
  let hook: InstalledPod;
  const apply = (obj: Obj, ...flags: string[]) => cp.kubectl(['apply', ...flags, '-f', '-'], { input: JSON.stringify(obj) });
  const create = (obj: Obj, ...flags: string[]) => cp.kubectl(['create', ...flags, '-f', '-'], { input: JSON.stringify(obj) });
  const getJson = async (kind: string, name: string, ns: string): Promise<any> => {
    const r = await cp.kubectl(['get', kind, name, '-n', ns, '-o', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout);
  };

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    for (const [ns, mode] of [['e2e-enforce', 'enforce'], ['e2e-warn', 'warn'], ['e2e-audit', 'audit'], ['e2e-off', 'off'], ['e2e-exempt', 'enforce']] as const) {
      const r = await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'extguard.io/mode': mode } } });
      expect(r.code, r.stderr).to.equal(0);
    }
    for (const ns of ['e2e-enforce', 'e2e-warn', 'e2e-off']) {
      const r = await apply(externalName('external-db', ns, 'my-database.example.com', { 'extguard.io/secret': 'db-credentials', 'extguard.io/env-prefix': 'DB' }));
      expect(r.code, r.stderr).to.equal(0);
    }
    installation = await installSelfSigned(cp, { config: CONFIG });
    hook = await runInstalledPod(cp);
    // The API server picks up webhook configurations asynchronously: wait until a probe is judged.
    const probe = podManifest('probe', 'e2e-enforce', { env: leakyEnv() });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await create(probe, '--dry-run=server');
      if (r.code !== 0 && r.stderr.includes('extguard denied')) break;
      if (Date.now() > deadline) throw new Error(`webhook never judged the probe: ${r.stdout}${r.stderr}\n${hook.logs()}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  });

  after(async function () {
    this.timeout(30_000);
    await hook?.stop();
    await installation?.uninstall();
  });

  describe('the installation', () => {
    it('gets ready: informers sync with only the shipped ServiceAccount RBAC', async () => {
      const deadline = Date.now() + 30_000;
      let r = await hook.get('/readyz');
      while (r.status !== 200 && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 250));
        r = await hook.get('/readyz');
      }
      expect(r.status, `${r.body}\n${hook.logs()}`).to.equal(200);
    });

    it('serves the webhooks through the shipped Service, verified against the patched caBundle', async () => {
      // The probe in before() was judged, so the API server reached extguard; make the path explicit.
      const cfg = await getJson('mutatingwebhookconfiguration', 'extguard', NAMESPACE);
      expect(cfg.webhooks[0].clientConfig).to.include.keys('service', 'caBundle');
      expect(cfg.webhooks[0].clientConfig).not.to.have.key('url');
      expect(hook.logs()).to.contain('"endpoint":"validate"');
    });
  });

  describe('injection', () => {
    const injected = [
      { name: 'DB_HOST', value: 'external-db' },
      { name: 'DB_PORT', value: '5432' },
      { name: 'DB_USER', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'username' } } },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
    ];
    const strip = (env: any[]) => env.map((e) => (e.valueFrom ? { name: e.name, valueFrom: { secretKeyRef: { name: e.valueFrom.secretKeyRef.name, key: e.valueFrom.secretKeyRef.key } } } : e));

    it('stores a Pod with the injected env', async () => {
      const r = await apply(podManifest('injected', 'e2e-enforce', { annotations: { 'extguard.io/inject': 'external-db' }, env: [{ name: 'LOG_LEVEL', value: 'info' }] }));
      expect(r.code, r.stderr).to.equal(0);
      const pod = await getJson('pod', 'injected', 'e2e-enforce');
      expect(strip(pod.spec.containers[0].env)).to.deep.equal([{ name: 'LOG_LEVEL', value: 'info' }, ...injected]);
    });

    it('stores a Deployment with the injected env in its pod template, and re-applying changes nothing', async () => {
      const deploy = {
        apiVersion: 'apps/v1', kind: 'Deployment',
        metadata: { name: 'web', namespace: 'e2e-enforce', annotations: { 'extguard.io/inject': 'external-db' } },
        spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1.0' }] } } },
      };
      expect((await apply(deploy)).code).to.equal(0);
      const first = await getJson('deployment', 'web', 'e2e-enforce');
      expect(strip(first.spec.template.spec.containers[0].env)).to.deep.equal(injected);
      const again = await apply(deploy);
      expect(again.code, again.stderr).to.equal(0);
      const second = await getJson('deployment', 'web', 'e2e-enforce');
      expect(second.metadata.generation).to.equal(first.metadata.generation);
    });

    it('stores a CronJob with the injected env in its job template', async () => {
      const cron = {
        apiVersion: 'batch/v1', kind: 'CronJob',
        metadata: { name: 'nightly', namespace: 'e2e-enforce' },
        spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { metadata: { annotations: { 'extguard.io/inject': 'external-db' } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'job', image: 'registry.example.com/job:1.0' }] } } } } },
      };
      const r = await apply(cron);
      expect(r.code, r.stderr).to.equal(0);
      const got = await getJson('cronjob', 'nightly', 'e2e-enforce');
      expect(strip(got.spec.jobTemplate.spec.template.spec.containers[0].env)).to.deep.equal(injected);
    });

    it('denies an injection request for a Service that does not exist', async () => {
      const r = await apply(podManifest('ghost', 'e2e-enforce', { annotations: { 'extguard.io/inject': 'ghost-db' } }));
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('unknown-external-service').and.contain('ghost-db');
    });
  });

  describe('enforce', () => {
    it('denies a plaintext credential; the API error names container and path, never the value', async () => {
      const r = await apply(podManifest('leaky', 'e2e-enforce', { env: leakyEnv() }));
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('denied the request').and.contain('container "app"').and.contain('spec.containers[0].env[0].value');
      expect(r.stdout + r.stderr).not.to.contain(SECRET);
      expect(hook.logs()).not.to.contain(SECRET);
      const gone = await cp.kubectl(['get', 'pod', 'leaky', '-n', 'e2e-enforce']);
      expect(gone.stderr).to.match(/NotFound/);
    });

    it('denies an undeclared external host, then allows it once an ExternalName Service declares it', async function () {
      this.timeout(60_000);
      const pod = podManifest('partner', 'e2e-enforce', { args: ['--upstream=https://api.partner-e2e.example.net/v1'] });
      const denied = await apply(pod);
      expect(denied.code).to.not.equal(0);
      expect(denied.stderr).to.contain('undeclared external host "api.partner-e2e.example.net"').and.contain('type: ExternalName');

      expect((await apply(externalName('partner', 'e2e-enforce', 'api.partner-e2e.example.net'))).code).to.equal(0);
      const declaredAt = Date.now();
      let attempts = 0;
      for (;;) {
        attempts++;
        const r = await apply(pod);
        if (r.code === 0) break;
        if (Date.now() - declaredAt > 30_000) throw new Error(`still denied after 30 s: ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 50));
      }
      const ms = Date.now() - declaredAt;
      console.log(`      informer pick-up: allowed ${ms} ms after the ExternalName Service was created (${attempts} attempt(s))`);
    });
  });

  describe('warn and dry run', () => {
    it('allows in a warn namespace and kubectl prints the warnings', async () => {
      const r = await apply(podManifest('warned', 'e2e-warn', { env: leakyEnv() }));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/Warning: \[plaintext-credential\] container "app" spec\.containers\[0\]\.env\[0\]\.value/);
      expect(r.stderr).not.to.contain(SECRET);
    });

    it('denies a ConfigMap holding a plaintext password in enforce: the error names the key and its format, never the value', async () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'leaky-config', namespace: 'e2e-enforce' }, data: { LOG_LEVEL: 'info', 'application.properties': `spring.datasource.password=${SECRET}\n` } };
      const r = await apply(cm);
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.contain('denied the request').and.contain('ConfigMap e2e-enforce/leaky-config').and.contain('"application.properties"').and.contain('Java properties');
      expect(r.stdout + r.stderr).not.to.contain(SECRET);
      expect(hook.logs()).not.to.contain(SECRET);
      const gone = await cp.kubectl(['get', 'configmap', 'leaky-config', '-n', 'e2e-enforce']);
      expect(gone.stderr).to.match(/NotFound/);
    });

    it('admits a ConfigMap holding a plaintext password in a warn namespace, and kubectl prints the warning', async () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warned-config', namespace: 'e2e-warn' }, data: { DB_PASSWORD: SECRET } };
      const r = await apply(cm);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/Warning: \[plaintext-credential\] data\.DB_PASSWORD/);
      expect(r.stdout + r.stderr).not.to.contain(SECRET);
    });

    it('admits ordinary ConfigMaps in enforce, hosts included', async () => {
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'e2e-enforce' }, data: { API_URL: 'https://undeclared.example.net', 'app.properties': 'db.password=${DB_PASSWORD}\n' } };
      const r = await apply(cm);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).not.to.contain('Warning');
    });

    it('kubectl apply --dry-run=server prints the same warnings, reaches the webhook with dryRun and stores nothing', async () => {
      const r = await apply(podManifest('dry', 'e2e-warn', { env: leakyEnv() }), '--dry-run=server');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('(server dry run)');
      expect(r.stderr).to.match(/Warning: \[plaintext-credential\]/);
      const line = hook.logs().split('\n').find((l) => l.includes('"name":"dry"') && l.includes('"endpoint":"validate"'));
      expect(line, 'webhook log line for the dry-run request').to.be.a('string');
      expect(JSON.parse(line!)).to.include({ dryRun: true, mode: 'warn', allowed: true });
      const gone = await cp.kubectl(['get', 'pod', 'dry', '-n', 'e2e-warn']);
      expect(gone.stderr).to.match(/NotFound/);
    });

    it('a denied dry run in enforce gives the same error as a real create', async () => {
      const pod = podManifest('leaky-dry', 'e2e-enforce', { env: leakyEnv() });
      const dry = await create(pod, '--dry-run=server');
      const real = await create(pod);
      expect(dry.code).to.not.equal(0);
      expect(dry.stderr.replace(/\s+/g, ' ')).to.equal(real.stderr.replace(/\s+/g, ' '));
    });
  });

  describe('audit, off and exempt', () => {
    it('audit mode allows and leaves audit annotations in the API server audit log', async function () {
      this.timeout(30_000);
      const r = await apply(podManifest('audited', 'e2e-audit', { env: leakyEnv() }));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).not.to.contain('Warning');
      let event: any;
      const deadline = Date.now() + 10_000;
      while (!event && Date.now() < deadline) {
        event = readFileSync(cp.auditLogPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
          .find((e) => e.verb === 'create' && e.objectRef?.name === 'audited' && e.objectRef?.namespace === 'e2e-audit' && e.stage === 'ResponseComplete');
        if (!event) await new Promise((res) => setTimeout(res, 200));
      }
      expect(event, 'audit event for the create').to.be.an('object');
      const key = Object.keys(event.annotations ?? {}).find((k) => k.endsWith('/violations'));
      expect(key, JSON.stringify(event.annotations)).to.be.a('string');
      expect(JSON.parse(event.annotations[key!])).to.deep.equal([{ rule: 'plaintext-credential', container: 'app', path: 'spec.containers[0].env[0].value' }]);
      expect(readFileSync(cp.auditLogPath, 'utf8')).not.to.contain(SECRET);
    });

    for (const ns of ['e2e-off', 'e2e-exempt']) {
      it(`${ns === 'e2e-off' ? 'mode off' : 'an exempt namespace'}: allowed and untouched`, async () => {
        const r = await apply(podManifest('untouched', ns, { annotations: { 'extguard.io/inject': 'external-db' }, env: leakyEnv() }));
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).not.to.contain('Warning');
        const pod = await getJson('pod', 'untouched', ns);
        expect(pod.spec.containers[0].env.map((e: any) => e.name)).to.deep.equal(['DB_PASSWORD']);
      });
    }
  });

  describe("certificate renewal as the README says (extguard certs again, kubectl apply -k)", () => {
    const judged = async (): Promise<void> => {
      const r = await create(podManifest('renewal-probe', 'e2e-enforce', { env: leakyEnv() }), '--dry-run=server');
      expect(r.stderr, 'the API server reached extguard and trusted it').to.contain('extguard denied');
    };
    for (const [label, flags] of [['the CA is reused', []], ['--new-ca', ['--new-ca']]] as const) {
      it(`${label}: no request fails before or after the kubelet syncs the new Secret`, async function () {
        this.timeout(60_000);
        const before = await hook.servedCertificate();
        await installation!.renewCertificates(...flags);
        // The window in which the API server has the new configuration and the Pod still
        // serves the old certificate (a kubelet takes up to a minute to sync a Secret).
        for (const stop = Date.now() + 2000; Date.now() < stop;) await judged();
        await hook.syncVolumes();
        const deadline = Date.now() + 20_000;
        let served = await hook.servedCertificate();
        while (served.serialNumber === before.serialNumber) {
          if (Date.now() > deadline) throw new Error(`the new certificate was not picked up: ${hook.logs()}`);
          await judged();
          served = await hook.servedCertificate();
        }
        await judged();
        expect(served.checkHost(`extguard.${NAMESPACE}.svc`)).to.equal(`extguard.${NAMESPACE}.svc`);
      });
    }
  });

  describe('configuration hot reload (kubectl edit of the ConfigMap, no restart)', () => {
    const setConfig = async (config: string) => {
      const r = await cp.kubectl(['patch', 'configmap', 'extguard-config', '-n', NAMESPACE, '--type', 'merge', '-p', JSON.stringify({ data: { 'config.yaml': config } })]);
      expect(r.code, r.stderr).to.equal(0);
      await hook.syncVolumes();
    };
    const leakyDryRun = () => create(podManifest('reload-probe', 'e2e-later', { env: leakyEnv() }), '--dry-run=server');
    before(async () => {
      const r = await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-later' } });
      expect(r.code, r.stderr).to.equal(0);
    });
    after(async () => { await setConfig(CONFIG); });

    it('a valid change takes effect; an invalid one is refused and the last good one stays', async function () {
      this.timeout(60_000);
      expect((await leakyDryRun()).stderr, 'defaultMode enforce').to.contain('extguard denied');
      await setConfig(CONFIG.replace('e2e-exempt]', 'e2e-exempt, e2e-later]'));
      const deadline = Date.now() + 20_000;
      let r = await leakyDryRun();
      while (r.code !== 0) {
        if (Date.now() > deadline) throw new Error(`the new exemption never applied: ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 250));
        r = await leakyDryRun();
      }
      await setConfig('defaultMode: enforce-ish\n');
      const refusedBy = Date.now() + 20_000;
      while (!hook.logs().includes('configuration change refused')) {
        if (Date.now() > refusedBy) throw new Error(`the invalid change was not refused: ${hook.logs()}`);
        await new Promise((res) => setTimeout(res, 250));
      }
      expect((await leakyDryRun()).code, 'still exempt under the last good configuration').to.equal(0);
    });
  });

  // A crash, not a graceful stop: SIGKILL leaves no time to hand the webhooks back to Ignore,
  // so the failurePolicy the replica set once Ready stays (install-window.test.ts covers the
  // graceful stop and the window before the first Ready replica).
  describe('with the webhook crashed', () => {
    before(async function () {
      this.timeout(30_000);
      hook.child.kill('SIGKILL');
      await hook.exited;
    });

    it('failurePolicy Fail, set by the replica once it was Ready: covered objects in judged namespaces are refused, with the reason', async () => {
      const cfg = await getJson('validatingwebhookconfiguration', 'extguard', NAMESPACE);
      expect(cfg.webhooks.find((w: any) => w.name === 'validate.extguard.io')?.failurePolicy).to.equal('Fail');
      const r = await apply(podManifest('while-down', 'e2e-enforce'));
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(/failed calling webhook "(mutate|validate)\.extguard\.io"/);
    });

    it('kube-system is never blocked', async () => {
      const r = await apply(podManifest('while-down', 'kube-system', { env: leakyEnv() }));
      expect(r.code, r.stderr).to.equal(0);
    });

    it('kinds the webhook does not cover are never blocked', async () => {
      const r = await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'while-down', namespace: 'e2e-enforce' }, stringData: { a: 'b' } });
      expect(r.code, r.stderr).to.equal(0);
    });

    it('ConfigMap writes are not blocked (failurePolicy Ignore): controllers keep working while extguard is down', async () => {
      const cfg = await getJson('validatingwebhookconfiguration', 'extguard', NAMESPACE);
      expect(cfg.webhooks.find((w: any) => w.name === 'configmaps.extguard.io')?.failurePolicy).to.equal('Ignore');
      const r = await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'while-down', namespace: 'e2e-enforce' }, data: { a: 'b' } });
      expect(r.code, r.stderr).to.equal(0);
      const u = await apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'while-down', namespace: 'e2e-enforce' }, data: { a: 'c' } });
      expect(u.code, u.stderr).to.equal(0);
    });

    it('Namespaces and Services that do not touch what extguard guards are never blocked (matchConditions)', async () => {
      let r = await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-while-down', labels: { team: 'a' } } });
      expect(r.code, r.stderr).to.equal(0);
      r = await cp.kubectl(['label', 'namespace', 'e2e-enforce', 'team=b', '--overwrite']);
      expect(r.code, r.stderr).to.equal(0);
      r = await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'while-down', namespace: 'e2e-enforce' }, spec: { ports: [{ port: 80 }], selector: { app: 'x' } } });
      expect(r.code, r.stderr).to.equal(0);
      // The README's safe bypass: a cluster administrator switches one namespace off.
      r = await cp.kubectl(['label', 'namespace', 'e2e-while-down', 'extguard.io/mode=off', '--overwrite']);
      expect(r.code, r.stderr).to.equal(0);
      // What extguard guards waits for it: a declaration (and a tenant's mode label change,
      // proven in governance.test.ts).
      r = await apply(externalName('while-down-ext', 'e2e-enforce', 'api.partner-example.com'));
      expect(r.stderr).to.match(/failed calling webhook "declarations\.extguard\.io"/);
    });

    it("the README's uninstall removes both webhook configurations, and nothing is blocked after", async function () {
      this.timeout(60_000);
      await installation!.uninstall();
      for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
        const r = await cp.kubectl(['get', kind, 'extguard']);
        expect(r.stderr, kind).to.contain('NotFound');
      }
      // The API server drops the configurations asynchronously, as it picked them up.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await apply(podManifest('after-uninstall', 'e2e-enforce'));
        if (r.code === 0) break;
        if (Date.now() > deadline) throw new Error(`still blocked after uninstall: ${r.stderr}`);
        await new Promise((res) => setTimeout(res, 250));
      }
    });
  });
});
