// The judge's filler test (src/recognize/formats.ts isFiller) as CEL the API server can run, for
// the native credential policy (credentials.ts): a value the policy denies must be one isFiller
// does not drop. Four parts of isFiller are regular: its documentation words, runs of one
// character (but A), runs of a placeholder character, ascending runs; they are stated exactly.
// Its count of distinct characters is exact too. Its periodic test (a period of 2 to 4 repeated,
// runs inside skipped) is widened to a superset CEL can count: see PERIOD_WINDOW.
//
// Every value tested holds only FILLER_ALPHABET characters (the callers' patterns say so): the
// run and ascending patterns and the distinct count enumerate that alphabet.

import { FILLER, FILLER_WORDS } from '../recognize/formats.ts';
import { celString } from './common.ts';

/** The characters of the values tested, as a regex class body. */
export const FILLER_ALPHABET = 'A-Za-z0-9_.=+/~-';
/** Longest value tested (the windows CEL can try). */
export const MAX_FILLER_TESTED = 160;

/** The alphabet, in ASCII order (ascending runs are read in it). */
const ALPHABET = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).filter((c) => new RegExp(`[${FILLER_ALPHABET}]`).test(c));
const reEscape = (c: string): string => (/[\\^$.|?*+()[\]{}-]/.test(c) ? `\\${c}` : c);

/** Every run of FILLER.ascending consecutive code points within the alphabet. */
function ascendingRuns(): string[][] {
  const runs: string[][] = [];
  for (let i = 0; i + FILLER.ascending <= ALPHABET.length; i++) {
    const run = ALPHABET.slice(i, i + FILLER.ascending);
    if (run.every((c, k) => k === 0 || c.charCodeAt(0) === run[k - 1]!.charCodeAt(0) + 1)) runs.push(run);
  }
  return runs;
}

/** The regular parts of isFiller, exactly: documentation words, runs, placeholder runs, ascending runs. */
export const FILLER_PATTERN = [
  FILLER_WORDS.source,
  ...[...FILLER.placeholderChars].map((c) => `${reEscape(c)}{${FILLER.placeholderRun}}`),
  `(?:${ALPHABET.filter((c) => c !== 'A' && !FILLER.placeholderChars.includes(c)).map((c) => `${reEscape(c)}{${FILLER.run}}`).join('|')})`,
  `(?:${ascendingRuns().map((run) => run.map(reEscape).join('')).join('|')})`,
].join('|');
if (FILLER_PATTERN.includes("'")) throw new Error(`filler pattern holds a quote: ${FILLER_PATTERN}`);

/**
 * isFiller's periodic test, widened. When it fires, the positions since its counter last
 * reset each repeat the character p back or the one before (a run), for at least 12 positions;
 * by induction every character there, and the p before them, is one of those p. So a stretch of
 * 12 + p ≥ 14 characters holds at most p ≤ 4 distinct ones: a value with no window of
 * PERIOD_WINDOW characters of at most maxPeriod distinct ones is never periodic filler.
 */
export const PERIOD_WINDOW = FILLER.periodic + 2;


/** CEL variables celNotFiller reads: the alphabet and the window starts. */
export const FILLER_VARIABLES = [
  { name: 'fillerAlphabet', expression: `[${ALPHABET.map(celString).join(', ')}]` },
  { name: 'windowStarts', expression: `[${Array.from({ length: MAX_FILLER_TESTED - PERIOD_WINDOW + 1 }, (_, i) => i).join(', ')}]` },
];

/**
 * CEL: the value `v` (an expression, of 16 or more characters: isFiller counts distinct
 * characters only from there) is not filler. Cost: one match of the filler pattern (about
 * 900 characters), 68 `contains` for the distinct count, and per 14-character window (at most 147)
 * four `replace` of its first character: a window of at most 4 distinct characters is then empty.
 */
export function celNotFiller(v: string): string {
  return [
    `size(${v}) <= ${MAX_FILLER_TESTED}`,
    `!${v}.matches(r'${FILLER_PATTERN}')`,
    `variables.fillerAlphabet.filter(ch, ${v}.contains(ch)).size() >= ${FILLER.distinct}`,
    `!variables.windowStarts.filter(i, i + ${PERIOD_WINDOW} <= size(${v})).map(i, ${v}.substring(i, i + ${PERIOD_WINDOW}))${'.map(w, w.replace(w.charAt(0), \'\'))'.repeat(FILLER.maxPeriod)}.exists(w, w == '')`,
  ].join(' && ');
}

const fillerPattern = new RegExp(FILLER_PATTERN);
const distinct = (s: string): number => new Set(s).size;

/** celNotFiller in TypeScript, from the same pattern and thresholds (unit tests hold the judge to it). */
export function notFiller(v: string): boolean {
  if (v.length > MAX_FILLER_TESTED || fillerPattern.test(v) || distinct(v) < FILLER.distinct) return false;
  for (let i = 0; i + PERIOD_WINDOW <= v.length; i++) if (distinct(v.slice(i, i + PERIOD_WINDOW)) <= FILLER.maxPeriod) return false;
  return true;
}
