// manifests/monitoring and docs/operations.md against the metrics extguard really exposes:
// every metric and label an alert or a dashboard query reads must exist in the registry that
// `serve` builds (src/server/metrics.ts), and the documented list must be that registry.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { createMetrics, observeCatalogHealth } from '../../src/server/metrics.ts';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

interface Exposed { type: string; labels: string[] }

/** Every series name the registry of `serve` exposes, with its labels (histograms get _bucket/_sum/_count). */
function exposedSeries(opts: { defaultMetrics?: boolean } = {}): Map<string, Exposed> {
  const metrics = createMetrics(opts);
  observeCatalogHealth(metrics, () => []);
  const out = new Map<string, Exposed>();
  for (const m of metrics.registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames: string[] }[]) {
    const labels = [...m.labelNames];
    if (m.type === 'histogram') {
      out.set(`${m.name}_bucket`, { type: m.type, labels: [...labels, 'le'] });
      out.set(`${m.name}_sum`, { type: m.type, labels });
      out.set(`${m.name}_count`, { type: m.type, labels });
    } else if (m.type === 'summary') {
      out.set(m.name, { type: m.type, labels: [...labels, 'quantile'] });
      out.set(`${m.name}_sum`, { type: m.type, labels });
      out.set(`${m.name}_count`, { type: m.type, labels });
    } else {
      out.set(m.name, { type: m.type, labels });
    }
  }
  return out;
}

