// `extguard check` and `extguard mutate` over manifests: the same judge as the webhook, with
// the Services and Namespaces among the inputs (and --declarations) as cluster state.

import fastJsonPatch from 'fast-json-patch';
import { KUBECTL_YAML } from '../objects/yaml-out.ts';
import { exceptionsReport, formatExceptions, type ExceptionsReport } from './exceptions-report.ts';
import { isDeepStrictEqual } from 'node:util';
import { isMap, isSeq, stringify, type Document } from 'yaml';
import { kubectlDocuments } from '../catalog/yaml-stream.ts';
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
  /** The namespace is in exemptNamespaces: never judged by the webhook (a Namespace's own governance check still runs). */
  exempt?: true;
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
  /** With exceptions in the config: which the run used, which matched nothing, which expired. */
  exceptions?: ExceptionsReport;
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
export function checkManifests(inputs: readonly ManifestDocument[], declarations: readonly ManifestDocument[], policy: Policy, trustInputs = false, read: ReadNotes = {}, now = new Date()): CheckRun {
  const session = new CheckSession(inputs, declarations, policy, trustInputs, undefined, now);
  for (const document of inputs) session.add(document);
  return session.finish(read);
}

/** The kinds among the inputs that are cluster state for the others (catalogFor, configMapsIn). */
export const STATE_KINDS: ReadonlySet<string> = new Set(['Service', 'Namespace', 'ConfigMap']);

/**
 * Whether a piece of YAML/JSON text may hold a state object (or a List of them): it names one of
 * STATE_KINDS as a word, or has a backslash (a double-quoted escape can spell a kind). Errs
 * towards yes: a false yes costs a parse, a false no would judge without that state.
 */
export function mayHoldState(piece: string): boolean {
  return STATE_WORD.test(piece) || piece.includes('\\');
}
const STATE_WORD = /\b(Service|Namespace|ConfigMap)\b/;

/**
 * `check` one object at a time, so a huge input is never held whole: the state (the inputs'
 * Services, Namespaces and ConfigMaps, read beforehand) is fixed first, then each object is
 * judged as it is read and only its result is kept.
 */
export class CheckSession {
  private readonly catalog: CatalogSnapshot;
  private readonly configMaps: ReturnType<typeof configMapsIn>;
  private readonly results: CheckResult[] = [];
  private readonly locations: (string | undefined)[] = [];
  private readonly documents: ManifestDocument[] = [];
  private readonly errors: FileNote[] = [];
  private readonly policy: Policy;
  private readonly onResult: ((result: CheckResult, location: string | undefined) => void) | undefined;
  private readonly summary = { objects: 0, denied: 0, warned: 0, mutated: 0 };
  /** Exceptions (index into config.exceptions) used and matched expired, with how many objects each. */
  private readonly used = new Map<number, number>();
  private readonly expired = new Map<number, number>();
  /** Today, for the exceptions' expiry (the judge reads no clock). */
  private readonly now: Date;
  /** ExternalName targets among the inputs, by namespace, when the inputs are not trusted: they declare nothing, and a denial they would have lifted says so. */
  private readonly untrustedDeclarations = new Map<string, Set<string>>();

  /**
   * With `onResult`, each result is handed over as it is judged and not kept (the report's
   * `results` stay empty; its summary counts them all): memory stays bounded for outputs
   * written result by result (text, json).
   */
  constructor(state: readonly ManifestDocument[], declarations: readonly ManifestDocument[], policy: Policy, trustInputs = false, onResult?: (result: CheckResult, location: string | undefined) => void, now = new Date()) {
    this.policy = policy;
    this.now = now;
    if (!trustInputs) {
      for (const s of recordsFromDocuments(state).services) {
        if (s.type !== 'ExternalName' || !s.externalName) continue;
        const hosts = this.untrustedDeclarations.get(s.namespace) ?? new Set<string>();
        hosts.add(s.externalName.toLowerCase().replace(/\.$/, ''));
        this.untrustedDeclarations.set(s.namespace, hosts);
      }
    }
    this.onResult = onResult;
    this.catalog = catalogFor(state, declarations, policy, trustInputs);
    this.configMaps = configMapsIn([...declarations, ...state]);
  }

