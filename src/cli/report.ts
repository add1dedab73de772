// `extguard check` and `extguard mutate` over manifests: the same judge as the webhook, with
// the Services and Namespaces among the inputs (and --declarations) as cluster state.

import fastJsonPatch from 'fast-json-patch';
import { stringify } from 'yaml';
import { catalogFromDocuments, recordsFromDocuments, type FileNote, type ManifestDocument } from '../catalog/files.ts';
import { ExpansionLimitError } from '../objects/expand.ts';
import { ShapeError } from '../objects/workload.ts';
import { buildSnapshot, type CatalogSnapshot, type NamespaceRecord } from '../catalog/snapshot.ts';
import { MODE_LABEL } from '../policy/annotations.ts';
import { judge, modeFor, type Policy } from '../policy/judge.ts';
import { MODES, type JsonPatchOperation, type Mode, type Violation } from '../policy/types.ts';

/** How strict a mode is: an input may raise the mode a namespace gets, never lower it. */
const STRICTNESS: Record<Mode, number> = { off: 0, audit: 1, warn: 2, enforce: 3 };

/**
 * The cluster state `check` and `mutate` judge with. `--declarations` (and the cluster itself,
 * for `check --cluster`) is trusted. The inputs are what a CI gate is gating, so they must not
 * lower their own verdict: their ExternalName Services are known (for injection) but declare
 * nothing, and a Namespace among them keeps its mode label only when it is stricter than the
 * mode the trusted state gives (`mode: off` next to a bad workload changes nothing). With
 * `trustInputs`, inputs count like declarations.
 */
export function catalogFor(inputs: readonly ManifestDocument[], declarations: readonly ManifestDocument[], policy: Policy, trustInputs: boolean): CatalogSnapshot {
  if (trustInputs) return catalogFromDocuments([...declarations, ...inputs]);
  const trusted = catalogFromDocuments(declarations);
  const input = recordsFromDocuments(inputs);
  const namespaces = input.namespaces.map((n): NamespaceRecord => {
    const label = n.labels[MODE_LABEL];
    const trustedMode = modeFor(n.name, trusted, policy.config).mode;
    // An unknown value means enforce (see modeFor), so it is never weaker.
    const stricter = label !== undefined && (!(MODES as readonly string[]).includes(label) || STRICTNESS[label as Mode] > STRICTNESS[trustedMode]);
    return { name: n.name, labels: stricter ? { [MODE_LABEL]: label! } : {} };
  });
  const records = trusted.records();
  // Trusted records come last, so they win over an input of the same name.
  return buildSnapshot(
    [...input.services.map((s) => ({ ...s, declares: false as const })), ...records.services],
    [...namespaces, ...records.namespaces],
  );
}

export interface CheckResult {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  mode: Mode;
  allowed: boolean;
  violations: Violation[];
  warnings: string[];
  patch: JsonPatchOperation[];
  /** Where the object was read (absent for objects read from the cluster); a List item's own line. */
  file?: string;
  line?: number;
}

export interface CheckReport {
  results: CheckResult[];
  /** Documents that are not Kubernetes objects, and Helm templates: not judged. */
  skipped: FileNote[];
  /** Files or documents that could not be read or judged. */
  errors: FileNote[];
  /** What the YAML reader noticed in a document it still read (a duplicate key). */
  notices: FileNote[];
  summary: { objects: number; denied: number; warned: number; mutated: number };
  /** YAML/JSON files read (stdin counts as one); 0 for --cluster. */
  files: number;
}

/** What reading the inputs found besides the objects. */
export interface ReadNotes { files?: number; skipped?: FileNote[]; errors?: FileNote[]; notices?: FileNote[] }

/** The report, and for the text output where each result's object was read (not in the JSON document). */
export interface CheckRun {
  report: CheckReport;
  locations: (string | undefined)[];
  /** The document each result was judged from, for outputs that point into the source (SARIF) or name the object (uid). */
  documents: ManifestDocument[];
  files: number;
}

/** An object the judge gave up on (an expansion bomb): the webhook answers it as unjudged, so CI must not pass it. */
export const TOO_COMPLEX = 'TOO_COMPLEX';
/** An object whose shape the judge cannot read (`containers: 3`): the API server would refuse it too. */
export const UNREADABLE_OBJECT = 'UNREADABLE_OBJECT';

/**
 * Judges every workload, ExternalName Service and Namespace among `inputs`; state = Services and
 * Namespaces in inputs + declarations. An object that cannot be judged becomes an error entry,
 * and the others are still judged.
 */
