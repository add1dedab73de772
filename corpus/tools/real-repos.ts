// Host and credential findings of `extguard check` on public repositories the project did not
// write, joined with labels read by hand. Repositories, scope and labels: corpus/real-repos/.
// Never stores or prints a credential value: a credential finding is its place and its kind,
// and a host found where a credential is (extguard's "not shown") stays "(not shown)".
//
//   npx node corpus/tools/real-repos.ts extract [--mirror DIR]
//       copy each repository's recorded commit out of its fetched git directory
//       (DIR/OWNER+NAME/repo, default /work/.mirror) into its `dir`; blobs the snapshot lacks
//       (files of 4 MiB and more) are left out and listed
//   npx node corpus/tools/real-repos.ts [--tree DIR] [--src] [--config FILE] [--only NAME]...
//       [--out FILE] [--list] [--table]
//       judge every repository with the extguard of DIR (default: this checkout), write the
//       findings file (default corpus/real-repos/findings.txt) and print, per repository,
//       objects, findings labelled true/false and findings nobody has labelled yet
//
// Options: --repos FILE (corpus/real-repos/repos.yaml), --labels FILE
// (corpus/real-repos/labels.yaml), --src runs DIR/src/cli.ts instead of DIR/bin/extguard.js
// (the build in dist/), --list prints every denied object, every unlabelled finding, every
// finding labelled by place (see `lookup`) and every label that matched nothing, --table prints
// the per-repository table as Markdown.
//
// How a repository is judged: its YAML and JSON files (the walk of `extguard check DIR`:
// *.yaml, *.yml, *.json, no .git or node_modules, sorted), narrowed by the entry's `include`
// and `exclude` globs, are handed to `extguard check --format json` and `--format sarif` in one
// run each, from the repository's directory. The JSON report gives the verdicts and warnings,
// the SARIF log the file each violation is in (the JSON report names objects, not files). A host
// warning with no violation behind it is placed by the object's name in the files read.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, matchesGlob, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

const here = fileURLToPath(new URL('.', import.meta.url));
const checkout = resolve(here, '..', '..');
const HOST_RULE = 'undeclared-external-host';
const CREDENTIAL_RULE = 'plaintext-credential';
const NOT_SHOWN = '(not shown)';
const IGNORED_DIRECTORIES = new Set(['.git', '.hg', '.svn', 'node_modules']);
const MANIFEST_FILE = /\.(ya?ml|json)$/i;

type Json = Record<string, unknown>;

interface Repo {
  /** owner/name on GitHub. */
  name: string;
  url: string;
  commit: string;
  /** Where the commit is extracted (absolute, or relative to this checkout). */
  dir: string;
  /** Globs over repository-relative paths: a file is judged when it or one of its directories matches one (default: all). */
  include?: string[];
  /** Globs like `check --exclude`: without "/" a file or directory name at any depth, with "/" a repository-relative path. */
  exclude?: string[];
  why?: string;
}

interface Label { label: boolean; why: string }
interface Labels { hosts: Record<string, Label>; credentials: Record<string, Label> }

/** One finding: a host (violation or warning) or a credential, by key; `what` is the credential's kind. */
interface Finding {
  kind: 'host' | 'host-warning' | 'credential';
  key: string;
  line?: number;
  what?: string;
}

interface RepoRun {
  repo: Repo;
  files: number;
  objects: number;
  workloads: number;
  denied: number;
  deniedByHostOnly: number;
  helmSkipped: number;
  /** Files that are not valid YAML: with `{{` (a template outside a chart's templates/), or other. */
  templateErrors: number;
  otherErrors: number;
  /** Objects read but not judged: a shape the judge cannot read (test asserts, partial objects), or too complex. */
  unreadable: number;
  tooComplex: number;
  findings: Finding[];
  /** For each denied object, the keys of its host and credential findings (labels decide whether the denial is right). */
  deniedObjects: { id: string; hosts: string[]; credentials: string[]; others: number }[];
  /** Warnings cut by the API-server budget ("N more warning(s) not shown"). */
  cutWarnings: number;
}

// ---------------------------------------------------------------------------------------------
// Arguments and inputs

