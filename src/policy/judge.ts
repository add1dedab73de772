// The judge: one pure function shared by /mutate, /validate, `check` and `mutate`.
// Everything it needs arrives as arguments (request, catalog snapshot, compiled policy);
// everything it decides leaves as a Verdict. No network, clock or files.

import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import type { Config } from '../config/config.ts';
import { newBudget } from '../objects/expand.ts';
import { quoted } from '../objects/quote.ts';
import { viewConfigMap, viewNamespace, viewService, type ConfigMapView } from '../objects/subjects.ts';
import { containerTexts, podTexts, type ContainerTexts, type ScannedText } from '../objects/texts.ts';
import { describeObject, viewWorkload, type ContainerView, type WorkloadView } from '../objects/workload.ts';
import { MODE_LABEL } from './annotations.ts';
import { configMapCredentials } from './configmaps.ts';
import { compileCredentialSettings, credentialsInCommands, findConfigMapCredentials, findCredentials, type CompiledCredentialSettings } from './credentials.ts';
import { invalidTarget, judgeDeclaration, judgeNamespace, type Requester } from './governance.ts';
import { compileHostSettings, hostFinder, hostMatches, shownHost, type CompiledHostSettings, type HostContext } from './hosts.ts';
import { CredentialWords, wholeValueIsCredential } from './credential-places.ts';
import { hostCandidates, hostsInCommands } from '../recognize/hosts.ts';
import { readCommandLines } from '../objects/commands.ts';
import { planInjection } from './injection.ts';
import { configMapViolation, credentialViolation, hiddenHostViolation, unlistedConfigMapViolations, hostViolation, shapeWarning, type Judged } from './messages.ts';
import { MODES, type CredentialFinding, type JsonPatchOperation, type Mode, type Verdict } from './types.ts';
import { fitWarnings } from './warnings.ts';
import { exceptionLabel, settle, type ExceptionUse } from './exceptions.ts';

export type { Requester } from './governance.ts';

/** A Config with its regexes and CIDRs compiled once, at load time, not per request. */
export interface Policy {
  config: Config;
  credentials: CompiledCredentialSettings;
  hosts: CompiledHostSettings;
}

/** Throws a clear Error on a config whose regexes or CIDRs do not compile. */
export function compilePolicy(config: Config): Policy {
  return {
    config,
    credentials: compileCredentialSettings(config.credentials),
    hosts: compileHostSettings({ clusterDomain: config.clusterDomain, internalCIDRs: config.internalCIDRs }),
  };
}

export interface AdmissionInput {
  operation: string;
  /** request.object: the object as it would be stored (after earlier mutations, for /validate). */
  object: unknown;
  /** request.oldObject, on UPDATE: what changed decides what is judged. */
  oldObject?: unknown;
  /** request.namespace; for manifests, metadata.namespace or "default". */
  namespace?: string;
  subResource?: string;
  dryRun: boolean;
  /** request.userInfo; absent for manifests, which are judged as an administrator's. */
  requester?: Requester;
  /**
   * The mutating webhook's question: only the injection patch (and the injection's own
   * findings) are computed. Its answer carries nothing else, since denials and warnings come
   * once, from /validate, which runs every rule on the object after all mutations.
   */
  injectionOnly?: boolean;
  /**
   * ConfigMaps the caller holds, by namespace and name (`check` with them among its inputs):
   * a workload's envFrom and configMapKeyRef then read their values. The webhook holds none.
   */
  configMaps?: (namespace: string, name: string) => Readonly<Record<string, string>> | undefined;
  /**
   * Today, for the exceptions' expiry: the caller reads the clock, the judge does not. Absent:
   * no exception applies (per-rule settings still do).
   */
  now?: Date;
}

