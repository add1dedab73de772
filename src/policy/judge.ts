// The judge: one pure function shared by /mutate, /validate, `check` and `mutate`.
// Everything it needs arrives as arguments (request, catalog snapshot, compiled policy);
// everything it decides leaves as a Verdict. No network, clock or files.

import { scannedTexts, viewWorkload, type WorkloadView } from '../admission/workload.ts';
import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import type { Config } from '../config/config.ts';
import { MODE_LABEL } from './annotations.ts';
import { compileCredentialSettings, findCredentials, type CompiledCredentialSettings } from './credentials.ts';
import { compileHostSettings, findExternalHosts, hostMatches, type CompiledHostSettings } from './hosts.ts';
import { planInjection } from './injection.ts';
import { credentialViolation, hostViolation, type Judged } from './messages.ts';
import { MODES, type Mode, type Verdict } from './types.ts';
import { fitWarnings } from './warnings.ts';

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
  /** request.namespace; for manifests, metadata.namespace or "default". */
  namespace?: string;
  subResource?: string;
  dryRun: boolean;
}

export interface Judgement {
  /** The workload, when the object is a covered kind; undefined for everything else. */
  workload?: WorkloadView;
  /** The namespace is exempt by configuration (never judged). */
  exempt: boolean;
  verdict: Verdict;
}

const ALLOW_ALL = (mode: Mode): Verdict => ({ mode, allowed: true, violations: [], warnings: [], patch: [], auditAnnotations: {} });

export function modeFor(namespace: string, catalog: CatalogSnapshot, config: Config): { mode: Mode; exempt: boolean; labelProblem?: string } {
  if (config.exemptNamespaces.includes(namespace)) return { mode: 'off', exempt: true };
  const label = catalog.namespaceLabels(namespace)?.[MODE_LABEL];
  if (label === undefined) return { mode: config.defaultMode, exempt: false };
  if ((MODES as readonly string[]).includes(label)) return { mode: label as Mode, exempt: false };
  return {
    mode: config.defaultMode,
    exempt: false,
    labelProblem: `namespace ${namespace} has ${MODE_LABEL}="${label}", which is not one of ${MODES.join(', ')}; using ${config.defaultMode}`,
  };
}

/**
 * Judges one admission request. Throws ShapeError when a covered kind cannot be read.
 * Dry-run requests get exactly the same verdict: dryRun is accepted so callers cannot forget
 * it, and deliberately not consulted.
 */
export function judge(input: AdmissionInput, catalog: CatalogSnapshot, policy: Policy): Judgement {
  if ((input.operation !== 'CREATE' && input.operation !== 'UPDATE') || input.subResource || input.object == null) {
    return { exempt: false, verdict: ALLOW_ALL('off') };
  }
  const workload = viewWorkload(input.object, input.namespace);
  if (!workload) return { exempt: false, verdict: ALLOW_ALL('off') };

  const { mode, exempt, labelProblem } = modeFor(workload.namespace, catalog, policy.config);
  // A Pod's containers cannot change after creation, so an UPDATE (labels, finalizers...) has
  // nothing new to judge; blocking it would only break controllers. Objects being deleted are
  // left alone so their finalizers can run.
  const podUpdate = workload.kind === 'Pod' && input.operation === 'UPDATE';
  if (mode === 'off' || podUpdate || workload.deleting) return { workload, exempt, verdict: ALLOW_ALL(mode) };

  const { config } = policy;
  const injection = planInjection(workload, catalog, config.sharedNamespace);
  const judged: Judged[] = [...injection.violations];
  const ctx = { namespaces: withNamespace(catalog.namespaces(), workload.namespace) };
  const declared = (host: string): boolean =>
    catalog.externalNames(workload.namespace).has(host) ||
    (config.sharedNamespace !== undefined && catalog.externalNames(config.sharedNamespace).has(host)) ||
    config.allowedHosts.some((pattern) => hostMatches(host, pattern));

  for (const c of workload.containers) {
    const texts = scannedTexts(c);
    if (texts.length === 0) continue;
    for (const f of findCredentials(texts, policy.credentials)) judged.push(credentialViolation(workload, c.name, f));
    for (const f of findExternalHosts(texts, policy.hosts, ctx)) {
      if (!declared(f.host)) judged.push(hostViolation(workload, c.name, f));
    }
  }

  const violations = judged.map((j) => j.violation);
  const notes = labelProblem ? [labelProblem, ...injection.warnings] : injection.warnings;
  const verdict: Verdict = {
    mode,
    allowed: mode !== 'enforce' || violations.length === 0,
    violations,
    // enforce and warn both list every violation as a warning, so kubectl shows all at once;
    // audit stays silent towards the client and records audit annotations instead.
    warnings: fitWarnings(mode === 'audit' ? notes : [...notes, ...judged.map((j) => j.warning)]),
    patch: injection.patch,
    auditAnnotations: violations.length ? auditAnnotations(mode, judged) : {},
  };
  return { workload, exempt, verdict };
}

function withNamespace(known: ReadonlySet<string>, namespace: string): ReadonlySet<string> {
  return known.has(namespace) ? known : new Set([...known, namespace]);
}

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
