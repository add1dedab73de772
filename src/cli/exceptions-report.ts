// `check`'s account of the configured exceptions: which ones the run used, which ones matched
// nothing (a candidate for removal, or a typo in a name), and which ones have expired (their
// violations count again). Labels, rules and dates only: nothing read from the inputs.

import type { Config, ExceptionEntry } from '../config/config.ts';
import { exceptionLabel, isExpired } from '../policy/exceptions.ts';

export interface ExceptionListing extends ExceptionEntry {
  index: number;
  label: string;
  /** Objects of this run whose violations it excepted (used), or would have (expired). */
  objects: number;
}

export interface ExceptionsReport {
  used: ExceptionListing[];
  unused: ExceptionListing[];
  expired: ExceptionListing[];
}

/** `used` and `matchedExpired`: objects per exception index, as the judge reported them. */
export function exceptionsReport(config: Config, used: ReadonlyMap<number, number>, matchedExpired: ReadonlyMap<number, number>, now: Date): ExceptionsReport {
  const out: ExceptionsReport = { used: [], unused: [], expired: [] };
  config.exceptions.forEach((x, index) => {
    const base = { index, label: exceptionLabel(x, index), ...x };
    if (isExpired(x, now)) out.expired.push({ ...base, objects: matchedExpired.get(index) ?? 0 });
    else if (used.has(index)) out.used.push({ ...base, objects: used.get(index)! });
    else out.unused.push({ ...base, objects: 0 });
  });
  return out;
}

export function formatExceptions(r: ExceptionsReport): string[] {
  const line = (status: string, x: ExceptionListing, tail: string): string =>
    `${status.padEnd(7)} exception ${x.label} [${x.rules.join(', ')}] until ${x.expires}: ${tail}`;
  return [
    ...r.used.map((x) => line('USED', x, `excepted violations of ${x.objects} object(s)`)),
    ...r.unused.map((x) => line('UNUSED', x, 'matched no violation in these inputs')),
    ...r.expired.map((x) => line('EXPIRED', x, `no longer applies${x.objects ? `; ${x.objects} object(s) it named are judged again` : ''}`)),
  ];
}
