// `npx extguard` and `./bin/extguard.js` on a machine whose own Node is older than 24: the
// project brings Node 24 as a devDependency, so the older Node only has to start the launcher.
// npm installs the project into its npx cache the first time (keyed by the project's path) and
// checks `engines` against the Node running npm there: a fresh npm cache is that first time.

import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, sep } from 'node:path';
import { root } from '../helpers/process.ts';

const GOOD = ['check', '--declarations', 'examples/catalog.yaml', 'examples/workloads/good.yaml'];

/** A `node` on PATH outside any node_modules whose major version is below 24, if there is one. */
function olderNode(): { node: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.split(sep).includes('node_modules')) continue;
    const node = join(dir, 'node');
    try { accessSync(node, constants.X_OK); } catch { continue; }
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (Number(/^v(\d+)/.exec(version)?.[1] ?? 99) < 24) return { node, version };
  }
  return undefined;
}

/** The environment a user's shell has: the older Node first, no npm script variables or .bin dirs. */
function userEnv(node: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'EXTGUARD_REEXEC') env[k] = v;
  const path = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.split(sep).includes('node_modules'));
  env.PATH = [dirname(node), ...path].join(delimiter);
  return { ...env, ...extra };
}

describe('extguard started by an older system Node', function () {
  this.timeout(120_000);
  const older = olderNode();
  let tmp: string;
  before(function () {
    if (!older) {
      console.log('    (skipped: no node older than 24 on PATH outside node_modules; nothing to check)');
      this.skip();
    }
    tmp = mkdtempSync(join(tmpdir(), 'extguard-npx-'));
  });
  after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

  it('`npx extguard check` prints its result and no npm engine warning, first run included', () => {
    // Looked up on the PATH below, where the older Node comes first; npx runs on that Node.
    const npx = 'npx';
    const r = spawnSync(npx, ['extguard', ...GOOD], {
      cwd: root,
      encoding: 'utf8',
      // A fresh npm cache: npm installs the project into it (where it used to warn EBADENGINE twice).
      env: userEnv(older!.node, { npm_config_cache: join(tmp, 'npm-cache'), npm_config_update_notifier: 'false' }),
    });
    expect(r.error, `${npx}: ${r.error?.message}`).to.equal(undefined);
    expect(r.stderr, `stderr under ${older!.version}`).not.to.match(/EBADENGINE|Unsupported engine/);
    expect(r.stderr).not.to.match(/npm warn/i);
    expect(r.stdout).to.contain('1 would be mutated');
    expect(r.status, r.stderr).to.equal(0);
  });

  it('`./bin/extguard.js` run by the older Node runs the CLI under the bundled Node 24', () => {
    const r = spawnSync(older!.node, [join(root, 'bin', 'extguard.js'), ...GOOD], { cwd: root, encoding: 'utf8', env: userEnv(older!.node) });
    const direct = spawnSync(process.execPath, [join(root, 'bin', 'extguard.js'), ...GOOD], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(direct.stdout);
    expect(r.stderr).to.equal('');
  });

  it('`serve` under the relaunch stops cleanly on SIGTERM, passed on to the Node 24 process', async () => {
    const child = spawn(older!.node, [join(root, 'bin', 'extguard.js'), 'serve', '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1'], {
      // The development certificate is written under the working directory.
      cwd: tmp, env: userEnv(older!.node), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout!.on('data', (c: Buffer) => { logs += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { logs += c.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!/"metricsPort":\d+/.test(logs) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(logs).to.match(/"metricsPort":\d+/);
    child.kill('SIGTERM');
    expect(await exited, logs).to.equal(0);
    expect(logs).to.contain('in-flight requests finished');
  });

  it('says what to do when there is no bundled Node 24 beside the launcher', () => {
    const bin = join(tmp, 'lone', 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync(join(root, 'bin', 'extguard.js'), join(bin, 'extguard.js'));
    const r = spawnSync(older!.node, [join(bin, 'extguard.js'), 'check', '-'], { encoding: 'utf8', input: '', env: userEnv(older!.node) });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('extguard needs Node.js 24 or newer').and.to.contain(older!.version).and.to.contain('npm ci');
    expect(r.stdout).to.equal('');
  });
});