export function checkManifests(inputs: readonly ManifestDocument[], declarations: readonly ManifestDocument[], policy: Policy, trustInputs = false, read: ReadNotes = {}): CheckRun {
  const catalog = catalogFor(inputs, declarations, policy, trustInputs);
  const configMaps = configMapsIn([...declarations, ...inputs]);
  const results: CheckResult[] = [];
  const locations: (string | undefined)[] = [];
  const documents: ManifestDocument[] = [];
  const errors = [...(read.errors ?? [])];
  for (const document of inputs) {
    const { object, source, file, line } = document;
    let j;
    try {
      j = judge({ operation: 'CREATE', object, dryRun: true, configMaps }, catalog, policy);
    } catch (err) {
      if (!(err instanceof ShapeError || err instanceof ExpansionLimitError)) throw err;
      errors.push({ file: file ?? source, ...(line ? { line } : {}), reason: `cannot be judged: ${err.message}`, code: err instanceof ShapeError ? UNREADABLE_OBJECT : TOO_COMPLEX });
      continue;
    }
    const w = j.subject;
    if (!w || (w.kind === 'Service' && !isExternalName(object))) continue;
    const v = j.verdict;
    // A ConfigMap is listed when it has something to say: most of a repository's ConfigMaps
    // are plain settings, and listing each would bury the workloads.
    if (w.kind === 'ConfigMap' && v.violations.length === 0 && v.warnings.length === 0) continue;
    results.push({
      apiVersion: w.apiVersion, kind: w.kind, namespace: w.namespace, name: w.name,
      mode: v.mode, allowed: v.allowed, violations: v.violations, warnings: v.warnings, patch: v.patch,
      ...(file ? { file } : {}), ...(file && line ? { line } : {}),
    });
    locations.push(file ? `${file}${line ? `:${line}` : ''}` : undefined);
    documents.push(document);
  }
  const report: CheckReport = {
    results,
    skipped: read.skipped ?? [],
    errors,
    notices: read.notices ?? [],
    summary: {
      objects: results.length,
      denied: results.filter((r) => !r.allowed).length,
      warned: results.filter((r) => r.allowed && r.warnings.length > 0).length,
      mutated: results.filter((r) => r.patch.length > 0).length,
    },
    files: read.files ?? 0,
  };
  return { report, locations, documents, files: read.files ?? 0 };
}

/**
 * The data of the ConfigMaps among the documents, by namespace and name (the last of a name
 * wins, as the last apply would), for workloads that read them through envFrom or
 * configMapKeyRef. binaryData is no text and is left out.
 */
export function configMapsIn(documents: readonly ManifestDocument[]): (namespace: string, name: string) => Readonly<Record<string, string>> | undefined {
  const byName = new Map<string, Record<string, string>>();
  for (const { object } of documents) {
    if (typeof object !== 'object' || object === null) continue;
    const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; data?: unknown };
    if (o.apiVersion !== 'v1' || o.kind !== 'ConfigMap' || typeof o.metadata?.name !== 'string') continue;
    if (typeof o.data !== 'object' || o.data === null || Array.isArray(o.data)) continue;
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.data)) if (typeof v === 'string') data[k] = v;
    const namespace = typeof o.metadata.namespace === 'string' && o.metadata.namespace !== '' ? o.metadata.namespace : 'default';
    byName.set(`${namespace}/${o.metadata.name}`, data);
  }
  return (namespace, name) => byName.get(`${namespace}/${name}`);
}

function isExternalName(object: unknown): boolean {
  return (object as { spec?: { type?: unknown } } | null)?.spec?.type === 'ExternalName';
}

export function formatText({ report, locations, files }: CheckRun): string {
  const lines: string[] = [];
  report.results.forEach((r, i) => {
    const status = !r.allowed ? 'DENIED' : r.violations.length ? (r.mode === 'audit' ? 'AUDITED' : 'WARNED') : 'OK';
    const at = locations[i] ? ` in ${locations[i]}` : '';
    lines.push(`${status.padEnd(7)} ${r.kind} ${r.namespace}/${r.name} (mode ${r.mode}${r.patch.length ? `, ${r.patch.length} patch operation(s)` : ''})${at}`);
    for (const v of r.violations) {
      lines.push(...v.message.split('\n').map((l, i) => (i === 0 ? `  - [${v.rule}] ${l}` : `      ${l}`)));
    }
    const others = r.warnings.filter((w) => !w.startsWith('['));
    for (const w of others) lines.push(`  ! ${w}`);
  });
  for (const e of report.errors) lines.push(`ERROR   ${noteLine(e)}`);
  for (const n of report.notices) lines.push(`NOTICE  ${noteLine(n)}`);
  const s = report.summary;
  lines.push(`${s.objects} object(s): ${s.denied} denied, ${s.warned} allowed with warnings, ${s.mutated} would be mutated`);
  if (files > 0) {
    // Skipped documents are counted, not listed: a repository holds many (package.json, CI configs).
    const skipped = report.skipped.length ? `, ${report.skipped.length} document(s) skipped (not Kubernetes objects, or Helm templates; --format json lists them)` : '';
    lines.push(`${files} file(s) read${skipped}, ${report.errors.length} error(s)`);
  }
  return lines.join('\n') + '\n';
}

function noteLine(n: FileNote): string {
  return `${n.file}${n.line ? `:${n.line}` : ''}: ${n.reason}`;
}

/** The documents as the mutating webhook would leave them, as multi-document YAML. */
export function mutateManifests(inputs: readonly ManifestDocument[], declarations: readonly ManifestDocument[], policy: Policy, trustInputs = false): { yaml: string; notes: string[] } {
  const catalog = catalogFor(inputs, declarations, policy, trustInputs);
  const notes: string[] = [];
  const docs = inputs.map(({ object, source }) => {
    const j = judge({ operation: 'CREATE', object, dryRun: true }, catalog, policy);
    for (const v of j.verdict.violations) if (v.rule === 'unknown-external-service') notes.push(`${source}: ${v.message}`);
    if (!j.verdict.patch.length) return object;
    return fastJsonPatch.applyPatch(structuredClone(object), j.verdict.patch as fastJsonPatch.Operation[], true, false).newDocument;
  });
  return { yaml: docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'), notes };
}
