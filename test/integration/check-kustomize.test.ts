// Issue 24: a kustomize tree (test/fixtures/kustomize: a base, and a prod overlay with patch
// files). Walking it, `check` judges the resources where they are and skips the patch files
// with the command that renders the overlay; a patch is never judged as a whole object in
// `default`. Rendered with kubectl kustomize (the e2e suite's kubectl, when built), the overlay
// is judged as the cluster would get it.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { e2eCacheDir } from '../helpers/go.ts';
import { bin, root } from '../helpers/process.ts';

const fixture = join(root, 'test', 'fixtures', 'kustomize');
const check = (args: string[], input?: string) => {
  const r = spawnSync(process.execPath, [bin, 'check', '--format', 'json', ...args], { cwd: fixture, encoding: 'utf8', input, timeout: 60000 });
  return { code: r.status, stderr: r.stderr, report: JSON.parse(r.stdout) };
};

describe('extguard check on a kustomize overlay (built binary)', function () {
  this.timeout(120000);

  it('judges resources as files, skips the patch files with the kubectl kustomize hint, never a patch as default/…', () => {
    const { code, stderr, report } = check(['.']);
    expect(code, stderr).to.equal(1);
    expect(report.results.map((r: any) => `${r.kind} ${r.namespace}/${r.name} ${r.allowed} ${r.file}`)).to.deep.equal([
      'Deployment shop/web true base/deployment.yaml',
      'Job shop/worker false overlays/prod/worker.yaml',
    ]);
    const hint = (dir: string) => `judge the rendered overlay (kubectl kustomize ${dir} | extguard check -)`;
    expect(report.skipped.map((s: any) => s.file)).to.deep.equal(['overlays/prod/patches/env.yaml', 'overlays/prod/patches/replicas.json', 'overlays/prod/resources.yaml']);
    for (const s of report.skipped) expect(s.reason).to.contain(hint('overlays/prod'));
    expect(report.notices.map((n: any) => [n.file, n.code])).to.deep.equal([['base/kustomization.yaml', 'KUSTOMIZE'], ['overlays/prod/kustomization.yaml', 'KUSTOMIZE']]);
  });

  it('the overlay rendered by kubectl kustomize: the patched objects judged in their namespace', function () {
    const kubectl = join(e2eCacheDir(), 'bin', 'kubectl');
    if (!existsSync(kubectl)) {
      if (process.env['CI'] === 'true') throw new Error(`${kubectl} not built (test/e2e/controlplane/build.sh); CI=true, so this cannot be skipped`);
      this.skip();
    }
    const rendered = spawnSync(kubectl, ['kustomize', 'overlays/prod'], { cwd: fixture, encoding: 'utf8' });
    expect(rendered.status, rendered.stderr).to.equal(0);
    const { code, report } = check(['-'], rendered.stdout);
    expect(code).to.equal(1);
    expect(report.results.map((r: any) => `${r.kind} ${r.namespace}/${r.name} ${r.allowed}`)).to.deep.equal(['Deployment shop/web true', 'Job shop/worker false']);
  });
});
