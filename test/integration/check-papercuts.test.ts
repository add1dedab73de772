// Issue 24 papercuts: what `check` says about an exempt namespace, and `--cluster` (and
// `egress`) without any kubeconfig.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin } from '../helpers/process.ts';

describe('check papercuts (built binary)', function () {
  this.timeout(60000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'extguard-papercuts-')); });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30000, env });

  it('an exempt Namespace, and a workload in it, say exempt rather than mode enforce', () => {
    const file = join(dir, 'exempt.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\nspec:\n  containers: [{name: a, image: x}]\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
    const text = run(['check', file]);
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/^OK      Namespace kube-system\/kube-system \(exempt\) in /m);
    expect(text.stdout).to.match(/^OK      Pod kube-system\/p \(exempt\) in /m);
    expect(text.stdout).to.match(/^OK      Namespace shop\/shop \(mode enforce\) in /m);
    const json = JSON.parse(run(['check', '--format', 'json', file]).stdout);
    expect(json.results.map((r: any) => `${r.name} ${r.exempt ?? false}`)).to.deep.equal(['kube-system true', 'p true', 'shop false']);
  });

  it('--cluster without any kubeconfig says none was found and where it looked, not localhost:8080', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, KUBECONFIG: '' };
    delete env['KUBERNETES_SERVICE_HOST'];
    for (const args of [['check', '--cluster'], ['egress', '--format', 'cilium']]) {
      const r = run(args, env);
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr).to.equal(`extguard: no kubeconfig found: looked at $KUBECONFIG (unset), ${join(dir, '.kube', 'config')} (not found), the in-cluster service account (not running in a Pod); give --kubeconfig FILE\n`);
      expect(r.stderr).to.not.contain('localhost:8080');
    }
  });
});