/** The object a verdict is about: a workload, a declaration (ExternalName Service), a ConfigMap or a Namespace. */
export interface Subject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface Judgement {
  /** What was judged; undefined when the object is nothing extguard judges. */
  subject?: Subject;
  /** The workload, when the object is a covered kind (the CLI's mutate output needs its view). */
  workload?: WorkloadView;
  /** The namespace is exempt by configuration (never judged). */
  exempt: boolean;
  verdict: Verdict;
  /** Exceptions (by index into config.exceptions) that this object used, or matched expired. */
  exceptions?: ExceptionUse;
}

const ALLOW_ALL = (mode: Mode): Verdict => ({ mode, allowed: true, violations: [], warnings: [], patch: [], auditAnnotations: {} });

export function modeFor(namespace: string, catalog: CatalogSnapshot, config: Config): { mode: Mode; exempt: boolean; labelProblem?: string } {
  if (config.exemptNamespaces.includes(namespace)) return { mode: 'off', exempt: true };
  const label = catalog.namespaceLabels(namespace)?.[MODE_LABEL];
  if (label === undefined) return { mode: config.defaultMode, exempt: false };
  if ((MODES as readonly string[]).includes(label)) return { mode: label as Mode, exempt: false };
  // A typo must not fail open: `Enforce` or `enfrce` falling back to an audit default would
  // switch the policy off by accident. Unknown values mean enforce.
  return {
    mode: 'enforce',
    exempt: false,
    labelProblem: `namespace ${namespace} has ${MODE_LABEL}=${quoted(label)}, which is not one of ${MODES.join(', ')}; judging in enforce`,
  };
}

/**
 * Judges one admission request: one judge, three subjects, one verdict shape. Throws
 * ShapeError when a judged kind cannot be read, and ExpansionLimitError when its $(VAR)
 * references expand past the allowance. Dry-run requests get exactly the same verdict: dryRun
 * is accepted so callers cannot forget it, and deliberately not consulted.
 */
export function judge(input: AdmissionInput, catalog: CatalogSnapshot, policy: Policy): Judgement {
  if ((input.operation !== 'CREATE' && input.operation !== 'UPDATE') || input.object == null) {
    return { exempt: false, verdict: ALLOW_ALL('off') };
  }
  const update = input.operation === 'UPDATE' && input.oldObject != null;
  // Every Namespace subresource counts: namespaces/status and namespaces/finalize updates keep
  // metadata changes, so the mode label can be changed through them too.
  const ns = viewNamespace(input.object);
  if (ns) {
    const judged = judgeNamespace(ns, update ? viewNamespace(input.oldObject) : undefined, input.requester, policy.config);
    // Always enforced: a label that turned its own check off would protect nothing.
    return { subject: { apiVersion: 'v1', kind: 'Namespace', namespace: ns.name, name: ns.name }, exempt: false, verdict: verdictOf('enforce', judged, [], []) };
  }
  const svc = input.subResource ? undefined : viewService(input.object, input.namespace);
  if (svc) {
    const subject = { apiVersion: 'v1', kind: 'Service', namespace: svc.namespace, name: svc.name };
    const { mode, exempt, labelProblem } = modeFor(svc.namespace, catalog, policy.config);
    if (mode === 'off' || svc.type !== 'ExternalName') return { subject, exempt, verdict: ALLOW_ALL(mode) };
    const old = update ? viewService(input.oldObject, input.namespace) : undefined;
    const judged = judgeDeclaration(svc, old, input.requester, policy.config, policy.hosts, contextFor(catalog, svc.namespace));
    return { subject, exempt, verdict: verdictOf(mode, judged, labelProblem ? [labelProblem] : [], []) };
  }
  const cm = input.subResource ? undefined : viewConfigMap(input.object, input.namespace);
  if (cm) return judgeConfigMap(input, cm, update ? viewConfigMap(input.oldObject, input.namespace) : undefined, catalog, policy);
  return judgeWorkload(input, update, catalog, policy);
}

