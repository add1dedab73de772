// The repository stands alone: a user's clone has only what is in it. Every link in the
// README and docs/ must land on a file of the repository (and on a heading that exists), and
// nothing may point outside it, to the web or to a sibling directory.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function userDocs(): string[] {
  const docs = readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f));
  return ['README.md', ...docs];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

function headings(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Markdown links outside code fences and inline code. */
function links(file: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) { fence = !fence; continue; }
    if (fence) continue;
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) out.push(m[1]!);
  }
  return out;
}

describe('docs stand alone', () => {
  for (const doc of userDocs()) {
    it(`${doc}: every link lands inside the repository, on a heading that exists`, () => {
      const problems: string[] = [];
      for (const target of links(path.join(root, doc))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) { problems.push(`${target}: points outside the repository`); continue; }
        const [file, anchor] = target.split('#', 2) as [string, string | undefined];
        const resolved = file === '' ? path.join(root, doc) : path.resolve(path.dirname(path.join(root, doc)), file);
        if (path.relative(root, resolved).startsWith('..')) { problems.push(`${target}: leaves the repository`); continue; }
        if (!existsSync(resolved)) { problems.push(`${target}: no such file`); continue; }
        if (anchor && resolved.endsWith('.md') && !headings(resolved).has(anchor)) problems.push(`${target}: no heading #${anchor}`);
      }
      expect(problems).to.deep.equal([]);
    });
  }

  it('no tracked file refers to the shared directory beside the checkout', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
    const offenders = tracked.filter((f) => {
      if (f === 'test/unit/docs.test.ts' || !existsSync(path.join(root, f))) return false;
      return /\.\.\/shared\b/.test(readFileSync(path.join(root, f), 'utf8'));
    });
    expect(offenders).to.deep.equal([]);
  });
});

// Issue 24: figures and counts written in the docs are those the code and `npm run corpus`
// give today; a change to either that leaves the prose behind fails here.
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
const numberOf = (w: string): number => (/^\d/.test(w) ? Number(w.replace(/,/g, '')) : NUMBER_WORDS.indexOf(w.toLowerCase()));
/** A doc's text with line breaks and runs of spaces as one space, so a phrase may wrap. */
const prose = (doc: string): string => readFileSync(path.join(root, doc), 'utf8').replace(/\s+/g, ' ');