  add(document: ManifestDocument): void {
    const { object, source, file, line } = document;
    let j;
    try {
      j = judge({ operation: 'CREATE', object, dryRun: true, configMaps: this.configMaps, now: this.now }, this.catalog, this.policy);
    } catch (err) {
      if (!(err instanceof ShapeError || err instanceof ExpansionLimitError)) throw err;
      this.errors.push({ file: file ?? source, ...(line ? { line } : {}), reason: `cannot be judged: ${err.message}`, code: err instanceof ShapeError ? UNREADABLE_OBJECT : TOO_COMPLEX });
      return;
    }
    for (const i of j.exceptions?.applied ?? []) this.used.set(i, (this.used.get(i) ?? 0) + 1);
    for (const i of j.exceptions?.expired ?? []) this.expired.set(i, (this.expired.get(i) ?? 0) + 1);
    const w = j.subject;
    if (!w || (w.kind === 'Service' && !isExternalName(object))) return;
    const v = j.verdict;
    // A ConfigMap is listed when it has something to say: most of a repository's ConfigMaps
    // are plain settings, and listing each would bury the workloads.
    if (w.kind === 'ConfigMap' && v.violations.length === 0 && v.warnings.length === 0) return;
    const result: CheckResult = {
      apiVersion: w.apiVersion, kind: w.kind, namespace: w.namespace, name: w.name,
      mode: v.mode, allowed: v.allowed, violations: v.violations, warnings: [...v.warnings, ...this.untrustedHints(w.namespace, v.violations)], patch: v.patch,
      ...(j.exempt || this.policy.config.exemptNamespaces.includes(w.namespace) ? { exempt: true as const } : {}),
      ...(file ? { file } : {}), ...(file && line ? { line } : {}),
    };
    const location = file ? `${file}${line ? `:${line}` : ''}` : undefined;
    this.summary.objects++;
    if (!result.allowed) this.summary.denied++;
    if (result.allowed && result.warnings.length > 0) this.summary.warned++;
    if (result.patch.length > 0) this.summary.mutated++;
    if (this.onResult) {
      this.onResult(result, location);
      return;
    }
    this.results.push(result);
    this.locations.push(location);
    // Where it was read and its uid are what the outputs need; the object itself is not kept.
    const uid = (object['metadata'] as { uid?: unknown } | undefined)?.uid;
    this.documents.push({ ...document, object: uid === undefined ? {} : { metadata: { uid } } });
  }

  /** A hint per undeclared host that an ExternalName Service among the (untrusted) inputs names. */
  private untrustedHints(namespace: string, violations: readonly Violation[]): string[] {
    const hosts = this.untrustedDeclarations.get(namespace);
    const shared = this.policy.config.sharedNamespace !== undefined ? this.untrustedDeclarations.get(this.policy.config.sharedNamespace) : undefined;
    if (!hosts && !shared) return [];
    const hints: string[] = [];
    for (const v of violations) {
      if (v.rule !== 'undeclared-external-host') continue;
      const host = /reaches undeclared external host "([^"]+)"/.exec(v.message)?.[1];
      if (host && (hosts?.has(host) || shared?.has(host))) {
        hints.push(`an ExternalName Service among the inputs declares "${host}", but check does not count its inputs as declarations (a pull request could declare what it uses): pass that file with --declarations, or use --trust-inputs where declarations are reviewed with the workloads`);
      }
    }
    return [...new Set(hints)];
  }

  finish(read: ReadNotes = {}): CheckRun {
    const report: CheckReport = {
      results: this.results,
      skipped: read.skipped ?? [],
      errors: [...(read.errors ?? []), ...this.errors],
      notices: read.notices ?? [],
      summary: { ...this.summary },
      files: read.files ?? 0,
      ...(this.policy.config.exceptions.length ? { exceptions: exceptionsReport(this.policy.config, this.used, this.expired, this.now) } : {}),
    };
    return { report, locations: this.locations, documents: this.documents, files: read.files ?? 0 };
  }
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

export function formatText(run: CheckRun): string {
  return run.report.results.map((r, i) => textResult(r, run.locations[i])).join('') + textTail(run);
}

/** One result in the text output: its status line, then one line per violation and warning. */
export function textResult(r: CheckResult, location: string | undefined): string {
  const lines: string[] = [];
  const status = !r.allowed ? 'DENIED' : r.violations.length ? (r.mode === 'audit' ? 'AUDITED' : 'WARNED') : 'OK';
  const at = location ? ` in ${location}` : '';
  lines.push(`${status.padEnd(7)} ${r.kind} ${r.namespace}/${r.name} (${r.exempt ? 'exempt' : `mode ${r.mode}`}${r.patch.length ? `, ${r.patch.length} patch operation(s)` : ''})${at}`);
  for (const v of r.violations) {
    lines.push(...v.message.split('\n').map((l, i) => (i === 0 ? `  - [${v.rule}] ${l}` : `      ${l}`)));
  }
  const others = r.warnings.filter((w) => !w.startsWith('['));
  for (const w of others) lines.push(`  ! ${w}`);
  return lines.join('\n') + '\n';
}