/**
 * A ConfigMap: plaintext credentials in its data, judged as the files its keys name. On UPDATE
 * only the keys whose value changed: a controller rewriting one key must not be stopped by a
 * credential another key held before extguard was installed (\`check\` and the audit report
 * still list it). No host rule: a host written in a ConfigMap reaches nothing by being there.
 */
function judgeConfigMap(input: AdmissionInput, cm: ConfigMapView, old: ConfigMapView | undefined, catalog: CatalogSnapshot, policy: Policy): Judgement {
  const subject = { apiVersion: 'v1', kind: 'ConfigMap', namespace: cm.namespace, name: cm.name };
  const { mode, exempt, labelProblem } = modeFor(cm.namespace, catalog, policy.config);
  if (mode === 'off' || cm.deleting || input.injectionOnly) return { subject, exempt, verdict: ALLOW_ALL(mode) };
  const unchanged = old ? (key: string, value: string): boolean => Object.hasOwn(old.data, key) && old.data[key] === value : undefined;
  const { findings, more } = configMapCredentials(cm, policy.credentials, unchanged);
  const judged = findings.map((f) => configMapViolation(cm, f));
  if (more > 0) judged.push(unlistedConfigMapViolations(cm, more));
  return settledJudgement({ subject, exempt }, mode, judged, labelProblem ? [labelProblem] : [], [], input, policy);
}

