// The container image, without a container engine (none on this machine): the Dockerfile's
// runtime stage is laid out in a temp dir from its own COPY lines, with node_modules from a
// production-only install of the lockfile (what the build stage's `npm prune --omit=dev`
// leaves), and its ENTRYPOINT runs there with the Deployment's args. This catches a runtime
// import of a devDependency, a file the image forgets to copy, and an entrypoint or args
// that do not start the server.

import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { bin, root } from '../helpers/process.ts';

interface RuntimeStage { base: string; workdir: string; copies: Array<{ from?: string; src: string; dest: string }>; entrypoint: string[]; cmd: string[]; user?: string; env: Record<string, string> }

/** The last stage of a Dockerfile, for the instructions this project's Dockerfile uses. */
function runtimeStage(dockerfile: string): RuntimeStage {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const last = lines.map((l, i) => (/^FROM\b/i.test(l) ? i : -1)).filter((i) => i >= 0).pop()!;
  const stage: RuntimeStage = { base: lines[last]!.split(/\s+/)[1]!, workdir: '/', copies: [], entrypoint: [], cmd: [], env: {} };
  for (const line of lines.slice(last + 1)) {
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line)!;
    switch (op!.toUpperCase()) {
      case 'WORKDIR': stage.workdir = rest!; break;
      case 'USER': stage.user = rest!; break;
      case 'ENV': { const [k, v] = rest!.split('='); stage.env[k!] = v!; break; }
      case 'ENTRYPOINT': stage.entrypoint = JSON.parse(rest!); break;
      case 'CMD': stage.cmd = JSON.parse(rest!); break;
      case 'COPY': {
        const parts = rest!.split(/\s+/);
        const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
        stage.copies.push({ ...(from ? { from } : {}), src: parts[0]!, dest: parts[1]! });
        break;
      }
      case 'EXPOSE': break;
      default: throw new Error(`runtime stage instruction this test does not emulate: ${line}`);
    }
  }
  return stage;
}

describe('container image (Dockerfile runtime stage, emulated)', function () {
  this.timeout(120_000);
  const stage = runtimeStage(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  let app: string;
  let prodModules: string;
  before(() => {
    const dir = mkdtempSync(join(tmpdir(), 'extguard-image-'));
    app = join(dir, 'app');
    // The build stage's tree: this checkout after `npm run build`, with production dependencies only.
    prodModules = join(dir, 'prod');
    cpSync(join(root, 'package.json'), join(prodModules, 'package.json'));
    cpSync(join(root, 'package-lock.json'), join(prodModules, 'package-lock.json'));
    const ci = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: prodModules, encoding: 'utf8' });
    expect(ci.status, ci.stderr).to.equal(0);
    for (const c of stage.copies) {
      // The build stage works in /src; its node_modules is the production-only install.
      const inBuild = c.src.replace(/^\/src\/?/, '');
      const source = !c.from ? join(root, c.src) : inBuild === 'node_modules' ? join(prodModules, 'node_modules') : join(root, inBuild);
      const dest = join(app, c.dest);
      // Docker: a file copied to a path ending in / lands inside it under its own name.
      cpSync(source, statSync(source).isFile() && /\/$|^\.$/.test(c.dest) ? join(dest, c.src.split('/').pop()!) : dest, { recursive: true });
    }
  });
  after(() => rmSync(join(app, '..'), { recursive: true, force: true }));

  it('runs as a non-root user on Node 24, without devDependencies', () => {
    expect(stage.user).to.match(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(stage.base).to.match(/^node:24(-[\w.-]+)?$/);
    // Packages the lockfile marks dev-only (typescript, mocha, the `node` toolchain...) are absent.
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    const devOnly = Object.entries<{ dev?: boolean }>(lock.packages).filter(([path, p]) => path && p.dev).map(([path]) => path);
    expect(devOnly).to.include.members(['node_modules/typescript', 'node_modules/mocha', 'node_modules/node']);
    expect(devOnly.filter((path) => existsSync(join(app, path)))).to.deep.equal([]);
    expect(existsSync(join(app, 'node_modules', 'express'))).to.equal(true);
  });

  it("starts with the Deployment's args and serves /healthz over HTTPS", async () => {
    const deployment = parseDocument(readFileSync(join(root, 'manifests/base/deployment.yaml'), 'utf8')).toJS();
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    const certs = join(app, '..', 'tls');
    const made = spawnSync(process.execPath, [bin, 'certs', '--out-dir', certs, '--dns-name', 'localhost', '--ip', '127.0.0.1'], { encoding: 'utf8' });
    expect(made.status, made.stderr).to.equal(0);
    const config = join(app, '..', 'config.yaml');
    cpSync(join(root, 'examples', 'config.yaml'), config);
    const local = args.map((a) => a.replace('=/etc/extguard/tls/', `=${certs}/`).replace('=/etc/extguard/config/config.yaml', `=${config}`))
      .concat(['--port=0', '--metrics-port=0', '--bind-address=127.0.0.1', '--declarations', join(root, 'examples', 'catalog.yaml')]);
    const [command, ...entryArgs] = stage.entrypoint;
    expect(command).to.equal('node');
    const entry = entryArgs.map((a) => a.replace(new RegExp(`^${stage.workdir}/`), `${app}/`));
    const child = spawn(process.execPath, [...entry, ...local], { cwd: app, env: { PATH: process.env['PATH'] ?? '', ...stage.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    child.stdout.on('data', (c: Buffer) => { logs += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { logs += c.toString(); });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', () => { const m = /"port":(\d+)/.exec(logs); if (m) resolve(Number(m[1])); });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${logs}`)));
      });
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', ca: readFileSync(join(certs, 'ca.crt')), servername: 'localhost' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on('error', reject);
        req.end();
      });
      expect(status).to.equal(200);
      expect(stage.cmd, 'CMD, replaced by the Deployment args').to.deep.equal(['serve']);
      expect(args[0]).to.equal('serve');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
