// The Dockerfile and `npm run image` describe one image. The runtime settings come from
// tools/image/config.json (what ocibuild writes into the OCI config); the Dockerfile cannot read
// that file, so this test parses the Dockerfile and holds it to it. The file list is equal by
// construction: the Dockerfile's build stage runs the assembly command build.ts runs, word for
// word, and its final stage is exactly the unpacked result.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchPackages } from '../../tools/image/debian.ts';
import { parseDocument } from 'yaml';
import { ASSEMBLE_ARGS, ROOT, ROOTFS_DIR, ROOTFS_TAR, imageConfig, packageVersion, type ImageConfig } from '../../tools/image/steps.ts';

interface Stage { from: string; name?: string; lines: Array<{ op: string; rest: string }> }

/** Dockerfile instructions by stage, continuation lines joined, comments dropped. */
function stages(dockerfile: string): Stage[] {
  const out: Stage[] = [];
  const lines = dockerfile.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter(Boolean);
  for (const line of lines) {
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op || rest === undefined) throw new Error(`unparsed Dockerfile line: ${line}`);
    if (op.toUpperCase() === 'FROM') {
      const [from, as, name] = rest.split(/\s+/);
      out.push({ from: from!, ...(as?.toUpperCase() === 'AS' ? { name: name! } : {}), lines: [] });
    } else {
      out.at(-1)!.lines.push({ op: op.toUpperCase(), rest });
    }
  }
  return out;
}

/** The OCI config a Dockerfile stage produces, for the instructions a scratch stage can hold. */
function configOf(stage: Stage): ImageConfig & { copies: string[] } {
  const c: ImageConfig & { copies: string[] } = { entrypoint: [], cmd: [], user: '', env: [], workingDir: '', exposedPorts: [], labels: {}, copies: [] };
  for (const { op, rest } of stage.lines) {
    switch (op) {
      case 'COPY': c.copies.push(rest); break;
      case 'USER': c.user = rest; break;
      case 'ENV': {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(rest);
        if (!m) throw new Error(`ENV this test reads one KEY=value at a time: ${rest}`);
        c.env.push(`${m[1]}=${m[2]}`);
        break;
      }
      case 'WORKDIR': c.workingDir = rest; break;
      case 'EXPOSE': c.exposedPorts.push(...rest.split(/\s+/).map((p) => (p.includes('/') ? p : `${p}/tcp`))); break;
      case 'LABEL': for (const m of rest.matchAll(/([\w.-]+)="([^"]*)"/g)) c.labels[m[1]!] = m[2]!; break;
      case 'ENTRYPOINT': c.entrypoint = JSON.parse(rest); break;
      case 'CMD': c.cmd = JSON.parse(rest); break;
      default: throw new Error(`final stage instruction with no counterpart in tools/image/config.json: ${op} ${rest}`);
    }
  }
  return c;
}

describe('container image: Dockerfile and npm run image', () => {
  const all = stages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const final = all.at(-1)!;
  const build = all.find((s) => s.name === 'rootfs');
  const config = imageConfig();
  const version = packageVersion();

  it('final stage: FROM scratch with the settings of tools/image/config.json', () => {
    expect(final.from).to.equal('scratch');
    const { copies: _copies, ...fromDockerfile } = configOf(final);
    const expected = { ...config, labels: Object.fromEntries(Object.entries(config.labels).map(([k, v]) => [k, v.replace('${version}', version)])) };
    expect(fromDockerfile).to.deep.equal(expected);
  });

  it('the image runs as nonroot 65532, the user the Deployment sets', () => {
    expect(config.user).to.equal('65532:65532');
    const deployment = parseDocument(readFileSync(join(ROOT, 'manifests/base/deployment.yaml'), 'utf8')).toJS();
    expect(deployment.spec.template.spec.securityContext.runAsUser).to.equal(65532);
  });

  it("the default command reads the certificate where the manifests mount it", () => {
    const deployment = parseDocument(readFileSync(join(ROOT, 'manifests/base/deployment.yaml'), 'utf8')).toJS();
    const container = deployment.spec.template.spec.containers[0];
    const tlsMount = container.volumeMounts.find((m: { name: string }) => m.name === 'tls').mountPath;
    expect(config.cmd[0]).to.equal('serve');
    for (const flag of config.cmd.slice(1)) {
      expect(container.args, 'the Deployment passes the same flag').to.include(flag);
      expect(flag.split('=')[1]!.startsWith(`${tlsMount}/`), flag).to.equal(true);
    }
  });

  it('the build stage runs the assembly command of npm run image, word for word, and the final stage is its output', () => {
    expect(build, 'a build stage named rootfs').to.not.equal(undefined);
    expect(build!.from).to.match(/^node:24-bookworm$/);
    const commands = build!.lines.filter((l) => l.op === 'RUN').flatMap((l) => l.rest.split('&&').map((c) => c.trim()));
    expect(commands).to.include(`node ${ASSEMBLE_ARGS.join(' ')}`);
    expect(commands).to.include(`mkdir /rootfs /homes`);
    expect(commands).to.include(`tar -xpf ${ROOTFS_DIR}/${ROOTFS_TAR} --numeric-owner -C /rootfs`);
    expect(commands).to.include('mv /rootfs/home/nonroot /homes/nonroot');
    const [uid, gid] = config.user.split(':');
    expect(configOf(final).copies).to.deep.equal(['--from=rootfs /rootfs/ /', `--from=rootfs --chown=${uid}:${gid} /homes/ /home/`]);
  });

  it('the Docker build context holds no local build output', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const dir of ['build', 'node_modules', 'dist']) expect(ignored).to.include(dir);
  });

  it('a locked Debian version the archive no longer serves fails with how to refresh the lock, and unpacks nothing', function () {
    // apt resolves pkg=version against its local lists: no download is attempted for a version they lack.
    if (spawnSync('apt-get', ['--version']).status !== 0) this.skip();
    const cache = mkdtempSync(join(tmpdir(), 'extguard-image-lock-'));
    try {
      const gone = { suite: 'bookworm', packages: [{ name: 'libc6', version: '2.36-9+deb12u0gone', architecture: 'amd64', sha256: '0'.repeat(64), filename: 'pool/main/g/glibc/libc6_2.36-9+deb12u0gone_amd64.deb' }] };
      expect(() => fetchPackages(gone, cache)).to.throw(/apt-get download libc6=2\.36-9\+deb12u0gone failed[\s\S]*point release[\s\S]*npm run image -- --update-lock/);
      expect(readdirSync(join(cache, 'debs'))).to.deep.equal([]);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('the Debian lock pins every package the root filesystem needs, by version and sha256', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'tools/image/debian-packages.lock.json'), 'utf8')) as { suite: string; packages: Array<{ name: string; version: string; sha256: string }> };
    expect(lock.suite).to.equal('bookworm');
    expect(lock.packages.map((p) => p.name)).to.include.members(['libc6', 'libgcc-s1', 'libstdc++6', 'ca-certificates']);
    for (const p of lock.packages) {
      expect(p.version, p.name).to.match(/^\S+$/);
      expect(p.sha256, p.name).to.match(/^[0-9a-f]{64}$/);
    }
    expect(existsSync(join(ROOT, 'tools/image/ocibuild/go.sum'))).to.equal(true);
  });
});
