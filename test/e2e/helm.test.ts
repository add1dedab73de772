// The Helm chart (charts/extguard) with the helm CLI built from its Go module (run.js, env
// EXTGUARD_E2E_HELM) against the shared control plane:
//   - lint, and renders (defaults, each certificate mode, value overrides) that all pass a
//     server-side dry run with strict field validation (cert-manager's CRDs from its module);
//   - the chart's defaults install the same objects as manifests/ (self-signed variant; and
//     the cert-manager mode as manifests/cert-manager), up to the listed differences in
//     test/e2e/helm/compare.ts;
//   - values.schema.json carries extguard's own config schema and refuses bad values;
//   - optional monitoring (monitoring.*.enabled): off by default, and when on the objects of
//     manifests/monitoring (prometheus-operator's CRDs from its module), also up to the
//     listed differences;
//   - a real install, upgrades that keep the generated CA, and an uninstall that leaves
//     nothing behind (monitoring on). No Pod runs (no nodes here), and the webhooks fail open
//     (failurePolicy=Ignore) during that test so nothing else waits on them.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import type { ControlPlane } from './cluster.ts';
import { installCrds } from './crds.ts';
import { sharedControlPlane } from './hooks.ts';
import { compareRenders, parseRender } from './helm/compare.ts';
import { syncedValuesSchema, valuesSchemaFile } from './helm/sync-values-schema.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const chart = join(root, 'charts', 'extguard');
const chartMeta = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8'));
const release = { name: 'extguard', chartVersion: chartMeta.version as string, appVersion: chartMeta.appVersion as string };
/** The three objects of manifests/monitoring, all switched on. */
const MONITORING_ON = ['serviceMonitor', 'prometheusRule', 'dashboard'].flatMap((v) => ['--set', `monitoring.${v}.enabled=true`]);
const PROMETHEUS_CRDS = ['servicemonitors', 'prometheusrules'];
/** Copies of manifests/monitoring's files that the chart reads (it cannot read outside its directory). */
const MONITORING_FILES = ['prometheusrule.yaml', 'dashboard.json'];

type Obj = Record<string, any>;
interface Run { code: number; stdout: string; stderr: string }

