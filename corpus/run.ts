// `npm run corpus`: judges every case of corpus/sources/*.yaml with the judge the webhook
// uses, and prints recall and false-positive rate per source and in total. Format, scoring
// and labels: corpus/README.md. Never prints a value: cases are named by id.
//
//   npm run corpus                      the table
//   npm run corpus -- --list            also every miss and false positive, by id
//   npm run corpus -- --source kics     one source (repeatable)
//   npm run corpus -- --check           exit 1 when a figure falls below corpus/recorded.json
//   npm run corpus -- --record          write the current figures to corpus/recorded.json

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { catalogFromDocuments } from '../src/catalog/files.ts';
import { parseConfig } from '../src/config/config.ts';
import { compilePolicy, judge } from '../src/policy/judge.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const RECORDED = join(root, 'recorded.json');
type Json = Record<string, unknown>;

export interface Case {
  id: string;
  from?: string;
  env?: Record<string, string>;
  command?: string[];
  args?: string[];
  object?: Json;
  expect: 'deny' | 'admit' | string[];
  peer?: 'deny' | 'admit';
  why?: string;
}
export interface Source {
  source: string;
  title: string;
  repo: string;
  commit: string;
  licence: string;
  rules: string[];
  encoding?: 'reversed';
  /** Cases for a judge not merged yet: scored only when named with --source, never in the totals or the gate. */
  pending?: boolean;
  cases: Case[];
}

export interface Figures { cases: number; positives: number; negatives: number; tp: number; fp: number; recall: number; fpRate: number }
interface Outcome { misses: string[]; falsePositives: string[]; echoes: string[]; figures: Figures; peer?: Figures }

const reverse = (s: string): string => [...s].reverse().join('');

/** The Pod a container case stands for: one container `app`, env in the order written. */
export function podOf(c: Case, reversed: boolean): Json {
  const text = (s: unknown): string => {
    if (typeof s !== 'string') throw new Error(`case ${c.id}: values must be strings (quote numbers and booleans)`);
    return reversed ? reverse(s) : s;
  };
  const container: Json = { name: 'app', image: 'registry.example/app:1' };
  if (c.env) container['env'] = Object.entries(c.env).map(([name, value]) => ({ name, value: text(value) }));
  if (c.command) container['command'] = c.command.map(text);
  if (c.args) container['args'] = c.args.map(text);
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'corpus', namespace: 'corpus' }, spec: { containers: [container] } };
}

/** The literal strings a container case puts in the object. */
function valuesOf(c: Case, reversed: boolean): string[] {
  const all = [...Object.values(c.env ?? {}), ...(c.command ?? []), ...(c.args ?? [])];
  return all.map((v) => (reversed ? reverse(v) : v));
}

function validate(s: Source, file: string): void {
  for (const k of ['source', 'title', 'repo', 'commit', 'licence'] as const) {
    if (typeof s[k] !== 'string' || s[k] === '') throw new Error(`${file}: missing "${k}"`);
  }
  if (!Array.isArray(s.rules) || s.rules.length === 0) throw new Error(`${file}: "rules" must list the rules it scores`);
  if (!Array.isArray(s.cases) || s.cases.length === 0) throw new Error(`${file}: no cases`);
  const ids = new Set<string>();
  for (const c of s.cases) {
    if (typeof c.id !== 'string' || ids.has(c.id)) throw new Error(`${file}: case id missing or repeated: ${String(c.id)}`);
    ids.add(c.id);
    const shapes = [c.object !== undefined, c.env !== undefined || c.command !== undefined || c.args !== undefined].filter(Boolean).length;
    if (shapes !== 1) throw new Error(`${file}: case ${c.id} needs either "object" or env/command/args`);
    if (c.object !== undefined ? !Array.isArray(c.expect) : c.expect !== 'deny' && c.expect !== 'admit') {
      throw new Error(`${file}: case ${c.id}: "expect" must be deny|admit for a container case, a list of findings for an object case`);
    }
    if (c.peer !== undefined && c.peer !== 'deny' && c.peer !== 'admit') throw new Error(`${file}: case ${c.id}: "peer" must be deny|admit`);
  }
}

export function loadSources(only: readonly string[] = []): Source[] {
  const dir = join(root, 'sources');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const sources = files.map((f) => {
    const s = parse(readFileSync(join(dir, f), 'utf8'), { maxAliasCount: -1 }) as Source;
    validate(s, f);
    return s;
  });
  const chosen = only.length ? sources.filter((s) => only.includes(s.source)) : sources.filter((s) => !s.pending);
  for (const o of only) if (!sources.some((s) => s.source === o)) throw new Error(`no source "${o}" in corpus/sources`);
  return chosen;
}

const ratio = (n: number, d: number): number => (d === 0 ? 1 : n / d);
function figures(cases: number, positives: number, tp: number, negatives: number, fp: number): Figures {
  return { cases, positives, negatives, tp, fp, recall: ratio(tp, positives), fpRate: negatives === 0 ? 0 : fp / negatives };
}

