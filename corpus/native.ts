// The corpus subset gate for the native layer (ValidatingAdmissionPolicy / MutatingAdmissionPolicy,
// CEL run by the API server): every corpus case is sent through a real kube-apiserver with the
// output of `extguard policies` and no webhook, and compared with the judge's verdict on the same
// object. The native layer may miss what the judge finds; it must never refuse (deny or warn) what
// the judge admits. test/e2e/native-corpus.test.ts drives the API server; this module is pure
// (objects in, verdicts out) so that the gate itself is unit-tested, including that it can fail.
//
// Never prints a value: cases are named by source and id, and kubectl's own output (an Invalid
// error may quote a field) is parsed, never repeated.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogFromDocuments } from '../src/catalog/files.ts';
import { parseConfig, type Config } from '../src/config/config.ts';
import { compilePolicy, judge } from '../src/policy/judge.ts';
import type { RuleName } from '../src/policy/types.ts';
import { loadSources, podOf, type Case, type Source } from './run.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
export const NATIVE_RECORDED = join(root, 'native-recorded.json');
type Json = Record<string, unknown>;

/** One corpus case as sent: renamed so kubectl's per-object answers name it, in the gate's namespace. */
export interface SentCase {
  source: string;
  id: string;
  /** metadata.name on the wire: `nc-<n>`, unique in the run, nothing of the case in it. */
  name: string;
  object: Json;
  scored: readonly string[];
  expect: Case['expect'];
  /** The judge on the same object (the webhook's verdict): rules it reports, and whether it warns. */
  judged: { rules: RuleName[]; warns: boolean };
}

const NAME = /\bnc-\d{4,}\b/;
export const nameOf = (i: number): string => `nc-${String(i).padStart(4, '0')}`;

/**
 * Every case of the sources as the corpus runner builds it (corpus/run.ts podOf, or the object
 * case whole), with metadata.name and metadata.namespace replaced, judged in-process exactly as
 * the runner judges (default configuration, no declarations) but in `namespace`.
 */
export function sentCases(namespace: string, sources: readonly Source[] = loadSources(), config: Config = parseConfig('', 'corpus')): SentCase[] {
  const policy = compilePolicy(config);
  const catalog = catalogFromDocuments([]);
  const out: SentCase[] = [];
  for (const s of sources) {
    for (const c of s.cases) {
      const object = structuredClone(c.object ?? podOf(c, s.encoding === 'reversed'));
      const name = nameOf(out.length + 1);
      const metadata: Json = { ...((object['metadata'] as Json | undefined) ?? {}), name, namespace };
      delete metadata['generateName'];
      object['metadata'] = metadata;
      const j = judge({ operation: 'CREATE', object, namespace, dryRun: false }, catalog, policy);
      const rules = [...new Set(j.verdict.violations.map((v) => v.rule))].sort();
      out.push({ source: s.source, id: c.id, name, object, scored: s.rules, expect: c.expect, judged: { rules, warns: j.verdict.warnings.length > 0 } });
    }
  }
  return out;
}

/** What the API server answered for one object. */
export type Answer =
  | { kind: 'admitted' }
  /** Refused by an admission policy: the policies named in the refusal. */
  | { kind: 'native'; policies: string[] }
  /** Refused before admission policies ran (schema validation) or never sent (kind not served). */
  | { kind: 'not-evaluated'; reason: 'invalid' | 'kind not served' };

const POLICY = /(?:Validating|Mutating)AdmissionPolicy '([^']+)'/g;

/**
 * Parses `kubectl create --dry-run=server -o name -f -` with stdout and stderr merged. Returns an
 * answer per name found, the names kubectl answered for twice or not at all are the caller's to
 * check. Warnings cannot be attributed here: kubectl prints each distinct warning text once per
 * process, so `policyWarnings` only says whether any admission policy warned (see warnedAmong).
 */
