// Exceptions and per-rule settings (config `exceptions` and `rules`): what the platform team
// decided about one rule, or one object, after the rules have spoken. One pure function,
// settle(), turns the judge's findings into what counts: the webhook, `check` and the audit
// report all go through the judge, which calls it; the native policies read the same
// matching (exceptionMatcher's glob, ownerCandidates) from here to build their CEL.
//
// Decisions (docs/contract.md, Exceptions and rule settings):
// - Only the workload rules can be excepted or capped (EXCEPTABLE_RULES): the governance rules
//   (mode-change-forbidden, invalid-declaration, undeclarable-host) are platform rules.
// - `expires` is the last day it applies, through 23:59:59.999 UTC of that day.
// - An object matches by its own kind and name, or by its controller's: the Pods and
//   ReplicaSets a Deployment `reports` creates are excepted with it. ownerReferences are
//   written by whoever creates the object, but a tenant who can claim `reports` as owner can
//   equally create the Deployment `reports` itself: the exception already grants that name in
//   that namespace, nothing more.

import { EXCEPTABLE_RULES, type Config, type ExceptableRule, type ExceptionEntry } from '../config/types.ts';
import type { Judged } from './messages.ts';
import type { RuleName } from './types.ts';

/** The object a verdict is about (judge.ts's Subject, repeated to keep this module a leaf). */
export interface SubjectRef { kind: string; namespace: string; name: string }

/** What settle() decided, by index into config.exceptions. */
export interface ExceptionUse {
  /** Exceptions that turned at least one violation into a warning. */
  applied: number[];
  /** Exceptions that matched a violation but had expired. */
  expired: number[];
}

export interface Settled {
  /** Violations that still count (deny in enforce). */
  kept: Judged[];
  /** Violations excepted, with the exception's index. */
  excepted: Array<{ judged: Judged; exception: number }>;
  /** Violations a `maxVerdict: warn` capped: listed as warnings, never a denial. */
  capped: Judged[];
  /** Warnings for the client: one per excepted or capped violation, one per expired exception. */
  warnings: string[];
  use: ExceptionUse;
}

/** How an exception is named in warnings, audit annotations, metrics and `check`: index and what it selects, never a value. */
export function exceptionLabel(x: Pick<ExceptionEntry, 'namespace' | 'kind' | 'name'>, index: number): string {
  return `#${index} ${x.namespace}/${x.kind ?? '*'}/${x.name ?? '*'}`;
}

/** The last instant an exception applies: the end of its `expires` day, UTC. */
export function expiryInstant(expires: string): number {
  return Date.parse(`${expires}T23:59:59.999Z`);
}

export function isExpired(x: Pick<ExceptionEntry, 'expires'>, now: Date): boolean {
  return now.getTime() > expiryInstant(x.expires);
}

/** A glob of * and ? as an anchored regular expression source (every other character literal). */
export function globSource(glob: string): string {
  let out = '^';
  // RE2 (CEL's matches()) and JavaScript read this the same way.
  for (const ch of glob) out += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  return `${out}$`;
}

/**
 * The kinds and names an object answers to: its own, its controller's (ownerReferences with
 * controller: true), and the controller's controller where the name tells it (a ReplicaSet
 * `<deployment>-<pod-template-hash>`, a Job `<cronjob>-<scheduled minute>`).
 */
export function ownerCandidates(subject: SubjectRef, object: unknown): Array<{ kind: string; name: string }> {
  const out = [{ kind: subject.kind, name: subject.name }];
  const meta = (object as { metadata?: { ownerReferences?: unknown; labels?: unknown } } | null)?.metadata;
  const refs = Array.isArray(meta?.ownerReferences) ? meta.ownerReferences : [];
  const labels = (typeof meta?.labels === 'object' && meta.labels !== null ? meta.labels : {}) as Record<string, unknown>;
  for (const r of refs as Array<{ kind?: unknown; name?: unknown; controller?: unknown }>) {
    if (r?.controller !== true || typeof r.kind !== 'string' || typeof r.name !== 'string') continue;
    out.push({ kind: r.kind, name: r.name });
    const hash = labels['pod-template-hash'];
    if (r.kind === 'ReplicaSet' && typeof hash === 'string' && hash !== '' && r.name.endsWith(`-${hash}`)) {
      out.push({ kind: 'Deployment', name: r.name.slice(0, -hash.length - 1) });
    }
    const cron = r.kind === 'Job' ? /^(.+)-[0-9]+$/.exec(r.name) : null;
    if (cron) out.push({ kind: 'CronJob', name: cron[1]! });
  }
  return out;
}

/** Does exception `x` select this object (before its rules and expiry are looked at)? */
export function selects(x: ExceptionEntry, subject: SubjectRef, object: unknown): boolean {
  if (x.namespace !== subject.namespace) return false;
  const name = x.name === undefined ? undefined : new RegExp(globSource(x.name));
  return ownerCandidates(subject, object).some((c) => (x.kind === undefined || c.kind === x.kind) && (name === undefined || name.test(c.name)));
}

const isExceptable = (rule: RuleName): rule is ExceptableRule => (EXCEPTABLE_RULES as readonly string[]).includes(rule);

/**
 * The rule settings and exceptions over one object's violations. `now` absent: no exception
 * applies (the date is what decides), maxVerdict still does.
 */
export function settle(judged: readonly Judged[], subject: SubjectRef, object: unknown, config: Config, now?: Date): Settled {
  const settled: Settled = { kept: [], excepted: [], capped: [], warnings: [], use: { applied: [], expired: [] } };
  if (judged.length === 0 || (config.exceptions.length === 0 && Object.keys(config.rules).length === 0)) {
    settled.kept = [...judged];
    return settled;
  }
  // The exceptions that select this object, once per object, not per violation.
  const selecting = config.exceptions.map((x, i) => ({ x, i })).filter(({ x }) => selects(x, subject, object));
  const applied = new Set<number>();
  const expired = new Set<number>();
  for (const j of judged) {
    const rule = j.violation.rule;
    if (!isExceptable(rule)) { settled.kept.push(j); continue; }
    const cap = config.rules[rule]?.maxVerdict ?? 'deny';
    if (cap === 'off') continue;
    const matching = selecting.filter(({ x }) => x.rules.includes(rule));
    const live = now ? matching.find(({ x }) => !isExpired(x, now)) : undefined;
    if (live) {
      applied.add(live.i);
      settled.excepted.push({ judged: j, exception: live.i });
      settled.warnings.push(`excepted by ${exceptionLabel(live.x, live.i)} (reason: ${JSON.stringify(live.x.reason)}; until ${live.x.expires}): ${j.warning}`);
      continue;
    }
    if (now) for (const { i } of matching) expired.add(i);
    if (cap === 'warn') {
      settled.capped.push(j);
      settled.warnings.push(`rules.${rule}.maxVerdict is warn: ${j.warning}`);
      continue;
    }
    settled.kept.push(j);
  }
  for (const i of expired) {
    const x = config.exceptions[i]!;
    settled.warnings.unshift(`exception ${exceptionLabel(x, i)} expired on ${x.expires} (reason: ${JSON.stringify(x.reason)}); it no longer applies, so its violations count again`);
  }
  settled.use = { applied: [...applied].sort((a, b) => a - b), expired: [...expired].sort((a, b) => a - b) };
  return settled;
}
