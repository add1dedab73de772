// Issue 24: the pre-commit hook (.pre-commit-hooks.yaml) on real `git commit`s in a fresh
// repository, with the machine's own Node first on PATH (20 here), as a developer has it. With
// pre-commit installed (Debian's `pre-commit` package; .ci/run installs it) the commit goes
// through pre-commit itself, which clones this checkout at HEAD and runs the entry; without it,
// a git hook runs the entry on the staged files the way pre-commit does. npm runs offline from
// the cache this checkout's `npm ci` filled.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { parse } from 'yaml';
import { FIXTURE_FILES, PLANTED, fixtureRepo, git } from '../helpers/ci-fixture.ts';
import { root } from '../helpers/process.ts';

const hook = (parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Record<string, string>[]).find((h) => h['id'] === 'extguard')!;

function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'EXTGUARD_REEXEC') env[k] = v;
  env.PATH = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.split(sep).includes('node_modules')).join(delimiter);
  return {
    ...env, npm_config_offline: 'true', npm_config_update_notifier: 'false',
    GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com',
    ...extra,
  };
}

const hasPreCommit = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' }).status === 0;
const machineNode = spawnSync('node', ['--version'], { env: userEnv({}), encoding: 'utf8' }).stdout?.trim() || 'no node';

describe(`pre-commit hook on real commits, ${machineNode} first on PATH (${hasPreCommit ? 'through pre-commit' : 'pre-commit not installed: the entry from a git hook'})`, function () {
  this.timeout(600_000);
  let repo: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const commit = (message: string): { status: number | null; out: string } => {
    const r = spawnSync('git', ['commit', '-m', message], { cwd: repo, env, encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  before(function () {
    const dirty = git(root, 'status', '--porcelain', '--', '.pre-commit-hooks.yaml', 'ci/', 'bin/', 'src/', 'package.json', 'package-lock.json');
    if (dirty) throw new Error(`commit these first, pre-commit runs HEAD:\n${dirty}`);
    home = mkdtempSync(join(tmpdir(), 'extguard-pre-commit-home-'));
    env = userEnv({ PRE_COMMIT_HOME: join(home, 'cache') });
    repo = fixtureRepo({ 'README.md': 'fixture\n' });
    if (hasPreCommit) {
      writeFileSync(join(repo, '.pre-commit-config.yaml'), `repos:\n  - repo: ${root}\n    rev: ${git(root, 'rev-parse', 'HEAD')}\n    hooks:\n      - id: extguard\n`);
      git(repo, 'add', '.pre-commit-config.yaml');
      git(repo, 'commit', '--quiet', '--no-verify', '-m', 'pre-commit config');
      const r = spawnSync('pre-commit', ['install'], { cwd: repo, env, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    } else {
      // What pre-commit does: the hook repository cloned at the pinned commit, the entry run
      // from there with the staged files that match `files`.
      const clone = join(home, 'clone');
      git(tmpdir(), 'clone', '--quiet', root, clone);
      const script = `#!/usr/bin/env bash\nset -eo pipefail\nmapfile -t files < <(git diff --cached --name-only --diff-filter=ACMR | grep -E '${hook['files']}' || true)\n[ "\${#files[@]}" -eq 0 ] && exit 0\nexec '${join(clone, hook['entry']!)}' "\${files[@]}"\n`;
      writeFileSync(join(repo, '.git/hooks/pre-commit'), script);
      chmodSync(join(repo, '.git/hooks/pre-commit'), 0o755);
    }
  });
  after(() => { for (const d of [repo, home]) if (d) rmSync(d, { recursive: true, force: true }); });

  it('a staged GitHub workflow (not a Kubernetes object) does not stop the commit', () => {
    mkdirSync(join(repo, '.github/workflows'), { recursive: true });
    writeFileSync(join(repo, '.github/workflows/ci.yaml'), FIXTURE_FILES['.github/workflows/ci.yaml']!);
    git(repo, 'add', '.github');
    const r = commit('workflow');
    expect(r.status, r.out).to.equal(0);
    expect(git(repo, 'log', '-1', '--format=%s')).to.equal('workflow');
  });

  it('a staged manifest with a password stops the commit (exit 1, the rule named, the value not echoed); a good one passes', () => {
    mkdirSync(join(repo, 'deploy'), { recursive: true });
    writeFileSync(join(repo, 'deploy/bad.yaml'), FIXTURE_FILES['deploy/bad.yaml']!);
    writeFileSync(join(repo, '.github/workflows/ci.yaml'), `${FIXTURE_FILES['.github/workflows/ci.yaml']!}# changed\n`);
    git(repo, 'add', '-A');
    const bad = commit('bad');
    expect(bad.status, bad.out).to.equal(1);
    expect(bad.out).to.contain('[plaintext-credential] Deployment shop/reports');
    expect(bad.out).not.to.contain(PLANTED);
    expect(git(repo, 'log', '-1', '--format=%s')).to.equal('workflow');

    git(repo, 'rm', '--quiet', '--cached', 'deploy/bad.yaml');
    writeFileSync(join(repo, 'deploy/good.yaml'), FIXTURE_FILES['deploy/good.yaml']!);
    git(repo, 'add', 'deploy/good.yaml', '.github');
    const good = commit('good');
    expect(good.status, good.out).to.equal(0);
  });
});
