// Issues 12 and 24: the pre-commit hook other repositories use (.pre-commit-hooks.yaml at the
// root). test/integration/pre-commit.test.ts runs it on real commits.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('.pre-commit-hooks.yaml', () => {
  const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Record<string, unknown>[];
  const hook = hooks.find((h) => h['id'] === 'extguard')!;

  it('declares the extguard hook on YAML and JSON files', () => {
    expect(hooks).to.be.an('array');
    const files = new RegExp(hook['files'] as string);
    expect(['deploy/app.yaml', 'a.yml', 'x/values.json'].every((f) => files.test(f))).to.equal(true);
    expect(['README.md', 'app.yaml.bak', 'Dockerfile'].some((f) => files.test(f))).to.equal(false);
  });

  it('its entry is a script pre-commit can run from its clone: tracked as executable, running check with --skip-non-kubernetes', () => {
    expect(hook).to.include({ language: 'script' });
    const entry = hook['entry'] as string;
    // pre-commit runs the file as git checked it out: without the executable bit it cannot.
    expect(execFileSync('git', ['ls-files', '--stage', entry], { cwd: root, encoding: 'utf8' })).to.match(/^100755 /);
    const script = readFileSync(join(root, entry), 'utf8');
    expect(script).to.match(/npm ci /);
    expect(script).to.match(/bin\/extguard\.js" check --skip-non-kubernetes "\$@"/);
    expect(readFileSync(join(root, 'src', 'cli.ts'), 'utf8')).to.contain(".option('--skip-non-kubernetes'");
  });
});
