// `extguard check --format policyreport`: the check report as OpenReports `Report` objects
// (openreports.io/v1alpha1), one per namespace, for Policy Reporter and other report readers.
// Pure: the caller hands in the clock. See docs/reports.md for the choices.

import { stringify } from 'yaml';
import type { ManifestDocument } from '../catalog/files.ts';
import { managedLabels } from '../egress/objects.ts';
import type { RuleName } from '../policy/types.ts';
import type { CheckResult, CheckRun } from './report.ts';

export const REPORT_API_VERSION = 'openreports.io/v1alpha1';
export const REPORT_KIND = 'Report';
export const REPORT_NAME = 'extguard';
export const POLICY = 'extguard';
export const SOURCE = 'extguard';

type Status = 'pass' | 'fail' | 'warn' | 'error' | 'skip';
type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** A credential in the open is a leak already; the other rules are about where traffic may go. */
const SEVERITY: Record<RuleName, Severity> = {
  'plaintext-credential': 'high',
  'undeclared-external-host': 'medium',
  'unknown-external-service': 'low',
  'mode-change-forbidden': 'high',
  'invalid-declaration': 'high',
  'undeclarable-host': 'medium',
};

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

export interface ReportResult {
  policy: string;
  rule?: string;
  result: Status;
  severity?: Severity;
  message: string;
  source: string;
  scored: boolean;
  timestamp: { seconds: number; nanos: number };
  resources: ObjectReference[];
  properties?: Record<string, string>;
}

export interface Report {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  source: string;
  summary: Record<Status, number>;
  results: ReportResult[];
}

/**
 * One Report per namespace holding judged objects, namespaces in name order, results in input
 * order. A violation is `fail` when its object is denied and `warn` when it is allowed (warn
 * and audit modes); an object without violations is one `pass` result, so readers count every
 * object judged; an object in a namespace whose mode is `off` is one `skip`. Namespace objects
 * are left out: the one rule about them (mode-change-forbidden) needs a requester, which
 * `check` never has.
 */
export function buildReports(run: CheckRun, now: Date): Report[] {
  const timestamp = { seconds: Math.floor(now.getTime() / 1000), nanos: 0 };
  const byNamespace = new Map<string, ReportResult[]>();
  run.report.results.forEach((r, i) => {
    if (r.kind === 'Namespace') return;
    const list = byNamespace.get(r.namespace) ?? [];
    byNamespace.set(r.namespace, list);
    list.push(...resultsFor(r, run.documents[i], timestamp));
  });
  return [...byNamespace.keys()].sort().map((namespace) => {
    const results = byNamespace.get(namespace)!;
    const summary: Record<Status, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
    for (const r of results) summary[r.result]++;
    return {
      apiVersion: REPORT_API_VERSION,
      kind: REPORT_KIND,
      metadata: { name: REPORT_NAME, namespace, labels: managedLabels() },
      source: SOURCE,
      summary,
      results,
    };
  });
}

function resultsFor(r: CheckResult, document: ManifestDocument | undefined, timestamp: ReportResult['timestamp']): ReportResult[] {
  const uid = (document?.object['metadata'] as { uid?: unknown } | undefined)?.uid;
  const resources = [{ apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name, ...(typeof uid === 'string' && uid ? { uid } : {}) }];
  const base = { policy: POLICY, source: SOURCE, scored: true, timestamp, resources };
  if (r.mode === 'off') {
    return [{ ...base, result: 'skip', message: `${r.kind} ${r.namespace}/${r.name}: not judged, its namespace's extguard mode is off`, properties: { mode: r.mode } }];
  }
  if (!r.violations.length) {
    return [{ ...base, result: 'pass', message: `${r.kind} ${r.namespace}/${r.name}: no violation`, properties: { mode: r.mode } }];
  }
  return r.violations.map((v) => ({
    ...base,
    rule: v.rule,
    result: r.allowed ? 'warn' : 'fail',
    severity: SEVERITY[v.rule],
    // The judge's message, already free of credential values.
    message: v.message,
    properties: { mode: r.mode, field: v.path, ...(v.container ? { container: v.container } : {}) },
  }));
}

/** Multi-document YAML that `kubectl apply -f -` takes; empty when there is no report. */
export function formatReports(reports: readonly Report[]): string {
  // Results share their timestamp object: no YAML anchors for it.
  return reports.map((r) => stringify(r, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