/** Labels Prometheus adds to every series scraped through the ServiceMonitor. */
const TARGET_LABELS = ['namespace', 'pod', 'service', 'job', 'instance', 'endpoint', 'container'];
/** Series Prometheus itself records per target (not extguard's). */
const PROMETHEUS_SERIES = new Map<string, Exposed>([['up', { type: 'gauge', labels: [] }]]);
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names and label names a PromQL expression reads, and the problems found against
 * `exposed`. Not a PromQL parser (the e2e suite checks syntax with Prometheus's own): strings,
 * matchers, grouping clauses and ranges are taken out, and what is left that is not a function
 * call, a keyword or a number is a metric name.
 */
function checkQuery(expr: string, exposed: Map<string, Exposed>): string[] {
  const problems: string[] = [];
  // Grafana's variables, as Grafana substitutes them.
  let text = expr.replace(/\$__(rate_interval|interval|range)/g, '5m').replace(/\$\{?\w+\}?/g, 'x');
  const known = (name: string): Exposed | undefined => exposed.get(name) ?? PROMETHEUS_SERIES.get(name);
  const names = new Set<string>();
  text = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  text = text.replace(/([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g, (_all, name: string | undefined, body: string) => {
    const labels = [...body.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
    if (name && !KEYWORDS.has(name)) {
      names.add(name);
      const series = known(name);
      for (const l of labels) if (series && !series.labels.includes(l) && !TARGET_LABELS.includes(l)) problems.push(`${name} has no label "${l}"`);
    } else if (labels.includes('__name__')) {
      problems.push('selects by __name__; name the metric');
    }
    return ' ';
  });
  const grouping: string[] = [];
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_all, _kw, body: string) => {
    grouping.push(...body.split(',').map((l) => l.trim()).filter(Boolean));
    return ' ';
  });
  text = text.replace(/\[[^\]]*\]/g, ' ').replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, ' ');
  for (const m of text.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const rest = text.slice(m.index! + m[0].length);
    if (KEYWORDS.has(m[0]) || /^\s*\(/.test(rest)) continue;
    names.add(m[0]);
  }
  for (const name of names) if (!known(name)) problems.push(`${name} is not a metric extguard exposes`);
  const available = new Set([...TARGET_LABELS, ...[...names].flatMap((n) => known(n)?.labels ?? [])]);
  for (const l of grouping) if (!available.has(l)) problems.push(`groups by "${l}", which none of ${[...names].join(', ')} has`);
  if (names.size === 0) problems.push('reads no metric');
  return problems;
}

describe('monitoring: alerts and dashboard against the exposed metrics', () => {
  const exposed = exposedSeries();

  it('the checker catches a misspelt metric, a missing label and a bad grouping (so the checks below can fail)', () => {
    expect(checkQuery('rate(extguard_admission_request_total[5m])', exposed)).to.deep.equal(['extguard_admission_request_total is not a metric extguard exposes']);
    expect(checkQuery('sum(rate(extguard_violations_total{severity="high"}[5m]))', exposed)).to.deep.equal(['extguard_violations_total has no label "severity"']);
    expect(checkQuery('sum by (rule) (rate(extguard_mutations_total[5m]))', exposed)).to.deep.equal(['groups by "rule", which none of extguard_mutations_total has']);
    expect(checkQuery('histogram_quantile(0.99, sum by (le, endpoint) (rate(extguard_admission_duration_seconds_bucket[5m]))) > 4', exposed)).to.deep.equal([]);
  });

  describe('PrometheusRule', () => {
    const rule = parseYaml(read('manifests/monitoring/prometheusrule.yaml'));
    const rules: any[] = rule.spec.groups.flatMap((g: any) => g.rules);

    it('is a monitoring.coreos.com/v1 PrometheusRule with uniquely named alerts', () => {
      expect(rule).to.include({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' });
      const names = rules.map((r) => r.alert);
      expect(new Set(names).size).to.equal(names.length);
    });

    it('covers errors, latency, the certificate, reloads and the catalog, reading only metrics extguard exposes', () => {
      const read = new Set<string>();
      for (const r of rules) {
        expect(checkQuery(r.expr, exposed), r.alert).to.deep.equal([]);
        for (const m of String(r.expr).matchAll(/extguard_\w+/g)) read.add(m[0]);
      }
      expect([...read]).to.include.members([
        'extguard_admission_requests_total', 'extguard_unjudged_total', 'extguard_judge_worker_restarts_total',
        'extguard_admission_duration_seconds_bucket', 'extguard_tls_certificate_expiry_timestamp_seconds',
        'extguard_last_reload_successful', 'extguard_catalog_synced', 'extguard_catalog_last_sync_timestamp_seconds',
      ]);
    });

    it('gives every alert a for:, a severity and a summary and description', () => {
      for (const r of rules) {
        expect(r.for, r.alert).to.match(/^\d+[smh]$/);
        expect(r.labels?.severity, r.alert).to.be.oneOf(['warning', 'critical']);
        expect(r.annotations?.summary, r.alert).to.be.a('string').and.not.be.empty;
        expect(r.annotations?.description, r.alert).to.be.a('string').and.not.be.empty;
      }
    });

    it('alerts on a p99 below the webhook timeout, on a bucket boundary of the latency histogram', () => {
      const webhooks = read('manifests/base/webhooks.yaml');
      const timeouts = [...webhooks.matchAll(/timeoutSeconds: (\d+)/g)].map((m) => Number(m[1]));
      const slow = rules.find((r) => r.alert === 'ExtguardAdmissionSlow');
      const threshold = Number(/>\s*([\d.]+)\s*$/.exec(slow.expr.trim())![1]);
      expect(threshold).to.be.below(Math.min(...timeouts));
      expect(read('src/server/metrics.ts')).to.match(new RegExp(`DURATION_BUCKETS = \\[[^\\]]*\\b${threshold}\\b[^\\]]*\\b${Math.min(...timeouts)}\\]`));
    });
  });

  describe('Grafana dashboard', () => {
    const dashboard = JSON.parse(read('manifests/monitoring/dashboard.json'));
    const all: any[] = dashboard.panels.flatMap((p: any) => [p, ...(p.panels ?? [])]);

    it('has unique panel ids and a Prometheus data source variable every panel uses', () => {
      const ids = all.map((p) => p.id);
      expect(ids.every((id) => Number.isInteger(id))).to.equal(true);
      expect(new Set(ids).size).to.equal(ids.length);
      const ds = dashboard.templating.list.find((v: any) => v.type === 'datasource');
      expect(ds).to.include({ name: 'datasource', query: 'prometheus' });
      for (const p of all.filter((p) => p.type !== 'row')) {
        expect(p.datasource, p.title).to.deep.equal({ type: 'prometheus', uid: '${datasource}' });
        for (const t of p.targets) expect(t.datasource, p.title).to.deep.equal({ type: 'prometheus', uid: '${datasource}' });
      }
    });

    it('queries only metrics and labels extguard exposes, and shows each of them', () => {
      const queries = [
        ...all.flatMap((p) => (p.targets ?? []).map((t: any) => ({ where: p.title, expr: t.expr }))),
        ...dashboard.templating.list.filter((v: any) => v.type === 'query').map((v: any) => ({ where: `variable ${v.name}`, expr: /label_values\((\w+)/.exec(v.definition)![1] })),
      ];
      for (const q of queries) expect(checkQuery(q.expr, exposed), q.where).to.deep.equal([]);
      const shown = new Set(queries.flatMap((q) => [...String(q.expr).matchAll(/extguard_\w+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''))));
      const own = [...exposedSeries({ defaultMetrics: false }).keys()].map((n) => n.replace(/_(bucket|sum|count)$/, ''));
      expect([...new Set(own)].filter((n) => !shown.has(n) && n !== 'extguard_tls_certificate_not_before_timestamp_seconds')).to.deep.equal([]);
    });
  });

  describe('docs/operations.md', () => {
    const doc = read('docs/operations.md');

    it("lists exactly extguard's own metrics, with their type and labels", () => {
      const rows = [...doc.matchAll(/^\| `(extguard_\w+)` \| (\w+) \| ([^|]*) \|/gm)].map((m) => ({
        name: m[1]!, type: m[2]!, labels: m[3]!.trim() === '' || m[3]!.trim() === '-' ? [] : m[3]!.split(',').map((l) => l.replace(/`/g, '').trim()),
      }));
      const metrics = createMetrics({ defaultMetrics: false });
      observeCatalogHealth(metrics, () => []);
      const registry = (metrics.registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames: string[] }[])
        .map((m) => ({ name: m.name, type: m.type, labels: [...m.labelNames] }));
      expect(rows.map((r) => r.name).sort()).to.deep.equal(registry.map((r) => r.name).sort());
      for (const r of registry) expect(rows.find((d) => d.name === r.name), r.name).to.deep.equal(r);
    });

    it('has a runbook section for every alert', () => {
      const rule = parseYaml(read('manifests/monitoring/prometheusrule.yaml'));
      for (const r of rule.spec.groups.flatMap((g: any) => g.rules)) expect(doc, r.alert).to.match(new RegExp(`^### ${r.alert}$`, 'm'));
    });
  });
});