function judgeWorkload(input: AdmissionInput, update: boolean, catalog: CatalogSnapshot, policy: Policy): Judgement {
  const ephemeral = input.subResource === 'ephemeralcontainers';
  if (input.subResource && !ephemeral) return { exempt: false, verdict: ALLOW_ALL('off') };
  const workload = viewWorkload(input.object, input.namespace);
  if (!workload || (ephemeral && workload.kind !== 'Pod')) return { exempt: false, verdict: ALLOW_ALL('off') };
  const subject = { apiVersion: workload.apiVersion, kind: workload.kind, namespace: workload.namespace, name: workload.name };

  const { mode, exempt, labelProblem } = modeFor(workload.namespace, catalog, policy.config);
  if (mode === 'off') return { subject, workload, exempt, verdict: ALLOW_ALL(mode) };
  const old = update ? viewWorkload(input.oldObject, input.namespace) : undefined;

  let containers: readonly ContainerView[] = workload.containers;
  if (ephemeral) {
    // kubectl debug: only the ephemeral containers this request adds (they cannot change once added).
    const before = new Set(old?.containers.filter((c) => c.list === 'ephemeralContainers').map((c) => c.name));
    containers = containers.filter((c) => c.list === 'ephemeralContainers' && !before.has(c.name));
  } else if (old && (workload.deleting || workload.kind === 'Pod') && sameContainers(workload, old)) {
    // A Pod's containers cannot change after creation, and an object being deleted must be able
    // to lose its finalizers: such an UPDATE is judged only when it changes containers after all.
    return { subject, workload, exempt, verdict: ALLOW_ALL(mode) };
  }

  const { config } = policy;
  const injection = ephemeral ? { patch: [], violations: [], warnings: [] } : planInjection(workload, catalog, config.sharedNamespace);
  const judged: Judged[] = [...injection.violations];
  const notes = labelProblem ? [labelProblem, ...injection.warnings] : [...injection.warnings];
  if (input.injectionOnly) return { subject, workload, exempt, verdict: verdictOf(mode, judged, notes, injection.patch) };
  const ctx = contextFor(catalog, workload.namespace, statefulSetService(input.object));
  // Declarations count from the workload's namespace and the shared one.
  const declaring = [workload.namespace, ...(config.sharedNamespace !== undefined ? [config.sharedNamespace] : [])];
  const declared = (host: string): boolean =>
    config.allowedHosts.some((pattern) => hostMatches(host, pattern)) ||
    (declaring.some((ns) => catalog.externalNames(ns).has(host)) && invalidTarget(host, policy.hosts, ctx) === undefined);
  // A host built at run time under `suffix`: a `*.` allowedHosts entry covering it, or a
  // declaration the namespace made under it (the team already reaches hosts there). The
  // parents of every declared name are collected once, on the first such host.
  let declaredParents: Set<string> | undefined;
  const declaredUnder = (suffix: string): boolean => {
    if (config.allowedHosts.some((pattern) => pattern.startsWith('*.') && hostMatches(`x.${suffix}`, pattern))) return true;
    if (!declaredParents) {
      declaredParents = new Set();
      for (const ns of declaring) {
        for (const name of catalog.externalNames(ns)) {
          if (invalidTarget(name, policy.hosts, ctx) !== undefined) continue;
          for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) declaredParents.add(name.slice(dot + 1));
        }
      }
    }
    return declaredParents.has(suffix);
  };

  // Past MAX_LISTED violations an object is denied all the same; the rest are counted, not
  // built (a crafted object of 50,000 hosts would otherwise fill a judge worker's heap).
  let unlisted = 0;
  let unlistedRule: Judged['violation']['rule'] | undefined;
  const record = (rule: Judged['violation']['rule'], make: () => Judged): void => {
    if (judged.length < MAX_LISTED) { judged.push(make()); return; }
    unlisted++;
    unlistedRule ??= rule;
  };
  /** Both rules over the texts of one holder: a container, or the pod spec itself (""). */
  const judgeTexts = (holder: string, { texts, fromConfigMap }: ContainerTexts): void => {
    // One walk of the command lines for both rules.
    const hosts = hostFinder(policy.hosts, ctx);
    hostCandidates(texts, hosts.add, false);
    const inCommands = new Map<ScannedText, string>();
    const secretWords = new CredentialWords(texts, policy.credentials);
    readCommandLines(texts, [credentialsInCommands(policy.credentials, inCommands), hostsInCommands(hosts.add, policy.credentials), secretWords.reader(policy.credentials)]);
    const credentials = [...withSources(texts, findCredentials(texts, policy.credentials, inCommands)), ...findConfigMapCredentials(fromConfigMap, policy.credentials)];
    for (const f of credentials) record('plaintext-credential', () => credentialViolation(workload, holder, f));
    if (texts.length === 0) return;
    const hidden = credentialBearing(texts, credentials, policy.credentials);
    const reported = new Set<string>();
    const found = hosts.findings;
    const judgedPaths = new Set<string>();
    for (const f of found) {
      if (f.shape || (f.under ? declaredUnder(f.host) : declared(f.host))) continue;
      judgedPaths.add(f.path);
      const shown = shownHost(f, hidden, secretWords);
      if (shown !== undefined) record('undeclared-external-host', () => hostViolation(workload, holder, f, shown));
      else if (!reported.has(f.path)) {
        reported.add(f.path);
        record('undeclared-external-host', () => hiddenHostViolation(workload, holder, f.path));
      }
    }
    // Words that only look like hosts: never a denial, one warning per container that says so
    // and names no host (shape alone cannot tell a host from a password, a key or a file name).
    const shapePaths = new Set<string>();
    for (const f of found) {
      if (!f.shape || mode === 'audit' || judgedPaths.has(f.path) || (f.under ? declaredUnder(f.host) : declared(f.host))) continue;
      shapePaths.add(f.path);
    }
    if (shapePaths.size > 0) notes.push(shapeWarning(holder, [...shapePaths]));
  };
  const budget = newBudget();
  // Pod-level fields first (hostAliases, dnsConfig, network volumes); an ephemeral-containers
  // request cannot change them.
  if (!ephemeral) judgeTexts('', { texts: podTexts(workload, budget), fromConfigMap: [] });
  const held = input.configMaps;
  const configMaps = held ? (name: string) => held(workload.namespace, name) : undefined;
  for (const c of containers) judgeTexts(c.name, containerTexts(c, budget, workload.podMetadata, configMaps));
  if (unlisted > 0) judged.push(unlistedViolations(workload, unlisted, unlistedRule!));
  return settledJudgement({ subject, workload, exempt }, mode, judged, notes, injection.patch, input, policy);
}

