// Issue 24: the GitHub Action (action.yml) and the GitLab CI template
// (ci/gitlab/extguard.gitlab-ci.yml) run their shell steps as the CI services would, on a
// fixture repository, with the variables those services set. The "pinned ref" is this
// checkout's HEAD, cloned locally; `npm ci` runs with npm's offline switch from the cache the
// checkout's own `npm ci` filled, so nothing here needs the network. Steps that `uses:` another
// action (setup-node, upload-sarif) are not run: Node 24 is put first on PATH as setup-node
// would, and the upload's condition is evaluated.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, sep } from 'node:path';
import { parse } from 'yaml';
import { BAD_LINE, FIXTURE_FILES, PLANTED, fixtureRepo, git } from '../helpers/ci-fixture.ts';
import { root } from '../helpers/process.ts';

type Json = Record<string, unknown>;

/** The environment of a CI job: no npm-script variables, Node 24 first on PATH, npm offline. */
function jobEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'EXTGUARD_REEXEC') env[k] = v;
  const path = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.split(sep).includes('node_modules'));
  env.PATH = [dirname(process.execPath), ...path].join(delimiter);
  return { ...env, npm_config_offline: 'true', npm_config_update_notifier: 'false', CI: 'true', ...extra };
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): { status: number | null; out: string } {
  // GitHub runs `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`; GitLab's runner
  // also stops at the first failing command.
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The checkout's HEAD cloned to a fresh directory: what GitHub puts in $GITHUB_ACTION_PATH. */
function cloneHead(into: string): string {
  git(tmpdir(), 'clone', '--quiet', '--no-checkout', root, into);
  git(into, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', git(root, 'rev-parse', 'HEAD'));
  return into;
}

function sarifOf(file: string): { results: Json[]; uris: string[]; text: string } {
  const text = readFileSync(file, 'utf8');
  const log = JSON.parse(text) as { runs: { results: Json[] }[] };
  const results = log.runs[0]!.results;
  const uris = results.map((r) => ((r['locations'] as Json[])[0]!['physicalLocation'] as { artifactLocation: { uri: string } }).artifactLocation.uri);
  return { results, uris, text };
}

describe('CI templates run as a script on a fixture repository (issue 24)', function () {
  this.timeout(600_000);
  const temps: string[] = [];
  const temp = (prefix: string): string => { const d = mkdtempSync(join(tmpdir(), prefix)); temps.push(d); return d; };
  after(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });

  before(function () {
    // The clone runs what is committed; a test of uncommitted templates would test nothing.
    const dirty = git(root, 'status', '--porcelain', '--', 'action.yml', 'ci/', 'bin/', 'src/', 'package.json', 'package-lock.json');
    if (dirty) throw new Error(`commit these first, the clone runs HEAD:\n${dirty}`);
  });

  describe('GitHub: action.yml', () => {
    const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }>; runs: { using: string; steps: Json[] } };
    let actionPath: string;
    let installed = false;

    /** Runs every step as a composite action does; returns the step outputs and the last exit. */
    function runAction(workspace: string, inputs: Record<string, string>): { outputs: Record<string, Record<string, string>>; status: number | null; log: string; uploadRuns: boolean; ranInstall: boolean } {
      const values: Record<string, string> = {};
      for (const [name, spec] of Object.entries(action.inputs)) values[name] = inputs[name] ?? spec.default ?? '';
      const outputs: Record<string, Record<string, string>> = {};
      const expr = (e: string): string => {
        const [scope, a, b, c] = e.trim().split('.');
        if (scope === 'inputs' && a! in values) return values[a!]!;
        if (scope === 'github' && a === 'action_path' && b === undefined) return actionPath;
        if (scope === 'steps' && b === 'outputs' && c) return outputs[a!]?.[c] ?? '';
        throw new Error(`the test does not know the expression ${e}`);
      };
      const resolve = (s: string): string => s.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => expr(e));
      // The two conditions action.yml uses: `X == 'v'` joined by &&.
      const condition = (s: string): boolean => s.replace(/^\$\{\{|\}\}$/g, '').split('&&').every((part) => {
        const m = /^\s*([\w.-]+)\s*==\s*'([^']*)'\s*$/.exec(part);
        if (!m) throw new Error(`the test does not know the condition ${part}`);
        return expr(m[1]!) === m[2];
      });
      let status: number | null = 0;
      let log = '';
      let uploadRuns = false;
      let ranInstall = false;
      for (const step of action.runs.steps) {
        if (step['if'] !== undefined && !condition(String(step['if']))) continue;
        if (typeof step['uses'] === 'string') {
          if (step['uses'].startsWith('github/codeql-action/upload-sarif@')) {
            uploadRuns = true;
            expect(resolve(String((step['with'] as Json)['sarif_file']))).to.equal(values['sarif-file']);
          }
          continue;
        }
        const outFile = join(temp('extguard-gh-output-'), 'output');
        writeFileSync(outFile, '');
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries((step['env'] ?? {}) as Record<string, string>)) env[k] = resolve(String(v));
        const cwd = step['working-directory'] ? resolve(String(step['working-directory'])) : workspace;
        if (cwd === actionPath) {
          // GitHub installs in every job; here one install serves every run (npm ci takes a minute).
          if (installed) continue;
          installed = ranInstall = true;
        }
        const r = bash(String(step['run']), cwd, jobEnv({ ...env, GITHUB_ACTION_PATH: actionPath, GITHUB_WORKSPACE: workspace, GITHUB_OUTPUT: outFile }));
        log += r.out;
        if (typeof step['id'] === 'string') {
          outputs[step['id']] = Object.fromEntries(readFileSync(outFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
        }
        status = r.status;
        if (status !== 0) break;
      }
      return { outputs, status, log, uploadRuns, ranInstall };
    }

    before(function () {
      actionPath = cloneHead(join(temp('extguard-gh-action-'), 'extguard'));
    });

    it('is a composite action whose run steps take inputs from env, never spliced into the script', () => {
      expect(action.runs.using).to.equal('composite');
      for (const step of action.runs.steps) {
        if (typeof step['run'] === 'string') expect(step['run'], String(step['name'])).not.to.contain('${{');
      }
    });

    it('a repository with a plaintext credential: exit 1 after installing, SARIF on the line, upload before the failure', () => {
      const repo = fixtureRepo();
      temps.push(repo);
      const r = runAction(repo, {});
      expect(r.ranInstall, 'npm ci ran in the action path').to.equal(true);
      expect(r.outputs['check']?.['exit-code'], r.log).to.equal('1');
      expect(r.uploadRuns, 'the SARIF upload runs before the failing step').to.equal(true);
      expect(r.status, 'the job fails').to.equal(1);
      expect(r.log).to.match(/::error::extguard check exited 1 \(denied/);
      const sarif = sarifOf(join(repo, 'extguard.sarif'));
      expect(sarif.uris).to.deep.equal(['deploy/bad.yaml']);
      expect(sarif.results[0]!['ruleId']).to.equal('plaintext-credential');
      const region = ((sarif.results[0]!['locations'] as Json[])[0]!['physicalLocation'] as { region: { startLine: number } }).region;
      expect(region.startLine).to.equal(BAD_LINE);
      expect(sarif.text + r.log).not.to.contain(PLANTED);
      expect(existsSync(join(repo, 'node_modules')), 'nothing installed into the user\'s repository').to.equal(false);
    });

    it('good manifests and a workflow YAML: exit 0; fail-on never lets a denial pass; a bad fail-on is refused', () => {
      const repo = fixtureRepo();
      temps.push(repo);
      const good = runAction(repo, { paths: 'deploy/good.yaml\n.github\n' });
      expect(good.outputs['check']?.['exit-code'], good.log).to.equal('0');
      expect(good.status).to.equal(0);
      expect(sarifOf(join(repo, 'extguard.sarif')).results).to.deep.equal([]);

      const lenient = runAction(repo, { 'fail-on': 'never', 'sarif-file': 'x.sarif' });
      expect(lenient.outputs['check']?.['exit-code']).to.equal('1');
      expect(lenient.status).to.equal(0);
      expect(lenient.log).to.contain('::warning::extguard check exited 1');
      expect(sarifOf(join(repo, 'x.sarif')).uris).to.deep.equal(['deploy/bad.yaml']);

      const wrong = runAction(repo, { 'fail-on': 'sometimes' });
      expect(wrong.status).to.equal(2);
      expect(wrong.log).to.contain('fail-on must be denied, unusable or never');
      expect(wrong.uploadRuns).to.equal(false);
    });
  });

  describe('GitLab: ci/gitlab/extguard.gitlab-ci.yml', () => {
    const template = parse(readFileSync(join(root, 'ci/gitlab/extguard.gitlab-ci.yml'), 'utf8')) as Record<string, Json>;
    const job = template['extguard']!;
    const lines = (key: string): string => (job[key] as string[]).join('\n');
    const variables = job['variables'] as Record<string, string>;
    const head = git(root, 'rev-parse', 'HEAD');

    function gitlabEnv(repo: string, tmp: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
      return jobEnv({ ...variables, CI_PROJECT_DIR: repo, CI_SERVER_HOST: 'gitlab.invalid', TMPDIR: tmp, EXTGUARD_REPOSITORY: root, EXTGUARD_REF: head, ...extra });
    }

    it('before_script + script: clones the pinned ref, exit 1 with SARIF and Code Quality artifacts; script alone on good manifests: exit 0', () => {
      const repo = fixtureRepo();
      const tmp = temp('extguard-gl-tmp-');
      temps.push(repo);
      const r = bash(`${lines('before_script')}\n${lines('script')}`, repo, gitlabEnv(repo, tmp));
      expect(r.status, r.out).to.equal(1);
      expect(r.out).to.contain('extguard: denied');
      const artifacts = job['artifacts'] as { when: string; paths: string[]; reports: { codequality: string } };
      expect(artifacts.when).to.equal('always');
      for (const file of [...artifacts.paths, artifacts.reports.codequality]) expect(existsSync(join(repo, file)), file).to.equal(true);
      expect(sarifOf(join(repo, 'extguard.sarif')).uris).to.deep.equal(['deploy/bad.yaml']);
      const quality = JSON.parse(readFileSync(join(repo, artifacts.reports.codequality), 'utf8')) as Json[];
      expect(quality).to.have.length(1);
      expect(quality[0]).to.deep.include({ check_name: 'plaintext-credential', severity: 'critical', location: { path: 'deploy/bad.yaml', lines: { begin: BAD_LINE } } });
      expect(quality[0]!['fingerprint']).to.match(/^[0-9a-f]{64}$/);
      expect(readFileSync(join(repo, artifacts.reports.codequality), 'utf8') + r.out).not.to.contain(PLANTED);

      // The clone the before_script made (under TMPDIR), at the pinned commit.
      const homes = readdirSync(tmp).map((d) => join(tmp, d, 'extguard')).filter((d) => existsSync(d));
      expect(homes).to.have.length(1);
      const home = homes[0]!;
      expect(git(home, 'rev-parse', 'HEAD')).to.equal(head);
      const goodRepo = fixtureRepo({ 'deploy/good.yaml': FIXTURE_FILES['deploy/good.yaml']!, '.github/workflows/ci.yaml': FIXTURE_FILES['.github/workflows/ci.yaml']! });
      temps.push(goodRepo);
      const good = bash(lines('script'), goodRepo, gitlabEnv(goodRepo, tmp, { EXTGUARD_HOME: home }));
      expect(good.status, good.out).to.equal(0);
      expect(JSON.parse(readFileSync(join(goodRepo, 'gl-code-quality-report.json'), 'utf8'))).to.deep.equal([]);
      const lenient = bash(lines('script'), repo, gitlabEnv(repo, tmp, { EXTGUARD_HOME: home, EXTGUARD_FAIL_ON: 'unusable' }));
      expect(lenient.status, lenient.out).to.equal(0);
    });

    it('refuses a ref that is not a full commit SHA before cloning anything', () => {
      const repo = fixtureRepo();
      const tmp = temp('extguard-gl-tmp-');
      temps.push(repo);
      for (const ref of ['main', head.slice(0, 12), '']) {
        const r = bash(lines('before_script'), repo, gitlabEnv(repo, tmp, { EXTGUARD_REF: ref }));
        expect(r.status, ref).to.equal(2);
        expect(r.out).to.contain('EXTGUARD_REF must be a full commit SHA');
      }
      expect(readdirSync(tmp)).to.deep.equal([]);
    });
  });
});
