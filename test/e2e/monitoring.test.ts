// manifests/monitoring against a real API server with prometheus-operator's own CRDs (from its
// Go module, pinned in test/e2e/modules/prometheus-operator.json): it renders, every object
// passes a server-side dry run with strict field validation, and the ServiceMonitor reaches
// the port extguard serves metrics on. The alert expressions and templates and the dashboard's
// queries go through Prometheus's own parsers (test/e2e/promql, built from the Go module).
// No Prometheus runs, so nothing is scraped.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { e2eCacheDir, findGo } from '../helpers/go.ts';
import type { ControlPlane } from './cluster.ts';
import { installCrds } from './crds.ts';
import { sharedControlPlane } from './hooks.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const CRDS = ['servicemonitors', 'prometheusrules'];

/**
 * test/e2e/promql built once per version of its sources into the e2e cache. A cold build
 * downloads a few dozen modules and takes about a minute.
 */
function promqlCheck(): string {
  const src = join(root, 'test/e2e/promql');
  const stamp = createHash('sha256').update(['go.mod', 'go.sum', 'main.go'].map((f) => readFileSync(join(src, f), 'utf8')).join('\0')).digest('hex').slice(0, 16);
  const cache = e2eCacheDir();
  const bin = join(cache, `promql-check-${stamp}`);
  if (existsSync(bin)) return bin;
  const go = findGo();
  if (!go) throw new Error('no Go toolchain to build test/e2e/promql (run.js found one, so PATH changed?)');
  mkdirSync(cache, { recursive: true });
  const tmp = `${bin}.${process.pid}`;
  const r = spawnSync(go, ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: src, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
  });
  if (r.status !== 0) throw new Error(`building test/e2e/promql failed: ${r.stderr}`);
  renameSync(tmp, bin);
  return bin;
}

