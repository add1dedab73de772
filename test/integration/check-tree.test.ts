// Issue 13: `extguard check .` on a repository checkout, as CI runs it. The fixture tree mixes
// manifests with what repositories keep next to them: a docker-compose file, a GitHub Actions
// workflow, deploy-tool configs, invalid YAML, a duplicate key, a Helm chart.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, root } from '../helpers/process.ts';

const fixture = join(root, 'test', 'fixtures', 'check-tree');

describe('extguard check on a repository tree (built binary)', function () {
  this.timeout(30000);
  let tree: string;
  // Relative paths, as a user running `check .` at the top of a checkout sees them.
  const run = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [bin, 'check', ...args], { cwd: tree, encoding: 'utf8', input, timeout: 30000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const json = (args: string[]) => {
    const r = run(['--format', 'json', ...args]);
    return { ...r, report: JSON.parse(r.stdout) };
  };

  before(() => {
    tree = mkdtempSync(join(tmpdir(), 'extguard-tree-'));
    cpSync(fixture, tree, { recursive: true });
    // Created here rather than committed: git would not keep them in the fixture.
    for (const dir of ['node_modules/some-package', '.git/refs']) {
      mkdirSync(join(tree, dir), { recursive: true });
      writeFileSync(join(tree, dir, 'broken.yaml'), 'key: [unclosed\n');
    }
    mkdirSync(join(tree, 'empty'));
  });
  after(() => rmSync(tree, { recursive: true, force: true }));

  const BROKEN_MANIFEST = 'extguard: broken/invalid.yaml:5: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] (the file holds apiVersion and kind: fix it, or --exclude it)\n';

  it('judges every manifest, lists what it skipped and what it could not read; a broken file that holds apiVersion and kind makes the run unusable (exit 2)', () => {
    const { code, stderr, report } = json(['.']);
    // Part of it might be an object kubectl applies: the run cannot pass it by.
    expect(stderr).to.equal(BROKEN_MANIFEST);
    expect(code).to.equal(2);
    expect(report.results.map((r: any) => `${r.kind} ${r.namespace}/${r.name} ${r.allowed}`)).to.deep.equal([
      'Deployment shop/web true',
      'Job shop/sync false',
      // Read despite its duplicate key: the last value wins, as kubectl reads it.
      'Deployment shop/worker true',
    ]);
    expect(report.results[1].violations.map((v: any) => `${v.rule} ${v.path}`)).to.deep.equal(['undeclared-external-host spec.template.spec.containers[0].args[0]']);
    expect(report.summary).to.deep.equal({ objects: 3, denied: 1, warned: 0, mutated: 0 });
    // Where each object was read, so same-named objects from different files can be told apart.
    expect(report.results.map((r: any) => `${r.file}:${r.line}`)).to.deep.equal(['deploy/app.yaml:2', 'deploy/app.yaml:21', 'deploy/duplicate-key.yaml:1']);
    expect(report.files).to.equal(11);
    const helm = 'a Helm template: render it first (helm template RELEASE CHART | extguard check -)';
    const notObject = 'has no apiVersion/kind: not a Kubernetes object';
    expect(report.skipped).to.deep.equal([
      { file: '.github/workflows/ci.yml', line: 1, reason: notObject },
      { file: 'charts/shop/Chart.yaml', line: 1, reason: notObject },
      { file: 'charts/shop/templates/deployment.yaml', reason: helm },
      { file: 'charts/shop/values.yaml', line: 1, reason: notObject },
      { file: 'config/cloudbuild.yaml', line: 1, reason: notObject },
      { file: 'docker-compose.yml', line: 1, reason: notObject },
    ]);
    // node_modules/ and .git/ are never walked: their broken files are not reported.
    expect(report.errors).to.have.length(1);
    expect(report.errors[0]).to.include({ file: 'broken/invalid.yaml', line: 5 });
    expect(report.errors[0].reason).to.match(/^not valid YAML: Flow sequence/);
    expect(report.notices).to.deep.equal([
      { file: 'deploy/collection-key.yaml', line: 5, reason: 'a key that is a map or a list is read as its text', code: 'COLLECTION_KEY' },
      { file: 'deploy/duplicate-key.yaml', line: 12, reason: 'duplicate key "image": the last value is read', code: 'DUPLICATE_KEY' },
    ]);
  });

  it('prints the same in text: where each object is, the errors and notices, and counts what it skipped', () => {
    const r = run(['.']);
    expect(r.stderr).to.equal(BROKEN_MANIFEST);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.match(/^DENIED  Job shop\/sync \(mode enforce\) in deploy\/app\.yaml:21$/m);
    expect(r.stdout).to.match(/^OK      Deployment shop\/web \(mode enforce\) in deploy\/app\.yaml:2$/m);
    expect(r.stdout).to.match(/^ERROR   broken\/invalid\.yaml:5: not valid YAML: /m);
    expect(r.stdout).to.match(/^NOTICE  deploy\/duplicate-key\.yaml:12: duplicate key "image": the last value is read$/m);
    expect(r.stdout).to.contain('3 object(s): 1 denied, 0 allowed with warnings, 0 would be mutated\n11 file(s) read, 6 document(s) skipped');
    expect(r.stdout).to.match(/, 1 error\(s\)\n$/);
  });

  it('--strict: a file in the tree that cannot be read makes the run unusable (exit 2), naming file and line', () => {
    const r = run(['--strict', '.']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal(BROKEN_MANIFEST);
    expect(r.stdout).to.contain('DENIED  Job shop/sync');
    // Without --strict, a broken file without apiVersion and kind is reported, not fatal; with it, fatal.
    writeFileSync(join(tree, 'broken', 'notes.yaml'), 'title: [unclosed\n');
    try {
      const relaxed = run(['--exclude', 'invalid.yaml', '.']);
      expect(relaxed.code, relaxed.stderr).to.equal(1);
      expect(relaxed.stdout).to.match(/^ERROR   broken\/notes\.yaml:2: not valid YAML/m);
      const strict = run(['--strict', '--exclude', 'invalid.yaml', '.']);
      expect(strict.code).to.equal(2);
      expect(strict.stderr).to.match(/^extguard: broken\/notes\.yaml:2: not valid YAML/);
    } finally {
      rmSync(join(tree, 'broken', 'notes.yaml'));
    }
  });

  it('a binary file is skipped with a clear notice, not read as YAML; named on the command line, it is unusable', () => {
    writeFileSync(join(tree, 'image.yaml'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x23, 0x20]));
    try {
      const { code, report } = json(['--exclude', 'broken', '.']);
      expect(code).to.equal(1);
      expect(report.skipped).to.deep.include({ file: 'image.yaml', reason: 'binary file, skipped' });
      expect(report.errors).to.deep.equal([]);
      const named = run(['image.yaml']);
      expect(named.code).to.equal(2);
      expect(named.stderr).to.equal('extguard: image.yaml: binary file, skipped: not a manifest\n');
    } finally {
      rmSync(join(tree, 'image.yaml'));
    }
  });

  it('--exclude: a name glob at any depth, a path glob from the walked directory; excluded directories are not entered', () => {
    const { code, stderr, report } = json(['--exclude', 'broken', '--exclude', '*.yml', '--exclude', 'charts/**', '.']);
    expect(stderr).to.equal('');
    expect(code).to.equal(1);
    expect(report.errors).to.deep.equal([]);
    expect(report.skipped.map((s: any) => s.file)).to.deep.equal(['config/cloudbuild.yaml']);
    expect(report.results).to.have.length(3);
    const strict = run(['--strict', '--exclude', './broken/', '.']);
    expect(strict.code, 'a leading ./ and a trailing / are read as written relative to the tree').to.equal(1);
  });

  it('exits 2 when a file named on the command line cannot be read, and still judges the rest', () => {
    const { code, stderr, report } = json(['broken/invalid.yaml', 'deploy/app.yaml']);
    expect(code).to.equal(2);
    expect(stderr).to.match(/^extguard: broken\/invalid\.yaml:5: not valid YAML/);
    expect(report.results.map((r: any) => r.name)).to.deep.equal(['web', 'sync']);
  });

  const unusable: [string, string[], RegExp][] = [
    ['a named file that is not a manifest', ['docker-compose.yml'], /^extguard: docker-compose\.yml:1: has no apiVersion\/kind/],
    ['a named Helm template, with the command that renders it', ['charts/shop/templates/deployment.yaml'], /^extguard: charts\/shop\/templates\/deployment\.yaml: a Helm template: render it first \(helm template/],
    ['directories holding no Kubernetes object', ['charts', 'config'], /^extguard: no Kubernetes object in the inputs: 4 document\(s\) skipped, 0 error\(s\)/],
    ['a directory without YAML', ['empty'], /^extguard: empty: no YAML or JSON file in this directory/],
  ];
  for (const [what, args, message] of unusable) {
    it(`exits 2 on ${what}`, () => {
      const r = run(args);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.match(message);
    });
  }

  it('judges rendered charts from stdin (helm template … | extguard check -), empty documents and all', () => {
    const rendered = [
      '---\n# Source: shop/templates/serviceaccount.yaml\n',
      '# Source: shop/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop-web}\nspec: {template: {spec: {containers: [{name: web, image: "registry.example.com/web:1.4.2"}]}}}\n',
    ].join('---\n');
    const r = run(['--format', 'json', '-'], rendered);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    const report = JSON.parse(r.stdout);
    expect(report.results.map((x: any) => `${x.kind} ${x.namespace}/${x.name}`)).to.deep.equal(['Deployment default/shop-web']);
    expect(report.skipped).to.deep.equal([]);
  });
});
