// Issue 12: the pre-commit hook other repositories use (.pre-commit-hooks.yaml at the root).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('.pre-commit-hooks.yaml', () => {
  const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as Record<string, unknown>[];
  const hook = hooks.find((h) => h['id'] === 'extguard')!;

  it('declares the extguard hook as a node hook on YAML and JSON files', () => {
    expect(hooks).to.be.an('array');
    expect(hook).to.include({ language: 'node', entry: 'extguard check' });
    const files = new RegExp(hook['files'] as string);
    expect(['deploy/app.yaml', 'a.yml', 'x/values.json'].every((f) => files.test(f))).to.equal(true);
    expect(['README.md', 'app.yaml.bak', 'Dockerfile'].some((f) => files.test(f))).to.equal(false);
  });

  it('its entry names a command the package installs: the extguard bin and its check command', () => {
    const [command, sub] = (hook['entry'] as string).split(' ');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).to.have.property(command!);
    expect(readFileSync(join(root, pkg.bin[command!]!), 'utf8')).to.match(/import\(?\s*'\.\.\/dist\/cli\.js'/);
    expect(readFileSync(join(root, 'src', 'cli.ts'), 'utf8')).to.contain(`.command('${sub}')`);
  });
});