export function score(s: Source): Outcome {
  const policy = compilePolicy(parseConfig('', 'corpus'));
  const catalog = catalogFromDocuments([]);
  const scored = new Set(s.rules);
  const misses: string[] = [];
  const echoes: string[] = [];
  const falsePositives: string[] = [];
  let positives = 0; let tp = 0; let negatives = 0; let fp = 0;
  let pPos = 0; let pTp = 0; let pNeg = 0; let pFp = 0;
  for (const c of s.cases) {
    const object = c.object ?? podOf(c, s.encoding === 'reversed');
    // Every object is judged in one unexempt namespace: the corpus measures the rules, not the
    // configuration (kube-system is exempt by default).
    const namespace = 'corpus';
    const j = judge({ operation: 'CREATE', object, namespace, dryRun: false }, catalog, policy);
    const found = j.verdict.violations.filter((v) => scored.has(v.rule)).map((v) => `${v.rule} ${v.path}`);
    // The no-echo guarantee, on cases we did not write: no message or warning repeats a value
    // of a case labelled a credential.
    if (c.expect === 'deny') {
      const said = JSON.stringify([j.verdict.violations, j.verdict.warnings, j.verdict.auditAnnotations]);
      for (const v of valuesOf(c, s.encoding === 'reversed')) {
        if (v.length >= 8 && said.includes(v)) echoes.push(c.id);
      }
    }
    if (Array.isArray(c.expect)) {
      for (const e of c.expect) {
        positives++;
        if (found.includes(e)) tp++; else misses.push(`${c.id}: ${e}`);
      }
      negatives++;
      const extra = found.filter((f) => !(c.expect as string[]).includes(f));
      if (extra.length) { fp++; falsePositives.push(`${c.id}: ${extra.join(', ')}`); }
    } else if (c.expect === 'deny') {
      positives++;
      if (found.length) tp++; else misses.push(c.id);
    } else {
      negatives++;
      if (found.length) { fp++; falsePositives.push(`${c.id}: ${found.map((f) => f.split(' ')[0]).join(', ')}`); }
    }
    // The peer's own expectation for its fixture, scored against our label.
    if (c.peer !== undefined && !Array.isArray(c.expect)) {
      if (c.expect === 'deny') { pPos++; if (c.peer === 'deny') pTp++; } else { pNeg++; if (c.peer === 'deny') pFp++; }
    }
  }
  const out: Outcome = { misses, falsePositives, echoes, figures: figures(s.cases.length, positives, tp, negatives, fp) };
  if (pPos + pNeg > 0) out.peer = figures(pPos + pNeg, pPos, pTp, pNeg, pFp);
  return out;
}

const pct = (x: number): string => x.toFixed(3);

function main(argv: string[]): number {
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === '--source') only.push(argv[++i] ?? '');
  const list = argv.includes('--list');
  const sources = loadSources(only);
  const rows: [string, Figures, Figures | undefined][] = [];
  let cases = 0; let positives = 0; let tp = 0; let negatives = 0; let fp = 0;
  const echoes: string[] = [];
  for (const s of sources) {
    const o = score(s);
    echoes.push(...o.echoes.map((id) => `${s.source} ${id}`));
    rows.push([s.source, o.figures, o.peer]);
    cases += o.figures.cases; positives += o.figures.positives; tp += o.figures.tp; negatives += o.figures.negatives; fp += o.figures.fp;
    if (list) {
      for (const m of o.misses) console.log(`miss  ${s.source} ${m}`);
      for (const f of o.falsePositives) console.log(`fp    ${s.source} ${f}`);
    }
  }
  const total = figures(cases, positives, tp, negatives, fp);
  rows.push(['total', total, undefined]);
  console.log('| source | cases | positives | negatives | recall | false-positive rate | peer\'s own labels: recall / FP rate |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const [name, f, p] of rows) {
    console.log(`| ${name} | ${f.cases} | ${f.positives} | ${f.negatives} | ${pct(f.recall)} | ${pct(f.fpRate)} | ${p ? `${pct(p.recall)} / ${pct(p.fpRate)}` : ''} |`);
  }

  if (echoes.length) {
    // Named by id only: printing the value would repeat the leak.
    for (const e of echoes) console.error(`corpus: FAIL a message repeats a credential of case ${e}`);
    return 1;
  }
  if (argv.includes('--record')) {
    const recorded = Object.fromEntries(rows.map(([name, f]) => [name, { cases: f.cases, recall: Number(f.recall.toFixed(4)), fpRate: Number(f.fpRate.toFixed(4)) }]));
    writeFileSync(RECORDED, `${JSON.stringify(recorded, null, 2)}\n`);
    console.log(`corpus: recorded in ${RECORDED}`);
  }
  if (argv.includes('--check')) {
    const recorded = JSON.parse(readFileSync(RECORDED, 'utf8')) as Record<string, { cases: number; recall: number; fpRate: number }>;
    const failures: string[] = [];
    for (const [name, r] of Object.entries(recorded)) {
      const row = rows.find(([n]) => n === name);
      if (!row) { if (only.length === 0) failures.push(`${name}: recorded but not run`); continue; }
      const f = row[1];
      // Rounded as recorded, so the gate compares like with like.
      if (Number(f.recall.toFixed(4)) < r.recall) failures.push(`${name}: recall ${pct(f.recall)} < recorded ${r.recall}`);
      if (Number(f.fpRate.toFixed(4)) > r.fpRate) failures.push(`${name}: false-positive rate ${pct(f.fpRate)} > recorded ${r.fpRate}`);
      if (f.cases < r.cases) failures.push(`${name}: ${f.cases} cases, ${r.cases} recorded (a case was lost)`);
    }
    for (const [name] of rows) if (!(name in recorded)) failures.push(`${name}: not recorded (run npm run corpus -- --record)`);
    if (failures.length) {
      for (const f of failures) console.error(`corpus: FAIL ${f}`);
      return 1;
    }
    console.log(`corpus: ${total.cases} cases, no figure below the recorded one`);
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`corpus: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