describe('manifests/monitoring against a real API server', function () {
  let cp: ControlPlane;
  let rendered: string;
  let objs: any[];

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    const ns = await cp.kubectl(['apply', '-f', join(root, 'manifests/base/namespace.yaml')]);
    expect(ns.code, ns.stderr).to.equal(0);
    await installCrds(cp, 'EXTGUARD_E2E_PROMETHEUS_OPERATOR_CRDS', CRDS.map((n) => `monitoring.coreos.com_${n}.yaml`), CRDS.map((n) => `${n}.monitoring.coreos.com`));
    const r = await cp.kubectl(['kustomize', join(root, 'manifests/monitoring')]);
    expect(r.code, r.stderr).to.equal(0);
    rendered = r.stdout;
    objs = parseAllDocuments(rendered).map((d) => d.toJS());
  });

  it('renders a ServiceMonitor, a PrometheusRule and the dashboard ConfigMap in extguard-system, and the API server accepts them (strict)', async function () {
    this.timeout(60_000);
    expect(objs.map((o) => o.kind).sort()).to.deep.equal(['ConfigMap', 'PrometheusRule', 'ServiceMonitor']);
    for (const o of objs) expect(o.metadata.namespace, o.kind).to.equal('extguard-system');
    const applied = await cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: rendered });
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.contain('servicemonitor.monitoring.coreos.com/extguard created (server dry run)');
    expect(applied.stdout).to.contain('prometheusrule.monitoring.coreos.com/extguard created (server dry run)');
    expect(applied.stdout).to.contain('configmap/extguard-dashboard created (server dry run)');
  });

  it('strict validation does catch a misspelt field of a PrometheusRule (so the check above means something)', async function () {
    this.timeout(60_000);
    const bad = rendered.replace(/^(\s+)for: 10m$/m, '$1fore: 10m');
    expect(bad).not.to.equal(rendered);
    const applied = await cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: bad });
    expect(applied.code).not.to.equal(0);
    expect(applied.stderr).to.match(/unknown field "spec\.groups\[0\]\.rules\[\d+\]\.fore"/);
  });

  it('the ServiceMonitor selects the Service of the base and its port that serve listens on for metrics, which the NetworkPolicy opens', async () => {
    const base = await cp.kubectl(['kustomize', join(root, 'manifests/base')]);
    expect(base.code, base.stderr).to.equal(0);
    const baseObjs = parseAllDocuments(base.stdout).map((d) => d.toJS());
    const service = baseObjs.find((o) => o.kind === 'Service');
    const deployment = baseObjs.find((o) => o.kind === 'Deployment');
    const policy = baseObjs.find((o) => o.kind === 'NetworkPolicy');
    const monitor = objs.find((o) => o.kind === 'ServiceMonitor');
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels[k], k).to.equal(v);
    const endpoint = monitor.spec.endpoints[0];
    const servicePort = service.spec.ports.find((p: any) => p.name === endpoint.port);
    expect(servicePort, `Service port ${endpoint.port}`).to.not.equal(undefined);
    const container = deployment.spec.template.spec.containers[0];
    const containerPort = container.ports.find((p: any) => p.name === servicePort.targetPort);
    expect(container.args).to.include(`--metrics-port=${containerPort.containerPort}`);
    expect(endpoint).to.include({ path: '/metrics', scheme: 'http' });
    const open = policy.spec.ingress.filter((rule: any) => rule.ports?.some((p: any) => p.port === containerPort.containerPort));
    expect(open, 'an ingress rule for the metrics port').to.have.length(1);
  });

  describe("Prometheus's parsers", () => {
    let check: string;
    let dir: string;
    before(function () {
      this.timeout(600_000);
      check = promqlCheck();
      dir = mkdtempSync(join(tmpdir(), 'extguard-promql-'));
    });
    after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

    const rules = (spec: unknown): ReturnType<typeof spawnSync> => {
      writeFileSync(join(dir, 'rules.yaml'), stringify(spec));
      return spawnSync(check, ['rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
    };

    it('parse the alerts as `promtool check rules` does: PromQL of every expr, templates of every annotation', () => {
      const rule = objs.find((o) => o.kind === 'PrometheusRule');
      const r = rules(rule.spec);
      expect(r.status, String(r.stderr)).to.equal(0);
      expect(String(r.stdout)).to.contain(`${rule.spec.groups[0].rules.length} rules`);
    });

    it('refuse a broken expression and an unknown template function (so the check above means something)', () => {
      const rule = objs.find((o) => o.kind === 'PrometheusRule');
      const broken = structuredClone(rule.spec);
      broken.groups[0].rules[1].expr = broken.groups[0].rules[1].expr.replace('rate(', 'rate((');
      expect(broken.groups[0].rules[1].expr).to.contain('rate((');
      broken.groups[0].rules[2].annotations.summary = '{{ $value | humanisePercentage }}';
      const r = rules(broken);
      expect(r.status).to.equal(1);
      expect(String(r.stderr)).to.contain('could not parse expression').and.to.contain('function "humanisePercentage" not defined');
    });

    it("parse every dashboard query as PromQL, with Grafana's variables substituted", () => {
      const dashboard = JSON.parse(readFileSync(join(root, 'manifests/monitoring/dashboard.json'), 'utf8'));
      const exprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr))
        .map((e: string) => e.replace(/\$__rate_interval/g, '1m').replace(/\$namespace/g, '.*'));
      expect(exprs.length).to.be.greaterThan(10);
      const r = spawnSync(check, ['exprs'], { input: JSON.stringify(exprs), encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.contain(`${exprs.length} expressions`);
      const bad = spawnSync(check, ['exprs'], { input: JSON.stringify(['sum by (endpoint) rate(extguard_mutations_total[1m])']), encoding: 'utf8' });
      expect(bad.status).to.equal(1);
    });
  });

  it('ships dashboard.json verbatim in a ConfigMap for the Grafana sidecar, under a fixed name', () => {
    const cm = objs.find((o) => o.kind === 'ConfigMap');
    expect(cm.metadata).to.include({ name: 'extguard-dashboard' });
    expect(cm.metadata.labels).to.include({ grafana_dashboard: '1' });
    expect(cm.data['extguard.json']).to.equal(readFileSync(join(root, 'manifests/monitoring/dashboard.json'), 'utf8'));
  });
});