export function parseCreate(merged: string): { answers: Map<string, Answer>; policyWarnings: number; unparsed: number } {
  const answers = new Map<string, Answer>();
  let policyWarnings = 0;
  let unparsed = 0;
  for (const line of merged.split('\n')) {
    if (line.trim() === '' || /^ensure CRDs are installed first\]?$/.test(line)) continue;
    if (line.startsWith('Warning: ')) {
      if (/Validation failed for (?:Validating|Mutating)AdmissionPolicy '/.test(line)) policyWarnings++;
      continue;
    }
    const name = NAME.exec(line)?.[0];
    // Continuation lines of a multi-line error (a list of invalid fields) carry no name.
    if (!name) { if (!/^\s/.test(line)) unparsed++; continue; }
    if (new RegExp(`^[a-z0-9.-]+/${name}$`).test(line)) answers.set(name, { kind: 'admitted' });
    else if (line.includes('resource mapping not found for name')) answers.set(name, { kind: 'not-evaluated', reason: 'kind not served' });
    else {
      const policies = [...line.matchAll(POLICY)].map((m) => m[1] as string);
      answers.set(name, policies.length ? { kind: 'native', policies: [...new Set(policies)].sort() } : { kind: 'not-evaluated', reason: 'invalid' });
    }
  }
  return { answers, policyWarnings, unparsed };
}

/** Sends objects in one kubectl process (`kubectl create --dry-run=server -o name -f -`, stream()); resolves to stdout and stderr. */
export type Send = (objects: readonly Json[]) => Promise<string>;

/**
 * A multi-document stream, one JSON document per object. Not a List: kubectl validates a List
 * as one document, so one invalid case would refuse them all. Control characters JSON leaves
 * raw (DEL, C1, BOM) are escaped: YAML, which kubectl reads the stream as, refuses them raw.
 */
