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