describe('Helm chart charts/extguard', function () {
  let cp: ControlPlane;
  let dir: string;
  let helmBin: string;
  let helmEnv: NodeJS.ProcessEnv;

  const helm = (args: string[], opts: { timeoutMs?: number } = {}): Promise<Run> => new Promise((resolve, reject) => {
    const child = spawn(helmBin, args, { env: helmEnv, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => { stderr += '\n(e2e: helm killed after timeout)'; child.kill('SIGKILL'); }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }); });
  });
  /** `helm template` into extguard-system, as docs/helm.md installs it; fails the test on an error. */
  const template = async (...args: string[]): Promise<string> => {
    const r = await helm(['template', 'extguard', chart, '--namespace', 'extguard-system', ...args]);
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout;
  };
  const dryRun = async (rendered: string): Promise<string> => {
    const applied = await cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: rendered });
    expect(applied.code, applied.stderr).to.equal(0);
    return applied.stdout;
  };
  const find = (objs: Obj[], kind: string, name: string) => {
    const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
    if (!o) throw new Error(`${kind}/${name} not rendered; got ${objs.map((x) => `${x.kind}/${x.metadata?.name}`).join(', ')}`);
    return o;
  };

  before(async function () {
    this.timeout(180_000);
    const h = process.env['EXTGUARD_E2E_HELM'];
    if (!h) throw new Error('EXTGUARD_E2E_HELM is not set: run the e2e suite with `npm run test:e2e` (it builds helm, test/e2e/helm/build.sh)');
    helmBin = h;
    cp = await sharedControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'extguard-helm-'));
    // helm's own state (repositories, cache, plugins) in a temp dir, never the developer's.
    helmEnv = {
      ...process.env,
      KUBECONFIG: cp.kubeconfigPath,
      HELM_CONFIG_HOME: join(dir, 'config'),
      HELM_CACHE_HOME: join(dir, 'cache'),
      HELM_DATA_HOME: join(dir, 'data'),
      HELM_NAMESPACE: '',
      HELM_KUBECONTEXT: '',
    };
    // Namespaced objects can only be dry-run into a namespace that exists.
    const ns = await cp.kubectl(['apply', '-f', join(root, 'manifests/base/namespace.yaml')]);
    expect(ns.code, ns.stderr).to.equal(0);
    await installCrds(cp, 'EXTGUARD_E2E_CERT_MANAGER_CRDS', ['cert-manager.io_certificates.yaml', 'cert-manager.io_issuers.yaml'], ['certificates.cert-manager.io', 'issuers.cert-manager.io']);
    await installCrds(cp, 'EXTGUARD_E2E_PROMETHEUS_OPERATOR_CRDS', PROMETHEUS_CRDS.map((n) => `monitoring.coreos.com_${n}.yaml`), PROMETHEUS_CRDS.map((n) => `${n}.monitoring.coreos.com`));
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('helm is the pinned version built from test/e2e/helm/go.mod', async () => {
    const r = await helm(['version', '--template', '{{ .Version }}']);
    expect(r.code, r.stderr).to.equal(0);
    const pinned = /^\s*helm\.sh\/helm\/v4 (v\S+)/m.exec(readFileSync(join(root, 'test/e2e/helm/go.mod'), 'utf8'))?.[1];
    expect(pinned, 'helm.sh/helm/v4 in test/e2e/helm/go.mod').to.be.a('string');
    expect(r.stdout.trim()).to.equal(pinned);
  });

  it('passes helm lint, also with --strict', async () => {
    for (const flags of [[], ['--strict']]) {
      const r = await helm(['lint', chart, ...flags]);
      expect(r.code, `helm lint ${flags.join(' ')}\n${r.stdout}${r.stderr}`).to.equal(0);
      expect(r.stdout).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('passes helm lint --strict with monitoring enabled (and selector labels, another dashboard namespace)', async () => {
    const r = await helm(['lint', chart, '--strict', ...MONITORING_ON, '--set', 'monitoring.serviceMonitor.labels.release=kube-prometheus-stack', '--set', 'monitoring.dashboard.namespace=monitoring']);
    expect(r.code, `${r.stdout}${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  describe('renders that a real API server accepts (server-side dry run, strict field validation)', () => {
    const cases: Array<{ name: string; args: string[]; check?: (objs: Obj[]) => void }> = [
      { name: 'defaults (certificates.mode=generated)', args: [], check: (objs) => {
        expect(find(objs, 'Secret', 'extguard-tls').type).to.equal('kubernetes.io/tls');
        expect(objs.filter((o) => o.apiVersion.startsWith('cert-manager.io/'))).to.have.length(0);
      } },
      { name: 'certificates.mode=cert-manager', args: ['--set', 'certificates.mode=cert-manager'], check: (objs) => {
        expect(objs.filter((o) => o.apiVersion.startsWith('cert-manager.io/'))).to.have.length(4);
        expect(objs.filter((o) => o.kind === 'Secret')).to.have.length(0);
        for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
          expect(find(objs, kind, 'extguard').metadata.annotations['cert-manager.io/inject-ca-from']).to.equal('extguard-system/extguard-serving');
        }
      } },
      { name: 'certificates.mode=provided', args: ['--set', 'certificates.mode=provided', '--set', 'certificates.provided.secretName=my-tls', '--set', `certificates.provided.caBundle=${Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64')}`], check: (objs) => {
        expect(objs.filter((o) => o.kind === 'Secret')).to.have.length(0);
        const volumes = find(objs, 'Deployment', 'extguard').spec.template.spec.volumes;
        expect(volumes.find((v: Obj) => v.name === 'tls').secret.secretName).to.equal('my-tls');
        for (const w of find(objs, 'ValidatingWebhookConfiguration', 'extguard').webhooks) {
          expect(Buffer.from(w.clientConfig.caBundle, 'base64').toString()).to.contain('BEGIN CERTIFICATE');
        }
      } },
      { name: 'config.defaultMode=enforce, replicas=3, resources', args: ['--set', 'config.defaultMode=enforce', '--set', 'replicas=3', '--set', 'resources.requests.cpu=250m', '--set', 'resources.limits.memory=1Gi'], check: (objs) => {
        expect(parse(find(objs, 'ConfigMap', 'extguard-config').data['config.yaml']).defaultMode).to.equal('enforce');
        const d = find(objs, 'Deployment', 'extguard');
        expect(d.spec.replicas).to.equal(3);
        expect(d.spec.template.spec.containers[0].resources).to.deep.equal({ requests: { cpu: '250m', memory: '192Mi' }, limits: { memory: '1Gi' } });
      } },
      { name: 'config.defaultMode=warn, webhook failurePolicy/timeout, no PDB nor NetworkPolicy, scheduling', args: ['--set', 'config.defaultMode=warn', '--set', 'webhook.failurePolicy=Ignore', '--set', 'webhook.timeoutSeconds=10', '--set', 'podDisruptionBudget.enabled=false', '--set', 'networkPolicy.enabled=false', '--set', 'nodeSelector.kubernetes\\.io/os=linux', '--set', 'tolerations[0].key=dedicated', '--set', 'tolerations[0].operator=Exists', '--set', 'image.tag=0.2.0'], check: (objs) => {
        expect(parse(find(objs, 'ConfigMap', 'extguard-config').data['config.yaml']).defaultMode).to.equal('warn');
        expect(objs.map((o) => o.kind)).to.not.include.members(['PodDisruptionBudget']);
        expect(objs.map((o) => o.kind)).to.not.include.members(['NetworkPolicy']);
        for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
          for (const w of find(objs, kind, 'extguard').webhooks) expect([w.failurePolicy, w.timeoutSeconds], w.name).to.deep.equal(['Ignore', 10]);
        }
        const pod = find(objs, 'Deployment', 'extguard').spec.template.spec;
        expect(pod.nodeSelector).to.deep.equal({ 'kubernetes.io/os': 'linux' });
        expect(pod.tolerations).to.deep.equal([{ key: 'dedicated', operator: 'Exists' }]);
        expect(pod.containers[0].image).to.equal('ghcr.io/extguard/extguard:0.2.0');
      } },
      // An EKS administrator's group, a user name, and a group name CEL and YAML would both
      // misread if it were pasted in unescaped: the API server compiles the expression (a
      // broken one fails the dry run) and it names exactly the configured subjects.
      { name: 'config.governance.modeAdmins (a group, a user): the namespaces webhook skips exactly them', args: ['--set-json', `config.governance.modeAdmins=${JSON.stringify({ groups: ['eks-cluster-admins', `it's "odd" \\ & <x>`], users: ['arn:aws:iam::111122223333:user/ops'] })}`], check: (objs) => {
        expect(parse(find(objs, 'ConfigMap', 'extguard-config').data['config.yaml']).governance.modeAdmins)
          .to.deep.equal({ groups: ['eks-cluster-admins', `it's "odd" \\ & <x>`], users: ['arn:aws:iam::111122223333:user/ops'] });
        const namespaces = find(objs, 'ValidatingWebhookConfiguration', 'extguard').webhooks.find((w: Obj) => w.name === 'namespaces.extguard.io');
        expect(namespaces.matchConditions[0]).to.deep.equal({ name: 'not-mode-admin', expression:
          String.raw`!(request.userInfo.username in ["arn:aws:iam::111122223333:user/ops"] || (has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ["eks-cluster-admins","it's \"odd\" \\ \u0026 \u003cx\u003e"])))` });
      } },
      { name: 'networkPolicy.webhookFrom narrowed to the control plane', args: ['--set', 'networkPolicy.webhookFrom[0].ipBlock.cidr=10.0.0.0/24'], check: (objs) => {
        expect(find(objs, 'NetworkPolicy', 'extguard').spec.ingress[0]).to.deep.equal({ from: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ port: 8443, protocol: 'TCP' }] });
      } },
    ];
    for (const c of cases) {
      it(c.name, async function () {
        this.timeout(60_000);
        const rendered = await template(...c.args);
        const objs = parseRender(rendered);
        c.check?.(objs);
        const out = await dryRun(rendered);
        expect(out).to.contain('validatingwebhookconfiguration.admissionregistration.k8s.io/extguard created (server dry run)');
      });
    }
  });

  describe('optional monitoring (monitoring.*.enabled)', () => {
    const isMonitoring = (o: Obj) => o.apiVersion.startsWith('monitoring.coreos.com/') || (o.kind === 'ConfigMap' && o.metadata?.name === 'extguard-dashboard');

    it('off by default: no ServiceMonitor, PrometheusRule nor dashboard ConfigMap', async function () {
      this.timeout(60_000);
      expect(parseRender(await template()).filter(isMonitoring)).to.deep.equal([]);
    });

    it('all three on, with selector labels, an interval and the dashboard elsewhere: labelled for Prometheus and Grafana, and the API server accepts them (strict)', async function () {
      this.timeout(60_000);
      const rendered = await template(...MONITORING_ON,
        '--set', 'monitoring.serviceMonitor.labels.release=kube-prometheus-stack', '--set', 'monitoring.serviceMonitor.interval=1m',
        '--set', 'monitoring.prometheusRule.labels.release=kube-prometheus-stack', '--set', 'monitoring.prometheusRule.labels.app\\.kubernetes\\.io/part-of=other',
        '--set-string', 'monitoring.dashboard.labels.grafana_dashboard=1', '--set', 'monitoring.dashboard.annotations.grafana_folder=extguard', '--set', 'monitoring.dashboard.namespace=default');
      const objs = parseRender(rendered);
      expect(objs.filter(isMonitoring).map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort())
        .to.deep.equal(['ConfigMap/default/extguard-dashboard', 'PrometheusRule/extguard-system/extguard', 'ServiceMonitor/extguard-system/extguard']);
      const monitor = find(objs, 'ServiceMonitor', 'extguard');
      expect(monitor.metadata.labels).to.include({ release: 'kube-prometheus-stack', 'app.kubernetes.io/name': 'extguard', 'app.kubernetes.io/managed-by': 'Helm' });
      expect(monitor.spec.endpoints[0].interval).to.equal('1m');
      // The chart's own labels win a clash: `-l app.kubernetes.io/part-of=extguard` still finds it.
      expect(find(objs, 'PrometheusRule', 'extguard').metadata.labels).to.include({ release: 'kube-prometheus-stack', 'app.kubernetes.io/part-of': 'extguard' });
      const dashboard = find(objs, 'ConfigMap', 'extguard-dashboard');
      expect(dashboard.metadata.labels).to.include({ grafana_dashboard: '1', 'app.kubernetes.io/name': 'extguard' });
      expect(dashboard.metadata.annotations).to.deep.equal({ grafana_folder: 'extguard' });
      expect(JSON.parse(dashboard.data['extguard.json']).uid).to.equal('extguard');
      const out = await dryRun(rendered);
      for (const line of ['servicemonitor.monitoring.coreos.com/extguard', 'prometheusrule.monitoring.coreos.com/extguard', 'configmap/extguard-dashboard', 'validatingwebhookconfiguration.admissionregistration.k8s.io/extguard']) {
        expect(out).to.contain(`${line} created (server dry run)`);
      }
    });

    it('strict validation does catch a misspelt field of the rendered ServiceMonitor (so the dry run above means something)', async function () {
      this.timeout(60_000);
      const rendered = await template(...MONITORING_ON);
      const bad = rendered.replace(/^(\s+)interval: 30s$/m, '$1intervall: 30s');
      expect(bad).to.not.equal(rendered);
      const applied = await cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: bad });
      expect(applied.code).to.not.equal(0);
      expect(applied.stderr).to.match(/unknown field "spec\.endpoints\[0\]\.intervall"/);
    });

    it('another release namespace: every monitoring object and the alert that names the namespace follow it', async function () {
      this.timeout(60_000);
      const r = await helm(['template', 'extguard', chart, '--namespace', 'team-extguard', ...MONITORING_ON]);
      expect(r.code, r.stderr).to.equal(0);
      const objs = parseRender(r.stdout).filter(isMonitoring);
      expect(objs.map((o) => o.metadata.namespace)).to.deep.equal(['team-extguard', 'team-extguard', 'team-extguard']);
      const rules = find(objs, 'PrometheusRule', 'extguard').spec.groups[0].rules;
      expect(rules.find((x: Obj) => x.alert === 'ExtguardMetricsAbsent').expr).to.equal('absent(up{job="extguard", namespace="team-extguard"} == 1)');
      expect(JSON.stringify(rules)).to.not.contain('extguard-system');
    });
  });

  describe('one source of truth with manifests/', () => {
    let manifests: string;
    before(function () {
      this.timeout(30_000);
      manifests = join(dir, 'manifests');
      cpSync(join(root, 'manifests'), manifests, { recursive: true });
      // The self-signed variant as the README installs it: certs and caBundle from `extguard certs`.
      const certs = spawnSync(process.execPath, [join(root, 'bin/extguard.js'), 'certs', '--kustomize', join(manifests, 'self-signed')], { encoding: 'utf8' });
      expect(certs.status, certs.stderr).to.equal(0);
    });
    const variants: Array<[string, string[]]> = [['self-signed', []], ['cert-manager', ['--set', 'certificates.mode=cert-manager']]];
    for (const [variant, args] of variants) {
      it(`the chart ${args.length ? `with ${args[1]}` : 'with its defaults'} renders the objects of manifests/${variant}, up to the listed differences`, async function () {
        this.timeout(60_000);
        const kustomized = await cp.kubectl(['kustomize', join(manifests, variant)]);
        expect(kustomized.code, kustomized.stderr).to.equal(0);
        const drift = compareRenders(await template(...args), kustomized.stdout, release);
        expect(drift, `the chart differs from manifests/${variant} (fix the chart or manifests/, or list the difference with its reason in test/e2e/helm/compare.ts):\n${drift}`).to.equal('');
      });
    }

    it('the comparison sees drift: a changed value that manifests/ does not have is reported', async function () {
      this.timeout(60_000);
      const kustomized = await cp.kubectl(['kustomize', join(manifests, 'self-signed')]);
      const drift = compareRenders(await template('--set', 'replicas=3', '--set', 'config.clusterDomain=example.local'), kustomized.stdout, release);
      expect(drift).to.contain('Deployment/extguard-system/extguard:\n  /spec/replicas:\n      helm:      3\n      kustomize: 2');
      expect(drift).to.contain('/data/config.yaml/clusterDomain');
    });

    it('with monitoring.*.enabled the chart renders the objects of manifests/self-signed and manifests/monitoring, up to the listed differences', async function () {
      this.timeout(60_000);
      const kustomized = await Promise.all(['self-signed', 'monitoring'].map((v) => cp.kubectl(['kustomize', join(manifests, v)])));
      for (const k of kustomized) expect(k.code, k.stderr).to.equal(0);
      const drift = compareRenders(await template(...MONITORING_ON), kustomized.map((k) => k.stdout).join('---\n'), release);
      expect(drift, `the chart differs from manifests/self-signed + manifests/monitoring (fix the chart or manifests/, or list the difference with its reason in test/e2e/helm/compare.ts):\n${drift}`).to.equal('');
    });

    it('native.enabled renders the policies of its defaultMode (audit by default, a Deny binding on unlabelled namespaces only in enforce), in another release namespace too, and the API server accepts them', async function () {
      this.timeout(60_000);
      const bindings = (rendered: string) => parseAllDocuments(rendered).map((d) => d.toJS() as Obj).filter((o) => o && o.kind === 'ValidatingAdmissionPolicyBinding');
      const audit = bindings(await template('--set', 'native.enabled=true', '--show-only', 'templates/native.yaml'));
      expect(audit.map((b) => b.metadata.name)).to.include('extguard-native-plaintext-credential-audit-default');
      const enforce = bindings(await template('--set', 'native.enabled=true', '--set', 'config.defaultMode=enforce', '--show-only', 'templates/native.yaml'));
      expect(enforce.map((b) => b.metadata.name)).to.not.include('extguard-native-plaintext-credential-audit-default');
      const other = await helm(['template', 'extguard', chart, '--namespace', 'team-extguard', '--set', 'native.enabled=true', '--set', 'config.exemptNamespaces={kube-system,kube-public,kube-node-lease,team-extguard,cert-manager}', '--show-only', 'templates/native.yaml']);
      expect(other.code, other.stderr).to.equal(0);
      expect(other.stdout).to.contain('team-extguard').and.not.contain('extguard-system');
      await dryRun(await template('--set', 'native.enabled=true', '--set', 'config.defaultMode=warn', '--show-only', 'templates/native.yaml'));
    });

    it("charts/extguard/files/monitoring/ holds manifests/monitoring's rules and dashboard byte for byte", () => {
      for (const f of MONITORING_FILES) {
        const copy = readFileSync(join(chart, 'files/monitoring', f), 'utf8');
        expect(copy === readFileSync(join(root, 'manifests/monitoring', f), 'utf8'), `charts/extguard/files/monitoring/${f} differs from manifests/monitoring/${f}: copy the one you changed over the other`).to.equal(true);
      }
    });

    it('the comparison sees drift in the monitoring objects too', async function () {
      this.timeout(60_000);
      const kustomized = await cp.kubectl(['kustomize', join(manifests, 'monitoring')]);
      const drift = compareRenders(await template(...MONITORING_ON, '--set', 'monitoring.serviceMonitor.interval=1m', '--show-only', 'templates/servicemonitor.yaml', '--show-only', 'templates/prometheusrule.yaml', '--show-only', 'templates/dashboard.yaml'), kustomized.stdout, release);
      expect(drift).to.equal('ServiceMonitor/extguard-system/extguard:\n  /spec/endpoints/0/interval:\n      helm:      "1m"\n      kustomize: "30s"');
    });

    it("values.schema.json carries src/config/config.schema.json unchanged (run test/e2e/helm/sync-values-schema.ts after changing it)", () => {
      expect(JSON.parse(readFileSync(valuesSchemaFile, 'utf8'))).to.deep.equal(JSON.parse(syncedValuesSchema()));
    });
  });

  describe('bad values: a clear helm error, nothing rendered', () => {
    const cases: Array<[string, string[], RegExp[]]> = [
      ['a config extguard would refuse (unknown mode)', ['--set', 'config.defaultMode=enforcing'], [/values don't meet the specifications of the schema/, /config\/defaultMode|\/config\/defaultMode/, /enforce/]],
      ['an unknown config key (a typo)', ['--set', 'config.allowedHost[0]=api.example.com'], [/config/, /allowedHost/]],
      ['replicas 0 (with failurePolicy Fail nothing could be admitted)', ['--set', 'replicas=0'], [/replicas/, /minimum|must be >= 1/]],
      ['an unknown certificates mode', ['--set', 'certificates.mode=self-signed'], [/certificates\/mode/, /generated/]],
      ['provided mode without a Secret name', ['--set', 'certificates.mode=provided', '--set', 'certificates.provided.caBundle=Zm9v'], [/certificates\/provided/, /secretName/]],
      ['config.governance.modeAdmins removed (the namespaces webhook\'s not-mode-admin condition is generated from it)', ['--set', 'config.governance.modeAdmins=null'], [/config\.governance\.modeAdmins must be set/]],
      ['monitoring: a misspelt key (enable)', ['--set', 'monitoring.serviceMonitor.enable=true'], [/monitoring\/serviceMonitor/, /enable/]],
      ['monitoring: a label value that is not a string (Kubernetes would refuse it)', ['--set', 'monitoring.dashboard.labels.grafana_dashboard=1'], [/monitoring\/dashboard\/labels\/grafana_dashboard/, /string/]],
      ['monitoring: a scrape interval that is no Prometheus duration', ['--set', 'monitoring.serviceMonitor.interval=30 seconds'], [/monitoring\/serviceMonitor\/interval/]],
    ];
    for (const [name, args, patterns] of cases) {
      it(name, async () => {
        const r = await helm(['template', 'extguard', chart, '--namespace', 'extguard-system', ...args]);
        expect(r.code, r.stdout).to.not.equal(0);
        expect(r.stdout).to.equal('');
        for (const p of patterns) expect(r.stderr).to.match(p);
      });
    }

    it('native.enabled with a config other than the default but for defaultMode is refused (its policies would not match the webhook)', async () => {
      for (const args of [['--set', 'config.allowedHosts[0]=api.example.com'], ['--set', 'config.exemptNamespaces={kube-system}'], ['--set', 'config.internalCIDRs={10.0.0.0/8}']]) {
        const r = await helm(['template', 'extguard', chart, '--namespace', 'extguard-system', '--set', 'native.enabled=true', ...args]);
        expect(r.code, args.join(' ')).to.not.equal(0);
        expect(r.stderr).to.contain('native.enabled').and.contain('extguard policies --config');
      }
    });

    it('a namespace the chart must not own (default, kube-system) is refused', async () => {
      for (const ns of ['default', 'kube-system']) {
        const r = await helm(['template', 'extguard', chart, '--namespace', ns]);
        expect(r.code, ns).to.not.equal(0);
        expect(r.stderr).to.contain(`extguard must be installed into its own namespace, not "${ns}"`);
      }
    });
  });

  describe('helm install, upgrade and uninstall on a real API server (generated certificates)', () => {
    // Not extguard-system: `helm uninstall` deletes the release namespace, and with no
    // namespace controller here it would stay Terminating for the files that follow.
    const NS = 'extguard-helm-e2e';
    // The defaults otherwise: no replica runs here (no kubelet), which is an image that cannot
    // start, and the install window must refuse nothing (docs/operations.md).
    const installValues = [
      '--set-json', `config.exemptNamespaces=["kube-system","kube-public","kube-node-lease","${NS}"]`,
      ...MONITORING_ON,
    ];
    const getJson = async (args: string[]): Promise<Obj> => {
      const r = await cp.kubectl(['get', ...args, '-o', 'json']);
      expect(r.code, r.stderr).to.equal(0);
      return JSON.parse(r.stdout);
    };
    const material = async () => {
      const ca = await getJson(['-n', NS, 'secret', 'extguard-ca']);
      const tls = await getJson(['-n', NS, 'secret', 'extguard-tls']);
      const bundles = await Promise.all(['mutatingwebhookconfiguration', 'validatingwebhookconfiguration'].map(async (k) => (await getJson([k, 'extguard'])).webhooks.map((w: Obj) => w.clientConfig.caBundle as string)));
      const caBundle = bundles.flat();
      expect(new Set(caBundle).size, 'every webhook has the same caBundle').to.equal(1);
      return { caCrt: ca.data['tls.crt'] as string, tlsCrt: tls.data['tls.crt'] as string, tlsKey: tls.data['tls.key'] as string, caBundle: caBundle[0]! };
    };
    const pemCerts = (b64: string) => (Buffer.from(b64, 'base64').toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
    /** What the API server does: the serving certificate verifies against a CA of the caBundle, for the Service's name. */
    const expectServes = (m: { tlsCrt: string; caBundle: string }) => {
      const [serving] = pemCerts(m.tlsCrt);
      expect(serving!.checkHost(`extguard.${NS}.svc`)).to.equal(`extguard.${NS}.svc`);
      expect(pemCerts(m.caBundle).some((ca) => serving!.checkIssued(ca) && serving!.verify(ca.publicKey)), 'signed by a CA of the caBundle').to.equal(true);
    };
    let installed = false;

    before(async function () {
      this.timeout(60_000);
      // Files before this one leave extguard's cluster-scoped RBAC from `kubectl apply -k`
      // behind; the chart owns objects of the same names, and each later file applies its own.
      const r = await cp.kubectl(['delete', 'clusterrole,clusterrolebinding,mutatingwebhookconfiguration,validatingwebhookconfiguration', 'extguard', '--ignore-not-found']);
      expect(r.code, r.stderr).to.equal(0);
      const g = await cp.kubectl(['delete', 'validatingadmissionpolicy,validatingadmissionpolicybinding', 'extguard-webhook-self-edit', '--ignore-not-found']);
      expect(g.code, g.stderr).to.equal(0);
    });
    after(async function () {
      this.timeout(60_000);
      if (installed) await helm(['uninstall', 'extguard', '--namespace', NS]);
      await finalizeNamespace();
    });
    // No namespace controller runs here: after `helm uninstall` deleted everything in it, the
    // namespace is finalized by hand (what the namespace controller does once it is empty).
    const finalizeNamespace = async () => {
      const ns = await cp.kubectl(['get', 'namespace', NS, '-o', 'json']);
      if (ns.code !== 0) return;
      const obj = JSON.parse(ns.stdout);
      if (!obj.metadata.deletionTimestamp) return;
      obj.spec.finalizers = [];
      await cp.kubectl(['replace', '--raw', `/api/v1/namespaces/${NS}/finalize`, '-f', '-'], { input: JSON.stringify(obj) });
    };

    it('installs (namespace created and labelled), and upgrades keep the CA; an upgrade near expiry re-issues the serving certificate with the same CA', async function () {
      this.timeout(180_000);
      const install = await helm(['install', 'extguard', chart, '--namespace', NS, '--create-namespace', ...installValues], { timeoutMs: 120_000 });
      expect(install.code, install.stderr).to.equal(0);
      installed = true;
      const ns = await getJson(['namespace', NS]);
      expect(ns.metadata.labels).to.include({ 'extguard.io/mode': 'off', 'pod-security.kubernetes.io/enforce': 'restricted', 'app.kubernetes.io/managed-by': 'Helm' });
      const first = await material();
      expectServes(first);

      // The install window: every entry Ignore, the targets in the annotation; a plaintext
      // credential in an enforce namespace is admitted while no replica is Ready.
      const policies = async () => Object.fromEntries((await Promise.all(['mutatingwebhookconfiguration', 'validatingwebhookconfiguration'].map(async (k) => (await getJson([k, 'extguard'])).webhooks.map((w: Obj) => [w.name, w.failurePolicy])))).flat());
      expect(await policies()).to.deep.equal({ 'mutate.extguard.io': 'Ignore', 'validate.extguard.io': 'Ignore', 'declarations.extguard.io': 'Ignore', 'configmaps.extguard.io': 'Ignore', 'namespaces.extguard.io': 'Fail' });
      expect((await getJson(['validatingwebhookconfiguration', 'extguard'])).metadata.annotations['extguard.io/failure-policy']).to.equal('validate.extguard.io=Fail,declarations.extguard.io=Fail,configmaps.extguard.io=Ignore');
      const judged = 'e2e-helm-window';
      expect((await cp.kubectl(['create', 'namespace', judged])).code).to.equal(0);
      expect((await cp.kubectl(['label', 'namespace', judged, 'extguard.io/mode=enforce'])).code).to.equal(0);
      const leaky = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'during-install', namespace: judged }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', env: [{ name: 'DB_PASSWORD', value: ['helm', 'Window', 'Plain', '-9d'].join('') }] }] } };
      const created = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(leaky) });
      expect(created.code, created.stderr).to.equal(0);
      await cp.kubectl(['delete', 'namespace', judged, '--wait=false']);

      // What a Ready replica does (same JSON patch, same field manager), then an upgrade: Helm 4
      // applies server-side, and the chart renders the live policy, so the upgrade neither
      // conflicts with extguard's change nor undoes it.
      const flip = JSON.stringify([{ op: 'test', path: '/webhooks/0/name', value: 'validate.extguard.io' }, { op: 'replace', path: '/webhooks/0/failurePolicy', value: 'Fail' }]);
      const patched = await cp.kubectl(['patch', 'validatingwebhookconfiguration', 'extguard', '--type=json', '--field-manager=extguard', '-p', flip]);
      expect(patched.code, patched.stderr).to.equal(0);
      const kept = await helm(['upgrade', 'extguard', chart, '--namespace', NS, ...installValues], { timeoutMs: 120_000 });
      expect(kept.code, kept.stderr).to.equal(0);
      expect((await policies())['validate.extguard.io'], 'the policy a replica set survives helm upgrade').to.equal('Fail');
      // Lowering the target: rendered live too, so no conflict either; the new target goes to
      // the annotation, which a running replica applies (none runs here).
      const lowered = await helm(['upgrade', 'extguard', chart, '--namespace', NS, ...installValues, '--set', 'webhook.failurePolicy=Ignore'], { timeoutMs: 120_000 });
      expect(lowered.code, lowered.stderr).to.equal(0);
      const loweredCfg = await getJson(['validatingwebhookconfiguration', 'extguard']);
      expect(loweredCfg.metadata.annotations['extguard.io/failure-policy']).to.equal('validate.extguard.io=Ignore,declarations.extguard.io=Ignore,configmaps.extguard.io=Ignore');
      expect(loweredCfg.webhooks[0].failurePolicy).to.equal('Fail');
      // Monitoring installed with it, the alert on absent targets looking at this namespace.
      const rule = await getJson(['-n', NS, 'prometheusrule', 'extguard']);
      expect(rule.spec.groups[0].rules[0].expr).to.equal(`absent(up{job="extguard", namespace="${NS}"} == 1)`);
      for (const o of ['servicemonitor/extguard', 'configmap/extguard-dashboard']) expect((await getJson(['-n', NS, o])).metadata.labels['app.kubernetes.io/managed-by'], o).to.equal('Helm');

      // An ordinary upgrade (another value): same CA, same serving certificate, same caBundle.
      const upgrade = await helm(['upgrade', 'extguard', chart, '--namespace', NS, ...installValues, '--set', 'replicas=3'], { timeoutMs: 120_000 });
      expect(upgrade.code, upgrade.stderr).to.equal(0);
      expect((await getJson(['-n', NS, 'deployment', 'extguard'])).spec.replicas).to.equal(3);
      expect(await material(), 'kept across the upgrade').to.deep.equal(first);

      // The serving certificate within renewBeforeDays of its end: a new one, same CA and caBundle.
      const renew = await helm(['upgrade', 'extguard', chart, '--namespace', NS, ...installValues, '--set', 'certificates.generated.renewBeforeDays=400'], { timeoutMs: 120_000 });
      expect(renew.code, renew.stderr).to.equal(0);
      const renewed = await material();
      expect(renewed.tlsCrt).to.not.equal(first.tlsCrt);
      expect(renewed.tlsKey).to.not.equal(first.tlsKey);
      expect([renewed.caCrt, renewed.caBundle]).to.deep.equal([first.caCrt, first.caBundle]);
      expectServes(renewed);

      // A serving certificate that would outlive the CA: a new CA, and the caBundle keeps the
      // old one too, so Pods still serving the old certificate are trusted until the kubelet syncs.
      const newCa = await helm(['upgrade', 'extguard', chart, '--namespace', NS, ...installValues, '--set', 'certificates.generated.certDays=4000'], { timeoutMs: 120_000 });
      expect(newCa.code, newCa.stderr).to.equal(0);
      const replaced = await material();
      expect(replaced.caCrt).to.not.equal(first.caCrt);
      const bundle = pemCerts(replaced.caBundle).map((c) => c.fingerprint256);
      expect(bundle).to.deep.equal([pemCerts(replaced.caCrt)[0]!.fingerprint256, pemCerts(first.caCrt)[0]!.fingerprint256]);
      expectServes(replaced);
      expectServes({ tlsCrt: first.tlsCrt, caBundle: replaced.caBundle });
    });

    it('helm uninstall leaves nothing behind', async function () {
      this.timeout(120_000);
      expect(installed, 'installed by the test before').to.equal(true);
      const r = await helm(['uninstall', 'extguard', '--namespace', NS], { timeoutMs: 90_000 });
      expect(r.code, r.stderr).to.equal(0);
      installed = false;
      const left = await cp.kubectl(['get', 'secrets,configmaps,serviceaccounts,services,deployments,poddisruptionbudgets,networkpolicies,issuers.cert-manager.io,certificates.cert-manager.io,servicemonitors.monitoring.coreos.com,prometheusrules.monitoring.coreos.com', '-n', NS, '-o', 'name']);
      expect(left.stdout.trim(), `left in ${NS}`).to.equal('');
      for (const kind of ['clusterrole', 'clusterrolebinding', 'mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
        const g = await cp.kubectl(['get', kind, 'extguard', '--ignore-not-found', '-o', 'name']);
        expect(g.stdout.trim(), kind).to.equal('');
      }
      for (const kind of ['validatingadmissionpolicy', 'validatingadmissionpolicybinding']) {
        const g = await cp.kubectl(['get', kind, 'extguard-webhook-self-edit', '--ignore-not-found', '-o', 'name']);
        expect(g.stdout.trim(), kind).to.equal('');
      }
      await finalizeNamespace();
      const ns = await cp.kubectl(['get', 'namespace', NS, '--ignore-not-found', '-o', 'name']);
      expect(ns.stdout.trim(), 'the release namespace').to.equal('');
    });
  });
});