/** What the text output prints after the results: errors, notices, counts. */
export function textTail({ report, files }: CheckRun): string {
  const lines: string[] = [];
  for (const e of report.errors) lines.push(`ERROR   ${noteLine(e)}`);
  for (const n of report.notices) lines.push(`NOTICE  ${noteLine(n)}`);
  if (report.exceptions) lines.push(...formatExceptions(report.exceptions));
  const s = report.summary;
  lines.push(`${s.objects} object(s): ${s.denied} denied, ${s.warned} allowed with warnings, ${s.mutated} would be mutated`);
  if (files > 0) {
    // Skipped documents are counted, not listed: a repository holds many (package.json, CI configs).
    const skipped = report.skipped.length ? `, ${report.skipped.length} document(s) skipped (not Kubernetes objects, or Helm templates; --format json lists them)` : '';
    lines.push(`${files} file(s) read${skipped}, ${report.errors.length} error(s)`);
  }
  return lines.join('\n') + '\n';
}

/**
 * `--format json` written as results come: the same bytes as JSON.stringify(report, null, 2),
 * without holding every result. `result` before `end`, in order.
 */
export class JsonReportWriter {
  private count = 0;
  private readonly write: (chunk: string) => void;

  constructor(write: (chunk: string) => void) {
    this.write = write;
    write('{\n  "results": [');
  }

  result(r: CheckResult): void {
    this.write(`${this.count++ ? ',' : ''}\n    ${JSON.stringify(r, null, 2).split('\n').join('\n    ')}`);
  }

  /** The rest of the report (its own `results` are written too, for a report judged whole). */
  end(report: CheckReport): void {
    for (const r of report.results) this.result(r);
    const { results: _, ...rest } = report;
    this.write(`${this.count ? '\n  ]' : ']'},\n${JSON.stringify(rest, null, 2).slice(2)}\n`);
  }
}

function noteLine(n: FileNote): string {
  return `${n.file}${n.line ? `:${n.line}` : ''}: ${n.reason}`;
}

/**
 * The documents as the mutating webhook would leave them, as multi-document YAML. With
 * `textOf` (the text each document was read from), a document is printed from its own parse
 * tree with the patch applied to it, so its comments and layout stay; when that cannot be
 * done exactly (a List item, a patch through an alias), it is printed from the plain object.
 */
export function mutateManifests(inputs: readonly ManifestDocument[], declarations: readonly ManifestDocument[], policy: Policy, trustInputs = false, textOf?: (file: string) => string | undefined): { yaml: string; notes: string[] } {
  const catalog = catalogFor(inputs, declarations, policy, trustInputs);
  const notes: string[] = [];
  const trees = new Map<string, Document.Parsed[]>();
  const treeOf = (file: string, index: number): Document.Parsed | undefined => {
    if (!trees.has(file)) {
      const text = textOf?.(file);
      const docs: Document.Parsed[] = [];
      if (text !== undefined) for (const d of kubectlDocuments(text, () => {})) docs[d.index] = d.doc;
      trees.set(file, docs);
    }
    return trees.get(file)![index];
  };
  const out = inputs.map(({ object, source, file, address }) => {
    const j = judge({ operation: 'CREATE', object, dryRun: true }, catalog, policy);
    for (const v of j.verdict.violations) if (v.rule === 'unknown-external-service') notes.push(`${source}: ${v.message}`);
    const patched = j.verdict.patch.length ? fastJsonPatch.applyPatch(structuredClone(object), j.verdict.patch as fastJsonPatch.Operation[], true, false).newDocument : object;
    const tree = file && address && address.item === undefined ? treeOf(file, address.document) : undefined;
    if (tree && patchTree(tree, j.verdict.patch) && isDeepStrictEqual(tree.toJS({ maxAliasCount: 100 }), patched)) {
      // The documents are joined with `---` below; a document's own start marker would double it.
      const text = tree.toString({ lineWidth: 0 });
      return text.startsWith('---\n') ? text.slice(4) : text;
    }
    return stringify(patched, KUBECTL_YAML);
  });
  return { yaml: out.join('---\n'), notes };
}

/** Applies add/replace/remove to a parse tree in place; false for anything else, or a path it cannot follow. */
function patchTree(doc: Document.Parsed, patch: readonly JsonPatchOperation[]): boolean {
  for (const op of patch) {
    const path = op.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = path[path.length - 1];
    if (last === undefined) return false;
    const parent = doc.getIn(path.slice(0, -1), true);
    if (op.op === 'add' && isSeq(parent)) {
      const node = doc.createNode(op.value);
      if (last === '-') parent.items.push(node);
      else parent.items.splice(Number(last), 0, node);
    } else if ((op.op === 'add' || op.op === 'replace') && (isMap(parent) || isSeq(parent))) {
      parent.set(isSeq(parent) ? Number(last) : last, doc.createNode(op.value));
    } else if (op.op === 'remove' && (isMap(parent) || isSeq(parent))) {
      parent.delete(isSeq(parent) ? Number(last) : last);
    } else {
      return false;
    }
  }
  return true;
}
