// Issue 13: reading a repository's YAML without stopping at the first file that is not a
// manifest, and `--exclude` globs.
import { expect } from 'chai';
import { InputError, parseManifests, readManifestText } from '../../src/catalog/files.ts';
import { isExcluded } from '../../src/cli/walk.ts';

describe('readManifestText', () => {
  it('reads every document, skips what is not a Kubernetes object and reports what is broken, with lines', () => {
    const text = [
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}',
      'services:\n  web: {image: x}',
      '- just\n- a list',
      'plain scalar',
      'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n  - 3',
      'a: *undefined-anchor',
      'apiVersion: v1\nkind: Secret\nmetadata: {name: c}',
    ].join('\n---\n');
    const r = readManifestText(text, 'f.yaml');
    expect(r.documents.map((d) => [d.source, d.line, (d.object['metadata'] as { name: string }).name])).to.deep.equal([
      ['f.yaml#1', 1, 'a'],
      // A List item's own line, not the List's (13): each item is its own result.
      ['f.yaml#5.items[0]', 16, 'b'],
      ['f.yaml#7', 21, 'c'],
    ]);
    expect(r.skipped).to.deep.equal([
      { file: 'f.yaml', line: 5, reason: 'has no apiVersion/kind: not a Kubernetes object' },
      { file: 'f.yaml', line: 8, reason: 'is a list: not a Kubernetes object' },
      { file: 'f.yaml', line: 11, reason: 'is a scalar: not a Kubernetes object' },
    ]);
    expect(r.errors).to.have.length(1);
    expect(r.errors[0]).to.include({ file: 'f.yaml', line: 19 });
    expect(r.errors[0]!.reason).to.match(/^cannot be read: Unresolved alias/);
  });

  it('turns the YAML library warnings into notices, never process warnings', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    try {
      const r = readManifestText('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  ? {x: 1}\n  : y\n  k: !custom v\n', 'f.yaml');
      // process warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(r.documents).to.have.length(1);
      expect(r.notices.map((n) => [n.line, n.code])).to.deep.equal([[7, 'TAG_RESOLVE_FAILED'], [5, 'COLLECTION_KEY']]);
    } finally {
      process.off('warning', listen);
    }
    expect(warnings.map((w) => w.message)).to.deep.equal([]);
  });

  it('reads a duplicate key with the last value and says so; the strict reader (--declarations, mutate) refuses it', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: first}\ndata: {k: last}\n';
    const r = readManifestText(text, 'f.yaml');
    expect((r.documents[0]!.object['data'] as { k: string }).k).to.equal('last');
    expect(r.notices).to.deep.equal([{ file: 'f.yaml', line: 5, reason: 'duplicate key "data": the last value is read', code: 'DUPLICATE_KEY' }]);
    expect(() => parseManifests(text, 'f.yaml')).to.throw(InputError, /^f\.yaml:5: not valid YAML: duplicate key "data"/);
    expect(() => parseManifests('services: {}\n', 'c.yaml')).to.throw(InputError, /^c\.yaml:1: has no apiVersion\/kind/);
  });
});

describe('--exclude globs', () => {
  const table: [string, string[], boolean][] = [
    ['deploy/a.json', ['*.json'], true],
    ['a/b/fixtures', ['fixtures'], true],
    ['a/b/fixtures-old', ['fixtures'], false],
    ['deploy/legacy', ['deploy/legacy'], true],
    ['deploy/legacy/x.yaml', ['deploy/legacy/**'], true],
    ['other/deploy/legacy/x.yaml', ['deploy/legacy/**'], false],
    ['other/deploy/legacy/x.yaml', ['**/legacy/*.yaml'], true],
    ['deploy/x.yaml', ['deploy/*.{yml,json}'], false],
    ['deploy/x.json', ['deploy/*.{yml,json}'], true],
    ['.github/workflows/ci.yml', ['*.yml'], true],
    // As in the shells' globs and Node's: * and ** do not match a leading dot unless written.
    ['.github/workflows/ci.yml', ['**/*.yml'], false],
    ['.github/workflows/ci.yml', ['.github/**'], true],
  ];
  for (const [path, patterns, excluded] of table) {
    it(`${patterns.join(' ')} ${excluded ? 'excludes' : 'keeps'} ${path}`, () => expect(isExcluded(path, patterns)).to.equal(excluded));
  }
});