interface Options {
  command: 'run' | 'extract';
  repos: string;
  labels: string;
  tree: string;
  src: boolean;
  config?: string;
  out: string;
  only: string[];
  list: boolean;
  table: boolean;
  mirror: string;
}

function options(argv: string[]): Options {
  const o: Options = {
    command: 'run',
    repos: join(checkout, 'corpus/real-repos/repos.yaml'),
    labels: join(checkout, 'corpus/real-repos/labels.yaml'),
    tree: checkout,
    src: false,
    out: join(checkout, 'corpus/real-repos/findings.txt'),
    only: [],
    list: false,
    table: false,
    mirror: '/work/.mirror',
  };
  const args = [...argv];
  if (args[0] === 'extract' || args[0] === 'run') o.command = args.shift() as 'run' | 'extract';
  const value = (flag: string): string => {
    const v = args.shift();
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  while (args.length) {
    const a = args.shift()!;
    switch (a) {
      case '--repos': o.repos = resolve(value(a)); break;
      case '--labels': o.labels = resolve(value(a)); break;
      case '--tree': o.tree = resolve(value(a)); break;
      case '--src': o.src = true; break;
      case '--config': o.config = resolve(value(a)); break;
      case '--out': o.out = resolve(value(a)); break;
      case '--only': o.only.push(value(a)); break;
      case '--list': o.list = true; break;
      case '--table': o.table = true; break;
      case '--mirror': o.mirror = resolve(value(a)); break;
      default: throw new Error(`unknown argument ${a} (see the head of ${fileURLToPath(import.meta.url)})`);
    }
  }
  return o;
}

function readRepos(file: string): Repo[] {
  const doc = parse(readFileSync(file, 'utf8')) as { repos?: Repo[] };
  const repos = doc?.repos;
  if (!Array.isArray(repos) || repos.length === 0) throw new Error(`${file}: no "repos"`);
  const names = new Set<string>();
  for (const r of repos) {
    for (const k of ['name', 'url', 'commit', 'dir'] as const) {
      if (typeof r[k] !== 'string' || r[k] === '') throw new Error(`${file}: a repository lacks "${k}"`);
    }
    if (!/^[0-9a-f]{40}$/.test(r.commit)) throw new Error(`${file}: ${r.name}: commit must be 40 hex digits`);
    if (names.has(r.name)) throw new Error(`${file}: ${r.name} is listed twice`);
    names.add(r.name);
  }
  return repos;
}

function readLabels(file: string): Labels {
  if (!existsSync(file)) return { hosts: {}, credentials: {} };
  const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as Partial<Labels>;
  const labels: Labels = { hosts: doc.hosts ?? {}, credentials: doc.credentials ?? {} };
  for (const [section, entries] of Object.entries(labels)) {
    for (const [key, l] of Object.entries(entries as Record<string, Label>)) {
      if (typeof l?.label !== 'boolean' || typeof l.why !== 'string' || !l.why.trim()) {
        throw new Error(`${file}: ${section} "${key}" needs label: true|false and a one-line why`);
      }
    }
  }
  return labels;
}

const repoDir = (r: Repo): string => resolve(checkout, r.dir);

// ---------------------------------------------------------------------------------------------
// extract

function extract(o: Options, repos: Repo[]): void {
  for (const r of repos) {
    const gitDir = join(o.mirror, r.name.replace('/', '+'), 'repo');
    if (!existsSync(gitDir)) {
      console.log(`${r.name}: no git directory at ${gitDir} (fetch github:${r.name} first)`);
      continue;
    }
    const git = (...args: string[]): string => {
      const p = spawnSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
      if (p.status !== 0) throw new Error(`${r.name}: git ${args.join(' ')}: ${p.stderr.trim()}`);
      return p.stdout;
    };
    const head = git('rev-parse', 'HEAD').trim();
    if (git('cat-file', '-t', r.commit).trim() !== 'commit') throw new Error(`${r.name}: commit ${r.commit} is not in ${gitDir}`);
    if (head !== r.commit) console.log(`${r.name}: the snapshot's HEAD is ${head}; extracting the recorded ${r.commit}`);
    // The snapshot lacks files of 4 MiB and more: find which blobs are absent and leave them out.
    const blobs = git('ls-tree', '-r', '-z', r.commit).split('\0').filter(Boolean).map((line) => {
      const [meta, path] = line.split('\t') as [string, string];
      const [, type, object] = meta.split(' ') as [string, string, string];
      return { type, object, path };
    }).filter((b) => b.type === 'blob');
    const check = spawnSync('git', ['--git-dir', gitDir, 'cat-file', '--batch-check'], { input: blobs.map((b) => b.object).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 30 });
    const absent = new Set(check.stdout.split('\n').filter((l) => l.endsWith(' missing')).map((l) => l.split(' ')[0]));
    const missing = blobs.filter((b) => absent.has(b.object)).map((b) => b.path);
    const dir = repoDir(r);
    // The directory is replaced: refuse one that holds this checkout or is too near the root.
    if (checkout === dir || checkout.startsWith(`${dir}/`) || dir.split('/').filter(Boolean).length < 2) throw new Error(`${r.name}: will not replace ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const pathspecs = missing.map((p) => `:(exclude,literal)${p}`);
    const archive = spawnSync('git', ['--git-dir', gitDir, 'archive', r.commit, '--', '.', ...pathspecs], { maxBuffer: 4 << 30 });
    if (archive.status !== 0) throw new Error(`${r.name}: git archive: ${archive.stderr.toString().trim()}`);
    const tar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    if (tar.status !== 0) throw new Error(`${r.name}: tar: ${tar.stderr.toString().trim()}`);
    const manifests = missing.filter((p) => MANIFEST_FILE.test(p));
    console.log(`${r.name}: ${r.commit} -> ${dir}; ${missing.length} file(s) absent from the snapshot${manifests.length ? `, YAML/JSON among them: ${manifests.join(', ')}` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Which files

/** A pattern without "/" matches a name at any depth; with "/" the path from the repository root. */
function globHits(rel: string, pattern: string): boolean {
  const p = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
  const parts = rel.split('/');
  if (!p.includes('/')) return parts.some((name) => matchesGlob(name, p));
  for (let i = 1; i <= parts.length; i++) if (matchesGlob(parts.slice(0, i).join('/'), p)) return true;
  return false;
}

/** The manifest files of a repository as `extguard check DIR` walks them, narrowed by include/exclude. */
function manifestFiles(r: Repo): string[] {
  const root = repoDir(r);
  const out: string[] = [];
  const walk = (rel: string): void => {
    const entries = readdirSync(join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if ((r.exclude ?? []).some((g) => globHits(path, g))) continue;
      if (e.isDirectory()) {
        if (!IGNORED_DIRECTORIES.has(e.name)) walk(path);
        continue;
      }
      if (!MANIFEST_FILE.test(e.name)) continue;
      if (e.isSymbolicLink()) {
        try {
          if (!statSync(join(root, path)).isFile()) continue;
        } catch {
          continue;
        }
      } else if (!e.isFile()) continue;
      if (r.include && !r.include.some((g) => globHits(path, g))) continue;
      out.push(path);
    }
  };
  walk('');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Judging one repository

interface Violation { rule: string; container?: string; path: string; message: string }
interface Result { kind: string; namespace: string; name: string; mode: string; allowed: boolean; violations: Violation[]; warnings: string[] }
interface Note { file: string; line?: number; reason: string; code?: string }
interface Report { results: Result[]; skipped: Note[]; errors: Note[]; summary: { objects: number; denied: number } }

function extguard(o: Options, cwd: string, format: 'json' | 'sarif', files: string[]): string {
  const config = o.config ?? join(o.tree, 'examples/config.yaml');
  const entry = o.src ? join(o.tree, 'src/cli.ts') : join(o.tree, 'bin/extguard.js');
  if (!o.src && !existsSync(join(o.tree, 'dist/cli.js'))) throw new Error(`${o.tree} has no dist/: run "npm run build" there, or pass --src`);
  const p = spawnSync(process.execPath, [entry, 'check', '--format', format, '--config', config, ...files], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  // 0 allowed, 1 denied, 2 some input unusable (a named file that is not a manifest): the report is printed in all three.
  if (p.status === null || p.status > 2 || !p.stdout.trim()) throw new Error(`extguard check in ${cwd} failed (exit ${p.status}): ${p.stderr.slice(0, 2000)}`);
  return p.stdout;
}

/** The host a host violation names: "host", "*.suffix" for one built at run time, or "(not shown)". */
function hostOf(message: string): string {
  const m = /external host (under )?"([^"]+)"/.exec(message);
  if (!m) return NOT_SHOWN;
  return m[1] ? `*.${m[2]}` : m[2]!;
}

/** `[undeclared-external-host] container "c" PATH[ (and N more: …)]: reason` -> (first) path and host. */
function parseHostWarning(w: string): { path: string; host: string } | undefined {
  if (!w.startsWith(`[${HOST_RULE}]`)) return undefined;
  const m = /^\[[^\]]+\] (?:container "[^"]*" )?(\S+)(?: \(and [^)]*\))?: (.*)$/.exec(w);
  if (!m) return { path: '(unknown path)', host: NOT_SHOWN };
  const h = /host "([^"]+)"/.exec(m[2]!);
  return { path: m[1]!, host: h && !/not shown/.test(m[2]!) ? h[1]! : NOT_SHOWN };
}

/** kind/namespace/name -> the files that hold such an object, for results SARIF does not place. */
function objectIndex(root: string, files: string[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  const add = (o: unknown, file: string): void => {
    if (!o || typeof o !== 'object') return;
    const obj = o as Json;
    if (obj['kind'] === 'List' && Array.isArray(obj['items'])) for (const i of obj['items']) add(i, file);
    const meta = obj['metadata'] as Json | undefined;
    // extguard names an object by metadata.name, or by generateName followed by "*".
    const name = typeof meta?.['name'] === 'string' ? meta['name'] : typeof meta?.['generateName'] === 'string' ? `${meta['generateName']}*` : undefined;
    if (typeof obj['kind'] !== 'string' || !meta || name === undefined) return;
    const id = `${obj['kind']}/${typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default'}/${name}`;
    const list = index.get(id) ?? [];
    if (!list.includes(file)) list.push(file);
    index.set(id, list);
  };
  for (const f of files) {
    try {
      for (const d of parseAllDocuments(readFileSync(join(root, f), 'utf8'), { logLevel: 'silent' })) if (!('empty' in d)) add(d.toJS({ maxAliasCount: 1000 }), f);
    } catch {
      // Not YAML: extguard reports it under errors; nothing of it is judged.
    }
  }
  return index;
}

function judgeRepo(o: Options, r: Repo): RepoRun {
  const root = repoDir(r);
  if (!existsSync(root)) throw new Error(`${r.name}: ${root} does not exist (run the extract command)`);
  const files = manifestFiles(r);
  const report = JSON.parse(extguard(o, root, 'json', files)) as Report;
  const sarif = JSON.parse(extguard(o, root, 'sarif', files)) as { runs: { results: Json[] }[] };
  const placed = sarif.runs[0]?.results ?? [];
  let index: Map<string, string[]> | undefined;
  const run: RepoRun = {
    repo: r, files: files.length, objects: report.summary.objects, denied: report.summary.denied,
    workloads: report.results.filter((x) => x.kind !== 'Namespace' && x.kind !== 'Service').length,
    deniedByHostOnly: 0, helmSkipped: 0, templateErrors: 0, otherErrors: 0, unreadable: 0, tooComplex: 0, findings: [], deniedObjects: [], cutWarnings: 0,
  };
  for (const s of report.skipped) if (/Helm template/.test(s.reason)) run.helmSkipped++;
  for (const e of report.errors) {
    if (e.code === 'TOO_COMPLEX') {
      run.tooComplex++;
      continue;
    }
    if (e.code === 'UNREADABLE_OBJECT' || e.reason.startsWith('cannot be judged')) {
      run.unreadable++;
      continue;
    }
    let text = '';
    try {
      text = readFileSync(join(root, e.file), 'utf8');
    } catch {
      // a directory that could not be listed
    }
    if (text.includes('{{')) run.templateErrors++;
    else run.otherErrors++;
  }
  let next = 0;
  for (const res of report.results) {
    const id = `${res.kind}/${res.namespace}/${res.name}`;
    const hosts = new Set<string>();
    let file: string | undefined;
    const mine = { id, hosts: [] as string[], credentials: [] as string[], others: 0 };
    for (const v of res.violations) {
      const s = placed[next++];
      const props = (s?.['properties'] ?? {}) as Json;
      if (!s || props['field'] !== v.path || props['name'] !== res.name) throw new Error(`${r.name}: the SARIF log and the JSON report disagree at ${id} ${v.path}`);
      const loc = ((s['locations'] as Json[] | undefined)?.[0]?.['physicalLocation'] ?? {}) as Json;
      const uri = (loc['artifactLocation'] as Json | undefined)?.['uri'];
      const line = (loc['region'] as Json | undefined)?.['startLine'];
      if (typeof uri === 'string') file = decodeURIComponent(uri);
      const at = typeof line === 'number' ? line : undefined;
      if (v.rule === HOST_RULE) {
        const host = hostOf(v.message);
        hosts.add(`${v.path}\n${host}`);
        const key = [r.name, file ?? '(file unknown)', id, v.path, host].join(' | ');
        mine.hosts.push(key);
        run.findings.push({ kind: 'host', key, line: at });
      } else if (v.rule === CREDENTIAL_RULE) {
        // The kind of credential, from the message's parenthesis: extguard never puts the value there.
        const what = /^(.*?)\)[.;] /.exec(v.message.split(` at ${v.path} (`)[1] ?? '')?.[1];
        const key = [r.name, file ?? '(file unknown)', id, v.path].join(' | ');
        mine.credentials.push(key);
        run.findings.push({ kind: 'credential', key, line: at, what });
      } else mine.others++;
    }
    if (!res.allowed) run.deniedObjects.push(mine);
    if (!res.allowed && res.violations.length && res.violations.every((v) => v.rule === HOST_RULE)) run.deniedByHostOnly++;
    for (const w of res.warnings) {
      if (/more warning\(s\) not shown/.test(w)) run.cutWarnings++;
      const hw = parseHostWarning(w);
      if (!hw || hosts.has(`${hw.path}\n${hw.host}`)) continue;
      // Cut to fit the API server's warning budget: its host may be cut off; it stands for a violation when there is one.
      if (w.endsWith('…') && hosts.size > 0) continue;
      // A host warning with no violation behind it (a build that warns on weaker evidence).
      if (!file) {
        index ??= objectIndex(root, files);
        file = (index.get(id) ?? ['(file unknown)']).join(',');
      }
      run.findings.push({ kind: 'host-warning', key: [r.name, file, id, hw.path, hw.host].join(' | ') });
    }
  }
  if (next !== placed.length) throw new Error(`${r.name}: the SARIF log has ${placed.length} results, the JSON report ${next} violations`);
  return run;
}

// ---------------------------------------------------------------------------------------------
// Report

interface Tally { n: number; t: number; f: number; open: number; byPlace: number }

/**
 * The label of a finding: by its key; or, for a host finding whose key has no label, by its place
 * (REPO | FILE | OBJECT | PATH) when every host labelled at that place has the same label. The text
 * at a place is the same at the same commit, so a build that reports another host there, or a
 * warning that names none ("(not shown)"), is about the text already read; --list names these.
 */
function lookup(labels: Labels, x: Pick<Finding, 'kind' | 'key'>): { label: Label; byPlace: boolean } | undefined {
  if (x.kind === 'credential') {
    const l = labels.credentials[x.key];
    return l && { label: l, byPlace: false };
  }
  const l = labels.hosts[x.key];
  if (l) return { label: l, byPlace: false };
  const place = placeOf(x.key);
  const there = Object.entries(labels.hosts).filter(([k]) => placeOf(k) === place).map(([, v]) => v);
  if (there.length === 0 || there.some((v) => v.label !== there[0]!.label)) return undefined;
  return { label: there[0]!, byPlace: true };
}

const placeOf = (key: string): string => key.split(' | ').slice(0, 4).join(' | ');

function tally(findings: Finding[], labels: Labels): Tally {
  const t: Tally = { n: findings.length, t: 0, f: 0, open: 0, byPlace: 0 };
  for (const x of findings) {
    const l = lookup(labels, x);
    if (!l) t.open++;
    else if (l.label.label) t.t++;
    else t.f++;
    if (l?.byPlace) t.byPlace++;
  }
  return t;
}

/** Denied objects: rightly (some finding labelled true or another rule), wrongly (every finding labelled false), or not yet known. */
function denials(x: RepoRun, labels: Labels): { right: number; wrong: number; open: number } {
  const d = { right: 0, wrong: 0, open: 0 };
  for (const o of x.deniedObjects) {
    const ls = [
      ...o.hosts.map((key) => lookup(labels, { kind: 'host', key })?.label),
      ...o.credentials.map((key) => lookup(labels, { kind: 'credential', key })?.label),
    ];
    if (o.others > 0 || ls.some((l) => l?.label === true)) d.right++;
    else if (ls.every((l) => l?.label === false)) d.wrong++;
    else d.open++;
  }
  return d;
}

function main(): void {
  const o = options(process.argv.slice(2));
  let repos = readRepos(o.repos);
  if (o.only.length) {
    repos = repos.filter((r) => o.only.includes(r.name));
    if (!repos.length) throw new Error(`no repository named ${o.only.join(', ')}`);
  }
  if (o.command === 'extract') return extract(o, repos);
  const labels = readLabels(o.labels);
  const treeCommit = spawnSync('git', ['-C', o.tree, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || 'unknown';
  const runs: RepoRun[] = [];
  for (const r of repos) {
    const started = Date.now();
    runs.push(judgeRepo(o, r));
    process.stderr.write(`${r.name}: judged in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }

  // The findings file: one line per finding, sorted, so two builds compare with diff.
  const lines = [
    `# extguard check on public repositories (corpus/real-repos/repos.yaml), tree ${o.tree} at ${treeCommit}${o.src ? ' (src)' : ''}`,
    '# objects REPO | files N | objects N | workloads N | denied N | denied for hosts only N | Helm templates skipped N | template files unparsable N | other files unparsable N | objects unreadable N | objects too complex N',
    '# host (violation) / host-warning (a host warning with no violation) / credential: REPO | FILE | KIND/NAMESPACE/NAME | PATH | HOST, then the label, then the line',
  ];
  for (const x of runs) {
    lines.push(`objects ${x.repo.name} | files ${x.files} | objects ${x.objects} | workloads ${x.workloads} | denied ${x.denied} | denied for hosts only ${x.deniedByHostOnly} | Helm templates skipped ${x.helmSkipped} | template files unparsable ${x.templateErrors} | other files unparsable ${x.otherErrors} | objects unreadable ${x.unreadable} | objects too complex ${x.tooComplex}`);
  }
  const labelOf = (x: Finding): string => {
    const l = lookup(labels, x);
    return l === undefined ? 'unlabelled' : `${l.label.label}${l.byPlace ? ' (by place)' : ''}`;
  };
  const all = runs.flatMap((x) => x.findings).sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1));
  for (const x of all) lines.push(`${x.kind} ${x.key}${x.what ? ` | (${x.what})` : ''}\t${labelOf(x)}${x.line ? `\tline ${x.line}` : ''}`);
  mkdirSync(resolve(o.out, '..'), { recursive: true });
  writeFileSync(o.out, lines.join('\n') + '\n');

  // The table.
  const rows = runs.map((x) => ({
    x,
    d: denials(x, labels),
    h: tally(x.findings.filter((f) => f.kind === 'host'), labels),
    w: tally(x.findings.filter((f) => f.kind === 'host-warning'), labels),
    c: tally(x.findings.filter((f) => f.kind === 'credential'), labels),
  }));
  const total = (pick: (r: (typeof rows)[number]) => Tally): Tally => rows.map(pick).reduce((a, b) => ({ n: a.n + b.n, t: a.t + b.t, f: a.f + b.f, open: a.open + b.open, byPlace: a.byPlace + b.byPlace }), { n: 0, t: 0, f: 0, open: 0, byPlace: 0 });
  const sum = (pick: (r: (typeof rows)[number]) => number): number => rows.reduce((n, r) => n + pick(r), 0);
  const cell = (t: Tally): string => (t.n === 0 ? '0' : `${t.n} (${t.t} true, ${t.f} false${t.open ? `, ${t.open} unlabelled` : ''}${t.byPlace ? `; ${t.byPlace} of them labelled by place` : ''})`);
  const denied = (n: number, right: number, wrong: number, open: number): string => (n === 0 ? '0' : `${n} (${right} rightly, ${wrong} only for false findings${open ? `, ${open} not yet known` : ''})`);
  if (o.table) {
    console.log('| repository | objects judged | denied in enforce | host findings | host warnings | credential findings |');
    console.log('| --- | ---: | --- | --- | --- | --- |');
    for (const { x, d, h, w, c } of rows) console.log(`| ${x.repo.name} | ${x.objects} | ${denied(x.denied, d.right, d.wrong, d.open)} | ${cell(h)} | ${cell(w)} | ${cell(c)} |`);
    console.log(`| **total** | ${sum((r) => r.x.objects)} | ${denied(sum((r) => r.x.denied), sum((r) => r.d.right), sum((r) => r.d.wrong), sum((r) => r.d.open))} | ${cell(total((r) => r.h))} | ${cell(total((r) => r.w))} | ${cell(total((r) => r.c))} |`);
  } else {
    for (const { x, d, h, w, c } of rows) {
      console.log(`${x.repo.name}: ${x.objects} objects (${x.workloads} workloads) from ${x.files} files; denied ${denied(x.denied, d.right, d.wrong, d.open)}; ` +
        `hosts ${cell(h)}; host warnings ${cell(w)}; credentials ${cell(c)}; ` +
        `${x.helmSkipped} Helm templates skipped, ${x.templateErrors} template files and ${x.otherErrors} other files unparsable, ${x.unreadable} objects unreadable${x.tooComplex ? `, ${x.tooComplex} TOO COMPLEX` : ''}${x.cutWarnings ? `; ${x.cutWarnings} objects with warnings cut` : ''}`);
    }
    console.log(`total: ${sum((r) => r.x.objects)} objects; denied ${denied(sum((r) => r.x.denied), sum((r) => r.d.right), sum((r) => r.d.wrong), sum((r) => r.d.open))}; hosts ${cell(total((r) => r.h))}; host warnings ${cell(total((r) => r.w))}; credentials ${cell(total((r) => r.c))}`);
  }
  if (o.list) {
    for (const x of runs) {
      for (const d of x.deniedObjects) {
        const one: RepoRun = { ...x, deniedObjects: [d] };
        const v = denials(one, labels);
        const file = (d.hosts[0] ?? d.credentials[0] ?? '').split(' | ')[1] ?? '';
        console.log(`denied ${v.right ? 'rightly' : v.wrong ? 'WRONGLY' : '(not yet known)'} ${x.repo.name} | ${file} | ${d.id} | ${d.hosts.length} host and ${d.credentials.length} credential finding(s)`);
      }
    }
    for (const x of all) {
      const l = labelOf(x);
      if (l === 'unlabelled' || l.endsWith('(by place)')) console.log(`${l === 'unlabelled' ? 'unlabelled' : `labelled ${l}`} ${x.kind} ${x.key}${x.line ? ` (line ${x.line})` : ''}`);
    }
    // A host label whose place still has a finding (with another host, or a warning) is not gone.
    const seen = new Set(all.flatMap((x) => (x.kind === 'credential' ? [`c ${x.key}`] : [`h ${x.key}`, `p ${placeOf(x.key)}`])));
    const judged = new Set(runs.map((x) => x.repo.name));
    for (const [section, entries] of [['h', labels.hosts], ['c', labels.credentials]] as const) {
      for (const key of Object.keys(entries)) {
        if (judged.has(key.split(' | ')[0]!) && !seen.has(`${section} ${key}`) && !(section === 'h' && seen.has(`p ${placeOf(key)}`))) console.log(`label matched nothing (the finding is gone): ${key}`);
      }
    }
  }
  console.log(`findings: ${o.out}`);
}

main();