/** The rows of the markdown table whose header row starts with `header`, as cells. */
function tableRows(doc: string, header: string): string[][] {
  const lines = readFileSync(path.join(root, doc), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  if (start < 0) throw new Error(`${doc}: no table starting with ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim().replace(/\*\*/g, '')));
  }
  return rows;
}

describe('docs say what the code and the corpus say', () => {
  it('the number of covered kinds, wherever a doc counts them, is COVERED_KINDS, and the judge fuzzer generates each', async () => {
    const { COVERED_KINDS } = await import('../../src/objects/workload.ts');
    const { KINDS } = await import('../helpers/fuzz.ts');
    const claims: string[] = [];
    for (const doc of userDocs()) {
      for (const m of prose(doc).matchAll(/\b(\w+) (?:covered |workload )?kinds\b/gi)) {
        const n = numberOf(m[1]!);
        if (n >= 0 && n !== COVERED_KINDS.length) claims.push(`${doc}: "${m[0]}", but there are ${COVERED_KINDS.length}`);
      }
    }
    expect(claims).to.deep.equal([]);
    expect(KINDS.map((k) => k.kind).sort()).to.deep.equal([...COVERED_KINDS].sort());
  });

  it('the rules of contract.md\'s Violations table are the judge\'s rules, and ci.md sends readers there', async () => {
    const { RULE_DESCRIPTIONS } = await import('../../src/cli/sarif.ts');
    const listed = tableRows('docs/contract.md', '| rule | catches |').map((r) => r[0]!.replace(/`/g, ''));
    expect(listed.sort()).to.deep.equal(Object.keys(RULE_DESCRIPTIONS).sort());
    expect(readFileSync(path.join(root, 'docs/ci.md'), 'utf8')).to.contain('(contract.md#violations)');
  });

  it('no doc runs extguard by its name through a registry (npx, npm exec, npm install)', () => {
    const found: string[] = [];
    for (const doc of userDocs()) {
      readFileSync(path.join(root, doc), 'utf8').split('\n').forEach((line, i) => {
        if (/\bnpx\s+(?:-\S+\s+)*extguard\b|\bnpm\s+(?:exec|x|install|i|add)\s+(?:-\S+\s+)*extguard\b/.test(line)) found.push(`${doc}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).to.deep.equal([]);
  });

  describe('corpus figures', () => {
    type F = { cases: number; positives: number; negatives: number; tp: number; fp: number };
    let figures: Map<string, { own: F; peer?: F }>;
    const sum = (fs: F[]): F => fs.reduce((a, f) => ({ cases: a.cases + f.cases, positives: a.positives + f.positives, negatives: a.negatives + f.negatives, tp: a.tp + f.tp, fp: a.fp + f.fp }), { cases: 0, positives: 0, negatives: 0, tp: 0, fp: 0 });
    // As corpus/run.ts prints them.
    const recall = (f: F): string => (f.positives === 0 ? 1 : f.tp / f.positives).toFixed(3);
    const fpRate = (f: F): string => (f.negatives === 0 ? 0 : f.fp / f.negatives).toFixed(3);
    const total = (): F => sum([...figures.values()].map((v) => v.own));

    before(async function () {
      this.timeout(60_000);
      const { loadSources, score } = await import('../../corpus/run.ts');
      figures = new Map(loadSources().map((s) => { const o = score(s); return [s.source, o.peer ? { own: o.figures, peer: o.peer } : { own: o.figures }]; }));
    });

    it('detection.md\'s table: cases, recall and false-positive rate per row, the peers\' column, and every source in one row', () => {
      const rowSources: [RegExp, (name: string) => boolean][] = [
        [/^gitleaks/, (n) => n === 'gitleaks'],
        [/^KICS/, (n) => n === 'kics'],
        [/^Polaris/, (n) => n === 'polaris'],
        [/^kube-linter/, (n) => n === 'kube-linter'],
        [/^detect-secrets/, (n) => n === 'detect-secrets'],
        [/^real manifests/, (n) => n.startsWith('manifests-') && n !== 'manifests-configmaps'],
        [/^real ConfigMaps/, (n) => n === 'manifests-configmaps'],
        [/^our adversarial/, (n) => n === 'adversarial'],
        [/^total$/, () => true],
      ];
      const rows = tableRows('docs/detection.md', '| source | cases | extguard recall |');
      const wrong: string[] = [];
      const placed = new Set<string>();
      for (const [label, cases, rec, fpr, peer] of rows) {
        const match = rowSources.find(([re]) => re.test(label!));
        if (!match) { wrong.push(`${label}: no corpus source known for this row`); continue; }
        const names = [...figures.keys()].filter(match[1]);
        if (label !== 'total') names.forEach((n) => placed.add(n));
        const own = sum(names.map((n) => figures.get(n)!.own));
        const said = `${cases} ${rec} ${fpr}`;
        const is = `${own.cases} ${recall(own)} ${fpRate(own)}`;
        if (said !== is) wrong.push(`${label}: docs say ${said}, the corpus gives ${is}`);
        const peers = names.map((n) => figures.get(n)!.peer).filter((p): p is F => p !== undefined);
        // The total row leaves the peers' column empty: their fixtures are not comparable to each other.
        const peerIs = peers.length && label !== 'total' ? `${recall(sum(peers))} / ${fpRate(sum(peers))}` : '';
        if ((peer ?? '') !== peerIs) wrong.push(`${label}: peer column says "${peer}", the corpus gives "${peerIs}"`);
      }
      for (const n of figures.keys()) if (!placed.has(n)) wrong.push(`source ${n} is in no row`);
      expect(wrong).to.deep.equal([]);
    });

    it('the case counts in the prose of detection.md and testing.md, and the native table\'s cases per source', () => {
      const n = total().cases.toLocaleString('en-US');
      expect(prose('docs/detection.md')).to.contain(`(\`corpus/\`, ${n} cases`);
      expect(prose('docs/testing.md')).to.contain(`npm run corpus # detection on ${n} peer fixtures`);
      const configMaps = figures.get('manifests-configmaps')!.own.cases;
      const repos = [...figures.keys()].filter((k) => k.startsWith('manifests-') && k !== 'manifests-configmaps').length;
      expect(prose('docs/detection.md')).to.contain(`every workload of ${NUMBER_WORDS[repos]} public repositories, and ${configMaps} real ConfigMaps`);
      const native = tableRows('docs/detection.md', '| source | cases | evaluated by the API server |');
      const said = Object.fromEntries(native.map((r) => [r[0]!, Number(r[1])]));
      const is = Object.fromEntries([...[...figures].map(([k, v]) => [k, v.own.cases] as const), ['total', total().cases] as const]);
      expect(said).to.deep.equal(is);
    });
  });
});
