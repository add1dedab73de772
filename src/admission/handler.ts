// From a decoded AdmissionRequest to an AdmissionReview response, for both endpoints.
// /mutate only ever adds the injection patch: it never denies on policy, so that denials and
// warnings come once, from /validate, which sees the object after every mutation.

import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import { ExpansionLimitError, EXPANSION_ALLOWANCE } from '../objects/expand.ts';
import { judge, modeFor, type Judgement, type Policy } from '../policy/judge.ts';
import { denialMessage } from '../policy/messages.ts';
import { exceptionLabel } from '../policy/exceptions.ts';
import type { Mode, RuleName, Violation } from '../policy/types.ts';
import { ShapeError } from '../objects/workload.ts';
import { allowed, denied, errored, type AdmissionRequest, type AdmissionReviewResponse } from './review.ts';

export type Endpoint = 'mutate' | 'validate';

export interface Handled {
  review: AdmissionReviewResponse;
  judgement?: Judgement;
  /** Answered without a judgement, and why. */
  unjudged?: UnjudgedReason;
}

/** `now`: the date exceptions expire against (the judge reads no clock). */
export function handleAdmission(endpoint: Endpoint, request: AdmissionRequest, catalog: CatalogSnapshot, policy: Policy, now = new Date()): Handled {
  let judgement: Judgement;
  try {
    judgement = judge(
      {
        operation: request.operation,
        object: request.object,
        oldObject: request.oldObject,
        namespace: request.namespace,
        subResource: request.subResource,
        dryRun: request.dryRun === true,
        // Always a requester in the webhook: a review without userInfo is judged as nobody's,
        // never as an administrator's (only `check`, with no requester at all, is).
        requester: { username: request.userInfo?.username ?? '', groups: request.userInfo?.groups ?? [] },
        injectionOnly: endpoint === 'mutate',
        now,
      },
      catalog,
      policy,
    );
  } catch (err) {
    if (err instanceof ShapeError) return { review: errored(request.uid, 400, `extguard cannot read the object: ${err.message}`) };
    if (err instanceof ExpansionLimitError) {
      const { mode } = modeFor(request.namespace || 'default', catalog, policy.config);
      return { review: unjudged(endpoint, request, mode, 'too-complex', 0), unjudged: 'too-complex' };
    }
    throw err;
  }
  const { verdict, subject } = judgement;
  if (endpoint === 'mutate') return { review: allowed(request.uid, { patch: verdict.patch }), judgement };
  const opts = { warnings: verdict.warnings, auditAnnotations: verdict.auditAnnotations };
  if (!verdict.allowed && subject) return { review: denied(request.uid, denialMessage(subject, verdict.violations), opts), judgement };
  return { review: allowed(request.uid, opts), judgement };
}

/** Violations a log line names; the count covers the rest. */
const LOGGED_VIOLATIONS = 20;

/**
 * What the HTTP edge needs for its log line and metrics, computed where the judgement is:
 * plain data (it crosses from the judge worker), locations and rule names only, never a value.
 */
export interface ReviewSummary {
  kind: string;
  namespace: string;
  name: string;
  mode: Mode;
  allowed: boolean;
  patchOps: number;
  violationCount: number;
  /** Violations per rule, for the metrics. */
  byRule: Partial<Record<RuleName, number>>;
  /** The first LOGGED_VIOLATIONS violations: rule, container and path. */
  violations: Pick<Violation, 'rule' | 'container' | 'path'>[];
  /** Exceptions this review used, as their labels (index and selection: bounded by the config). */
  exceptions?: string[];
}

export function summarize(handled: Handled, policy: Policy): ReviewSummary | undefined {
  const j = handled.judgement;
  if (!j?.subject) return undefined;
  const v = j.verdict;
  const byRule: Partial<Record<RuleName, number>> = {};
  for (const x of v.violations) byRule[x.rule] = (byRule[x.rule] ?? 0) + 1;
  return {
    kind: j.subject.kind,
    namespace: j.subject.namespace,
    name: j.subject.name,
    mode: v.mode,
    allowed: v.allowed,
    patchOps: v.patch.length,
    violationCount: v.violations.length,
    byRule,
    violations: v.violations.slice(0, LOGGED_VIOLATIONS).map(({ rule, container, path }) => ({ rule, container, path })),
    ...(j.exceptions?.applied.length ? { exceptions: j.exceptions.applied.map((i) => exceptionLabel(policy.config.exceptions[i]!, i)) } : {}),
  };
}

/** Why a review was answered without a judgement. */
export type UnjudgedReason = 'timeout' | 'overloaded' | 'crashed' | 'too-complex';

function unjudgedReason(reason: UnjudgedReason, deadlineMs: number): string {
  switch (reason) {
    case 'timeout': return `too large or complex to judge within ${deadlineMs} ms`;
    case 'overloaded': return "not judged: the judge was busy, or this namespace's reviews already held their share of it (retry; split large objects)";
    case 'crashed': return 'not judged: the judge worker failed on it (see the webhook logs)';
    case 'too-complex': return `too complex to judge: its $(VAR) references expand to more than ${EXPANSION_ALLOWANCE} characters`;
  }
}

/**
 * The answer when the judge gave none in time. The mode comes from the namespace (the edge
 * knows it without judging): enforce denies, since an object extguard cannot judge must not
 * pass a gate that exists to judge it; warn and audit allow with a warning; off and exempt
 * namespaces allow. /mutate never denies: it admits the object unmutated and says so, and
 * /validate still judges it.
 */
export function unjudged(endpoint: Endpoint, request: AdmissionRequest, mode: Mode, reason: UnjudgedReason, deadlineMs: number): AdmissionReviewResponse {
  const what = `${request.kind?.kind ?? 'object'} ${request.namespace ? `${request.namespace}/` : ''}${request.name || '(unnamed)'}`;
  const why = unjudgedReason(reason, deadlineMs);
  if (mode === 'off') return allowed(request.uid);
  if (endpoint === 'mutate') return allowed(request.uid, { warnings: [`extguard did not inject into ${what}: ${why}`] });
  const audit = { judged: 'false', reason };
  if (mode === 'enforce') {
    return denied(request.uid, `extguard denied ${what}: ${why}. Split the object or shorten its env, command and args; "extguard check" on the manifest shows what it holds.`, { warnings: [`extguard denied ${what}: ${why}`], auditAnnotations: audit });
  }
  return allowed(request.uid, { warnings: [`extguard admitted ${what} unjudged (mode ${mode}): ${why}`], auditAnnotations: audit });
}