/**
 * Paths of the texts whose hosts must not be shown: texts holding a credential, texts under a
 * credential's name, and every variable whose value flows into one through $(VAR) (a host
 * written in P and used as DB_PASSWORD=$(P) is a password). Linear in the references.
 */
function credentialBearing(texts: readonly ScannedText[], found: readonly CredentialFinding[], s: CompiledCredentialSettings): ReadonlySet<string> {
  const withCredential = new Set(found.map((f) => f.path));
  const envByIndex = new Map<number, ScannedText>();
  for (const t of texts) if (t.field === 'env') envByIndex.set(t.index, t);
  const queue = texts.filter((t) => withCredential.has(t.path) || wholeValueIsCredential(t, s));
  const seen = new Set(queue);
  for (let t = queue.pop(); t; t = queue.pop()) {
    for (const i of t.refs ?? []) {
      const source = envByIndex.get(i);
      if (source && !seen.has(source)) { seen.add(source); queue.push(source); }
    }
  }
  return new Set([...seen].map((t) => t.path));
}

/** Findings in values read from a ConfigMap at hand say where the value is kept, and that the fix is a Secret. */
function withSources(texts: readonly ScannedText[], found: CredentialFinding[]): CredentialFinding[] {
  if (!texts.some((t) => t.from !== undefined)) return found;
  const from = new Map<string, string>();
  for (const t of texts) if (t.from !== undefined) from.set(t.path, t.from);
  return found.map((f) => {
    const where = from.get(f.path);
    return where === undefined ? f : { ...f, what: `${f.what}; the value is ${where}`, fromConfigMap: true };
  });
}

/** An UPDATE that leaves every container exactly as it was. */
function sameContainers(now: WorkloadView, before: WorkloadView): boolean {
  if (now.containers.length !== before.containers.length) return false;
  return now.containers.every((c, i) => {
    const b = before.containers[i]!;
    return c.list === b.list && JSON.stringify(c.container) === JSON.stringify(b.container);
  });
}

function contextFor(catalog: CatalogSnapshot, namespace: string, ownService?: string): HostContext {
  // Predicates over the catalog: nothing is copied per request.
  return {
    hasNamespace: (name) => name === namespace || catalog.namespaces().has(name),
    hasService: (ns, name) => catalog.service(ns, name) !== undefined,
    hasLocalService: (name) => name === ownService || catalog.service(namespace, name) !== undefined,
  };
}

/** A StatefulSet's governing Service (`spec.serviceName`): its Pods are `<name>-N.<serviceName>`. */
function statefulSetService(object: unknown): string | undefined {
  if (typeof object !== 'object' || object === null) return undefined;
  const o = object as { kind?: unknown; spec?: { serviceName?: unknown } };
  return o.kind === 'StatefulSet' && typeof o.spec?.serviceName === 'string' && o.spec.serviceName !== '' ? o.spec.serviceName : undefined;
}

/**
 * The verdict after the rule settings and exceptions (exceptions.ts): excepted and capped
 * violations become warnings (and an `exceptions` audit annotation), and never deny.
 */
function settledJudgement(base: Omit<Judgement, 'verdict'> & { subject: Subject }, mode: Mode, judged: readonly Judged[], notes: readonly string[], patch: JsonPatchOperation[], input: AdmissionInput, policy: Policy): Judgement {
  const s = settle(judged, base.subject, input.object, policy.config, input.now);
  if (s.kept.length === judged.length && s.warnings.length === 0) return { ...base, verdict: verdictOf(mode, judged, notes, patch) };
  // audit stays silent towards the client, as for the violations themselves.
  const verdict = verdictOf(mode, s.kept, mode === 'audit' ? notes : [...notes, ...s.warnings], patch);
  if (s.excepted.length) verdict.auditAnnotations = { ...verdict.auditAnnotations, mode, exceptions: exceptionAnnotation(s.excepted, policy.config) };
  const used = s.use.applied.length + s.use.expired.length > 0;
  return { ...base, verdict, ...(used ? { exceptions: s.use } : {}) };
}