export function stream(objects: readonly Json[]): string {
  return objects.map((o) => JSON.stringify(o).replace(/[\u007f-\u009f\ufeff\ufffe\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)).join('\n---\n');
}

/**
 * The names among `cases` an admission policy warns about, found by halving: a batch whose
 * kubectl prints no policy warning holds none (the first occurrence of a warning is always
 * printed), so k warned objects among n cost about 2·k·log2(n) kubectl runs, and none cost one.
 */
export async function warnedAmong(cases: readonly SentCase[], send: Send): Promise<string[]> {
  if (cases.length === 0) return [];
  const { policyWarnings } = parseCreate(await send(cases.map((c) => c.object)));
  if (policyWarnings === 0) return [];
  if (cases.length === 1) return [(cases[0] as SentCase).name];
  const half = Math.ceil(cases.length / 2);
  return [...(await warnedAmong(cases.slice(0, half), send)), ...(await warnedAmong(cases.slice(half), send))];
}

/** The native layer's result for one case. */
export interface NativeResult { answer: Answer; warned: boolean }

/**
 * Every case through the API server: one kubectl for all; one per case kubectl's answer does
 * not name (a body the server cannot decode is refused without the object's name); then, only
 * if some admission policy warned, halving over the cases the judge admits (warnedAmong).
 */
export async function evaluate(cases: readonly SentCase[], send: Send): Promise<{ results: Map<string, NativeResult>; kubectlRuns: number }> {
  let runs = 0;
  const counted: Send = (objects) => { runs++; return send(objects); };
  const first = parseCreate(await counted(cases.map((c) => c.object)));
  const results = new Map<string, NativeResult>();
  for (const c of cases) {
    let answer = first.answers.get(c.name);
    if (!answer) {
      const alone = await counted([c.object]);
      const policies = [...alone.matchAll(POLICY)].map((m) => m[1] as string);
      answer = parseCreate(alone).answers.get(c.name) ?? (policies.length ? { kind: 'native', policies: [...new Set(policies)].sort() } : { kind: 'not-evaluated', reason: 'invalid' });
    }
    results.set(c.name, { answer, warned: false });
  }
  if (first.policyWarnings > 0) {
    const candidates = cases.filter((c) => results.get(c.name)?.answer.kind === 'admitted' && c.judged.rules.length === 0);
    for (const name of await warnedAmong(candidates, counted)) (results.get(name) as NativeResult).warned = true;
  }
  return { results, kubectlRuns: runs };
}

// Every rule the judge knows; a Record so that a new rule fails the typecheck until listed here.
const RULES: Record<RuleName, true> = {
  'plaintext-credential': true, 'undeclared-external-host': true, 'unknown-external-service': true,
  'mode-change-forbidden': true, 'invalid-declaration': true, 'undeclarable-host': true,
};

// Native policy names whose tail is not the rule's own name (the undeclared-host policy).
const ALIASES: Record<string, RuleName> = { 'undeclared-host': 'undeclared-external-host' };

/**
 * A native policy's rule, by the naming the native modules follow: extguard-native-<rule> (or
 * an alias above); other policies (the Declarations guard) have none.
 */
export const ruleOfPolicy = (policy: string): RuleName | undefined => {
  const tail = /^extguard-native-(.+)$/.exec(policy)?.[1];
  if (tail === undefined) return undefined;
  return tail in RULES ? (tail as RuleName) : ALIASES[tail];
};

/**
 * The gate: every case the native layer refuses (denies, or warns about) while the judge admits
 * it, and every denial naming a rule the judge does not report on that object. Named by source
 * and case id, never by value. Empty means the native layer is never stricter on this corpus.
 */
export function stricterThanJudge(cases: readonly SentCase[], results: ReadonlyMap<string, NativeResult>): string[] {
  const out: string[] = [];
  for (const c of cases) {
    const r = results.get(c.name);
    if (!r) { out.push(`${c.source} ${c.id}: no answer from the API server`); continue; }
    const admittedByJudge = c.judged.rules.length === 0;
    if (r.answer.kind === 'native') {
      if (admittedByJudge) out.push(`${c.source} ${c.id}: denied by ${r.answer.policies.join(', ')}; the judge admits it`);
      else {
        const extra = r.answer.policies.filter((p) => { const rule = ruleOfPolicy(p); return rule !== undefined && !c.judged.rules.includes(rule); });
        if (extra.length) out.push(`${c.source} ${c.id}: denied by ${extra.join(', ')}; the judge reports ${c.judged.rules.join(', ')} only`);
      }
    }
    if (r.warned && admittedByJudge && !c.judged.warns) out.push(`${c.source} ${c.id}: warned by an admission policy; the judge admits it without a warning`);
  }
  return out;
}

export interface UnitFigures { cases: number; evaluated: number; positives: number; negatives: number; recall: number; fpRate: number }
export interface NativeRow { source: string; webhook: UnitFigures; native: UnitFigures }

const ratio = (n: number, d: number): number => (d === 0 ? 1 : n / d);
const round = (x: number): number => Number(x.toFixed(4));

/**
 * Recall and false-positive rate per source and in total, for the webhook (the judge) and the
 * native layer on the same cases: those the API server evaluated. The native layer answers per
 * object, not per field, so a case is one unit: a positive when its label wants a finding of a
 * scored rule (deny, or an object case listing findings), a negative otherwise. Found: the
 * judge reports a scored rule / a policy of a scored rule denies.
 */
export function figures(cases: readonly SentCase[], results: ReadonlyMap<string, NativeResult>): NativeRow[] {
  const bySource = new Map<string, SentCase[]>();
  for (const c of cases) bySource.set(c.source, [...(bySource.get(c.source) ?? []), c]);
  const rows: NativeRow[] = [];
  const tally = (list: readonly SentCase[]): { webhook: UnitFigures; native: UnitFigures } => {
    let evaluated = 0; let pos = 0; let neg = 0; let wTp = 0; let wFp = 0; let nTp = 0; let nFp = 0;
    for (const c of list) {
      const r = results.get(c.name);
      if (!r || r.answer.kind === 'not-evaluated') continue;
      evaluated++;
      const positive = Array.isArray(c.expect) ? c.expect.some((e) => c.scored.includes(e.split(' ')[0] as string)) : c.expect === 'deny';
      const webhook = c.judged.rules.some((rule) => c.scored.includes(rule));
      const native = r.answer.kind === 'native' && r.answer.policies.some((p) => { const rule = ruleOfPolicy(p); return rule !== undefined && c.scored.includes(rule); });
      if (positive) { pos++; if (webhook) wTp++; if (native) nTp++; } else { neg++; if (webhook) wFp++; if (native) nFp++; }
    }
    const f = (tp: number, fp: number): UnitFigures => ({ cases: list.length, evaluated, positives: pos, negatives: neg, recall: round(ratio(tp, pos)), fpRate: round(neg === 0 ? 0 : fp / neg) });
    return { webhook: f(wTp, wFp), native: f(nTp, nFp) };
  };
  for (const [source, list] of [...bySource.entries()].sort(([a], [b]) => a.localeCompare(b))) rows.push({ source, ...tally(list) });
  rows.push({ source: 'total', ...tally(cases) });
  return rows;
}

/** Figures that fell: native recall below, native FP rate above, or fewer cases evaluated than recorded. */
export function regressions(rows: readonly NativeRow[], recorded: readonly NativeRow[]): string[] {
  const out: string[] = [];
  for (const r of recorded) {
    const now = rows.find((x) => x.source === r.source);
    if (!now) { out.push(`${r.source}: recorded but not run`); continue; }
    if (now.native.recall < r.native.recall) out.push(`${r.source}: native recall ${now.native.recall} < recorded ${r.native.recall}`);
    if (now.native.fpRate > r.native.fpRate) out.push(`${r.source}: native false-positive rate ${now.native.fpRate} > recorded ${r.native.fpRate}`);
    if (now.native.evaluated < r.native.evaluated) out.push(`${r.source}: ${now.native.evaluated} cases evaluated by the API server, ${r.native.evaluated} recorded`);
  }
  for (const r of rows) if (!recorded.some((x) => x.source === r.source)) out.push(`${r.source}: not recorded (EXTGUARD_NATIVE_CORPUS_RECORD=1)`);
  return out;
}

const fmt = (x: number): string => x.toFixed(3);

/** The table of docs/detection.md, "Native layer (CEL)": generated from the recorded figures. */
export function renderTable(rows: readonly NativeRow[]): string {
  const lines = [
    '| source | cases | evaluated by the API server | positives | negatives | webhook recall | webhook FP rate | native recall | native FP rate |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const b = r.source === 'total' ? (s: string | number): string => `**${s}**` : (s: string | number): string => String(s);
    lines.push(`| ${b(r.source)} | ${b(r.native.cases)} | ${b(r.native.evaluated)} | ${b(r.native.positives)} | ${b(r.native.negatives)} | ${b(fmt(r.webhook.recall))} | ${b(fmt(r.webhook.fpRate))} | ${b(fmt(r.native.recall))} | ${b(fmt(r.native.fpRate))} |`);
  }
  return `${lines.join('\n')}\n`;
}

export const TABLE_BEGIN = '<!-- native-corpus table: generated by EXTGUARD_NATIVE_CORPUS_RECORD=1 npm run test:e2e -- --grep "native corpus" -->';
export const TABLE_END = '<!-- end of native-corpus table -->';

export function readRecorded(): NativeRow[] {
  return JSON.parse(readFileSync(NATIVE_RECORDED, 'utf8')) as NativeRow[];
}

/** Writes the figures to corpus/native-recorded.json and the table into docs/detection.md. */
export function record(rows: readonly NativeRow[]): void {
  writeFileSync(NATIVE_RECORDED, `${JSON.stringify(rows, null, 2)}\n`);
  const docs = join(root, '..', 'docs', 'detection.md');
  const text = readFileSync(docs, 'utf8');
  const start = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`docs/detection.md: the native-corpus table markers are missing`);
  writeFileSync(docs, `${text.slice(0, start + TABLE_BEGIN.length)}\n${renderTable(rows)}${text.slice(end)}`);
}