/** Which exception excepted which violation: labels, rules and paths, never a value; bounded like the violations annotation. */
function exceptionAnnotation(excepted: ReturnType<typeof settle>['excepted'], config: Config): string {
  const items = excepted.map(({ judged: { violation: v }, exception: i }) => ({ exception: exceptionLabel(config.exceptions[i]!, i), expires: config.exceptions[i]!.expires, rule: v.rule, container: v.container, path: v.path }));
  let value = '[';
  let kept = 0;
  const room = AUDIT_VALUE_LIMIT - `,{"truncated":${items.length}}]`.length;
  for (const item of items) {
    const text = JSON.stringify(item);
    if (kept > 0 && value.length + 1 + text.length > room) break;
    value += (kept > 0 ? ',' : '') + text;
    kept++;
  }
  return value + (kept < items.length ? `,{"truncated":${items.length - kept}}]` : ']');
}

function verdictOf(mode: Mode, judged: readonly Judged[], notes: readonly string[], patch: JsonPatchOperation[]): Verdict {
  const violations = judged.map((j) => j.violation);
  return {
    mode,
    allowed: mode !== 'enforce' || violations.length === 0,
    violations,
    // enforce and warn both list every violation as a warning, so kubectl shows all at once;
    // audit stays silent towards the client and records audit annotations instead.
    // Only what can be shown is written: warnings fit 4096 runes, a few dozen lines at most.
    warnings: fitWarnings(mode === 'audit' ? [...notes] : [...notes, ...judged.slice(0, WARNINGS_WRITTEN).map((j) => j.warning)], mode === 'audit' ? 0 : Math.max(0, judged.length - WARNINGS_WRITTEN)),
    patch,
    auditAnnotations: violations.length ? auditAnnotations(mode, judged) : {},
  };
}

/** Violations listed per object; more are counted in one last violation. */
export const MAX_LISTED = 10_000;

/** The last violation of an object with more than MAX_LISTED: how many more, not each. */
function unlistedViolations(workload: WorkloadView, count: number, rule: Judged['violation']['rule']): Judged {
  const violation = {
    rule, container: '', path: workload.specPath,
    message: `${describeObject(workload)}: ${count} more violation(s) not listed: an object with more than ${MAX_LISTED} is listed up to that many. Fix those, then check again.`,
  };
  return { violation, warning: `[${rule}] ${count} more violation(s) not listed` };
}

/** Violation warnings written per verdict: more than fit in the API server's 4096 runes of warnings. */
const WARNINGS_WRITTEN = 200;

/** Audit annotation values are bounded; they carry rule and location, never the finding's text. */
const AUDIT_VALUE_LIMIT = 8 * 1024;

/** Built in one pass: items are added while they fit, then one `{"truncated":N}` closes the list. */
function auditAnnotations(mode: Mode, judged: readonly Judged[]): Record<string, string> {
  const room = AUDIT_VALUE_LIMIT - `,{"truncated":${judged.length}}]`.length;
  let value = '[';
  let kept = 0;
  for (const { violation: v } of judged) {
    const item = JSON.stringify({ rule: v.rule, container: v.container, path: v.path });
    if (kept > 0 && value.length + 1 + item.length > room) break;
    value += (kept > 0 ? ',' : '') + item;
    kept++;
  }
  value += kept < judged.length ? `,{"truncated":${judged.length - kept}}]` : ']';
  return { mode, violations: value };
}
