// The container image `npm run image` builds, proven without a container engine (none runs
// here): the OCI archive is read the way a runtime reads it (oci-layout, index.json, manifest,
// config, layers, every blob checked against its digest and the layer against its diff_id), the
// layer is unpacked by GNU tar into a temp root filesystem, and the image's own config (Entrypoint,
// Cmd, User, Env, WorkingDir) is run in new mount, PID and network namespaces: the root bound
// read-only, /proc, a tmpfs /tmp and the few /dev nodes a runtime gives, certificates bound
// read-only at /etc/extguard/tls as the kubelet mounts the Secret (files 0644), then
// `unshare --root --wd --setgid --setuid` (chroot, working dir and the image's user in one exec,
// since the image has no setpriv to run after a chroot). Needs root, as a container runtime does.
//
// The build is reused when its inputs are unchanged (build/image/.stamp).

import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { listLine } from '../../tools/image/assemble.ts';
import { buildImage, defaultName, describe as describeLayout, sourceDateEpoch, writeImage, type Built } from '../../tools/image/build.ts';
import { ROOT, ROOTFS_DIR, ROOTFS_LIST, ROOTFS_TAR } from '../../tools/image/steps.ts';
import { treeOrder } from '../../tools/image/tar.ts';
import { FAKE_PASSWORD } from '../helpers/objects.ts';
import { bin } from '../helpers/process.ts';

interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }
interface OciConfig {
  created: string;
  architecture: string;
  os: string;
  config: { User: string; Env: string[]; Entrypoint: string[]; Cmd: string[]; WorkingDir: string; ExposedPorts: Record<string, object>; Labels: Record<string, string> };
  rootfs: { type: string; diff_ids: string[] };
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A blob of the layout, refused unless its size and sha256 are the descriptor's. */
function blob(layout: string, d: Descriptor): Buffer {
  const [algorithm, hex] = d.digest.split(':');
  expect(algorithm, d.digest).to.equal('sha256');
  const data = readFileSync(join(layout, 'blobs', 'sha256', hex!));
  expect(data.length, `size of ${d.digest}`).to.equal(d.size);
  expect(`sha256:${createHash('sha256').update(data).digest('hex')}`, `content of ${d.digest}`).to.equal(d.digest);
  return data;
}

/** rootfs.files.txt's lines for an unpacked tree, from lstat: what the kernel sees. */
function listTree(dir: string): { lines: string; mtimes: Set<number> } {
  const entries: Array<{ path: string; line: string }> = [];
  const mtimes = new Set<number>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, path));
      mtimes.add(Math.floor(st.mtimeMs / 1000));
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      const link = st.isSymbolicLink() ? readlinkSync(join(dir, path)) : undefined;
      entries.push({ path, line: listLine({ path, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: st.isFile() ? st.size : 0, ...(link !== undefined ? { link } : {}) }) });
      if (st.isDirectory()) walk(path);
    }
  };
  walk('');
  entries.sort((a, b) => treeOrder(a.path, b.path));
  return { lines: entries.map((e) => e.line).join(''), mtimes };
}

/**
 * Inside the new namespaces: what a runtime sets up before it starts the entrypoint. $1 is the
 * root filesystem, then host/target pairs to bind read-only, `--`, and the command.
 */
const RUNTIME_SCRIPT = `set -eu
R="$1"; shift
mount --bind "$R" "$R"
mount -o remount,ro,bind "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o nosuid,mode=755 tmpfs "$R/dev"
for d in null zero random urandom; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
while [ "$1" != "--" ]; do mount --bind "$1" "$R$2"; mount -o remount,ro,bind "$R$2"; shift 2; done
shift
ip link set lo up
exec "$@"
`;

/** Mount points the runtime creates in the root before it is made read-only (runc does the same). */
const MOUNT_POINTS = ['proc', 'dev', 'tmp', 'etc/extguard/tls', 'work'];

interface Container { child: ChildProcess; output(): string; exited: Promise<number | null>; pid(): number }

describe('container image (npm run image), read and run as a runtime would', function () {
  this.timeout(600_000);
  let built: Built;
  let work: string;
  let rootfs: string;
  let config: OciConfig;
  let certs: string;
  let client: string;
  const running: ChildProcess[] = [];

  before(function () {
    if (process.getuid?.() !== 0) {
      // Mount namespaces, chroot and setuid need root, as a container runtime does.
      if (process.env['CI'] === 'true') throw new Error('the image e2e test needs root (unshare --mount, chroot, setuid)');
      this.skip();
    }
    built = buildImage();
    work = mkdtempSync(join(tmpdir(), 'extguard-image-e2e-'));
    rootfs = join(work, 'rootfs');
    mkdirSync(rootfs);
  });
  after(() => {
    for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the OCI archive reads as a runtime reads it: index, manifest, config and layer, digests verified', () => {
    const layout = join(work, 'oci');
    mkdirSync(layout);
    const untar = spawnSync('tar', ['-xf', built.archive, '-C', layout], { encoding: 'utf8' });
    expect(untar.status, untar.stderr).to.equal(0);
    expect(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8'))).to.deep.equal({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { schemaVersion: number; manifests: Descriptor[] };
    expect(index.schemaVersion).to.equal(2);
    expect(index.manifests).to.have.length(1);
    const [desc] = index.manifests;
    expect(desc!.mediaType).to.equal(OCI_MANIFEST);
    expect(desc!.digest).to.equal(built.digest);
    expect(desc!.annotations).to.deep.equal({ 'org.opencontainers.image.ref.name': defaultName().split(':').pop(), 'io.containerd.image.name': defaultName() });

    const manifest = JSON.parse(blob(layout, desc!).toString()) as { schemaVersion: number; mediaType: string; config: Descriptor; layers: Descriptor[] };
    expect(manifest.mediaType).to.equal(OCI_MANIFEST);
    expect(manifest.config.mediaType).to.equal(OCI_CONFIG);
    config = JSON.parse(blob(layout, manifest.config).toString()) as OciConfig;
    expect(config).to.include({ architecture: 'amd64', os: 'linux' });
    expect(config.rootfs.type).to.equal('layers');
    expect(manifest.layers.length).to.equal(config.rootfs.diff_ids.length);

    manifest.layers.forEach((layer, i) => {
      expect(layer.mediaType).to.equal(OCI_LAYER_GZIP);
      const compressed = blob(layout, layer);
      // diff_id: the digest of the uncompressed tar, what the runtime checks after unpacking.
      expect(`sha256:${createHash('sha256').update(gunzipSync(compressed)).digest('hex')}`, `diff_id of layer ${i}`).to.equal(config.rootfs.diff_ids[i]);
      const file = join(work, `layer-${i}.tar.gz`);
      writeFileSync(file, compressed);
      const x = spawnSync('tar', ['-xzpf', file, '--numeric-owner', '-C', rootfs], { encoding: 'utf8' });
      expect(x.status, x.stderr).to.equal(0);
      rmSync(file);
    });

    // The archive doubles as a docker-archive (Docker before 25 loads manifest.json).
    const docker = JSON.parse(readFileSync(join(layout, 'manifest.json'), 'utf8')) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    expect(docker).to.deep.equal([{ Config: `blobs/sha256/${manifest.config.digest.split(':')[1]}`, RepoTags: [defaultName()], Layers: manifest.layers.map((l) => `blobs/sha256/${l.digest.split(':')[1]}`) }]);
  });

  it('the unpacked layer is the file list the assembly recorded: owners, modes, sizes, links, one fixed mtime', () => {
    expect(config, 'the archive was read').to.not.equal(undefined);
    const { lines, mtimes } = listTree(rootfs);
    expect(lines).to.equal(readFileSync(join(ROOT, ROOTFS_DIR, ROOTFS_LIST), 'utf8'));
    expect([...mtimes]).to.deep.equal([Math.floor(Date.parse(config.created) / 1000)]);
    // What a distroless image holds, and what it does not.
    expect(lines).to.contain('dir 1777 0:0 0 /tmp\n');
    expect(lines).to.contain('dir 0755 65532:65532 0 /home/nonroot\n');
    expect(lines).to.match(/^file 0755 0:0 \d+ \/usr\/local\/bin\/node$/m);
    expect(lines).to.match(/^file 0644 0:0 \d+ \/etc\/ssl\/certs\/ca-certificates\.crt$/m);
    expect(lines).to.match(/^file 0644 0:0 \d+ \/usr\/share\/doc\/libc6\/copyright$/m);
    expect(lines).not.to.match(/ \/(usr\/)?s?bin\/| \/usr\/share\/(man|locale)\/| \/app\/node_modules\/(typescript|mocha|node)\//);
    expect(readFileSync(join(rootfs, 'etc/passwd'), 'utf8')).to.match(/^nonroot:x:65532:65532:/m);
  });

  it("the config is the image's: nonroot user, node entrypoint, a default command that serves the mounted certificate", () => {
    expect(config, 'the archive was read').to.not.equal(undefined);
    expect(config.config).to.deep.include({
      User: '65532:65532',
      Entrypoint: ['/usr/local/bin/node', '/app/bin/extguard.js'],
      Cmd: ['serve', '--tls-cert=/etc/extguard/tls/tls.crt', '--tls-key=/etc/extguard/tls/tls.key'],
      WorkingDir: '/app',
      ExposedPorts: { '8443/tcp': {}, '9090/tcp': {} },
    });
    expect(config.config.Env).to.include('NODE_ENV=production');
  });

  /** The image's Entrypoint with `args` (default: its Cmd), as its User, in new namespaces. */
  function run(args: string[] | undefined, mounts: Array<[string, string]>): Container {
    const c = config.config;
    for (const dir of MOUNT_POINTS) mkdirSync(join(rootfs, dir), { recursive: true });
    const [uid, gid] = c.User.split(':');
    expect(`${uid}:${gid}`, 'a numeric user: nothing in the image resolves names').to.match(/^\d+:\d+$/);
    const command = ['env', '-i', ...c.Env, 'unshare', `--root=${rootfs}`, `--wd=${c.WorkingDir}`, `--setgid=${gid}`, `--setuid=${uid}`, '--', ...c.Entrypoint, ...(args ?? c.Cmd)];
    const child = spawn('unshare', ['--mount', '--pid', '--net', '--fork', '--kill-child', '--propagation', 'private', 'sh', '-c', RUNTIME_SCRIPT, 'sh', rootfs, ...mounts.flat(), '--', ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let output = '';
    child.stdout!.on('data', (b: Buffer) => { output += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { output += b.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // unshare's forked child becomes the entrypoint through exec: the container's PID 1.
    const pid = (): number => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    return { child, output: () => output, exited, pid };
  }

  /**
   * `docker stop`: SIGTERM to the container's PID 1 (unshare --fork ignores SIGTERM itself), and
   * SIGKILL to unshare after 10 s, which --kill-child passes on.
   */
  async function stop(c: Container): Promise<void> {
    try { process.kill(c.pid(), 'SIGTERM'); } catch { /* already gone */ }
    const timer = setTimeout(() => c.child.kill('SIGKILL'), 10_000);
    const code = await c.exited;
    clearTimeout(timer);
    expect(code, `the server shuts down on SIGTERM: ${c.output()}`).to.equal(0);
  }

  /** An HTTPS request from inside the container's network namespace (nsenter), as its probes do. */
  function request(pid: number, path: string, body?: string): { status: number; body: string } {
    const r = spawnSync('nsenter', ['--target', String(pid), '--net', '--', process.execPath, client, path, join(certs, 'ca.crt'), body ?? ''], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) return { status: 0, body: r.stderr };
    return JSON.parse(r.stdout) as { status: number; body: string };
  }

  it('the default command serves /readyz over HTTPS on a read-only root as uid 65532, with the certificate mounted', async () => {
    expect(config, 'the archive was read').to.not.equal(undefined);
    const made = join(work, 'made');
    const mk = spawnSync(process.execPath, [bin, 'certs', '--out-dir', made, '--dns-name', 'localhost', '--ip', '127.0.0.1'], { encoding: 'utf8' });
    expect(mk.status, mk.stderr).to.equal(0);
    // As the kubelet mounts a Secret: root-owned files, 0644 (the Secret volume's default mode).
    certs = join(work, 'tls');
    mkdirSync(certs);
    for (const f of ['ca.crt', 'tls.crt', 'tls.key']) { copyFileSync(join(made, f), join(certs, f)); chmodSync(join(certs, f), 0o644); }
    client = join(work, 'client.mjs');
    writeFileSync(client, `import { request } from 'node:https';
import { readFileSync } from 'node:fs';
const [path, ca, body] = process.argv.slice(2);
const req = request({ host: '127.0.0.1', port: 8443, path, method: body ? 'POST' : 'GET', ca: readFileSync(ca), servername: 'localhost', headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
  let t = ''; res.on('data', (c) => { t += c; }); res.on('end', () => { process.stdout.write(JSON.stringify({ status: res.statusCode, body: t })); });
});
req.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
req.end(body || undefined);
`);

    const container = run(undefined, [[certs, '/etc/extguard/tls']]);
    try {
      let ready = { status: 0, body: '' };
      const deadline = Date.now() + 60_000;
      let exited = false;
      void container.exited.then(() => { exited = true; });
      while (ready.status !== 200 && !exited && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 300));
        try { ready = request(container.pid(), '/readyz'); } catch { /* not started yet */ }
      }
      expect(ready, container.output()).to.deep.equal({ status: 200, body: 'ok' });

      const pid = container.pid();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(/^Uid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/)).to.deep.equal(['65532', '65532', '65532', '65532']);
      expect(/^Gid:\s+(.*)$/m.exec(status)![1]!.split(/\s+/)).to.deep.equal(['65532', '65532', '65532', '65532']);
      expect(/^Groups:(.*)$/m.exec(status)![1]!.trim(), 'no supplementary groups (root\'s 0 dropped)').to.equal('');
      expect(readlinkSync(`/proc/${pid}/exe`)).to.equal(join(rootfs, 'usr/local/bin/node'));
      // The root it runs on is read-only: the mount at / in its own view.
      const rootMount = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
      expect(rootMount?.split(' ')[5]?.split(','), rootMount).to.include('ro');

      // And it judges: a plaintext credential is denied (built-in defaults: enforce).
      const review = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'image-1', operation: 'CREATE', namespace: 'shop', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', env: [{ name: 'API_TOKEN', value: FAKE_PASSWORD }] }] } } } });
      const denied = request(pid, '/validate', review);
      expect(denied.status, denied.body).to.equal(200);
      expect(JSON.parse(denied.body).response).to.include({ uid: 'image-1', allowed: false });
      expect(container.output()).not.to.contain(FAKE_PASSWORD);
    } finally {
      await stop(container);
    }
  });

  it('the default command without a mounted certificate exits 2 naming the flags and the mount, not EACCES', async () => {
    expect(config, 'the archive was read').to.not.equal(undefined);
    const container = run(undefined, []);
    expect(await container.exited, container.output()).to.equal(2);
    expect(container.output()).to.contain('cannot read TLS certificate /etc/extguard/tls/tls.crt: ENOENT');
    expect(container.output()).to.contain('mount a kubernetes.io/tls Secret where they point');
    expect(container.output()).not.to.contain('permission denied');
  });

  it('a bare `serve` (no certificate flags) on the read-only root says what to pass, not EACCES or EROFS from mkdir', async () => {
    expect(config, 'the archive was read').to.not.equal(undefined);
    const container = run(['serve'], []);
    expect(await container.exited, container.output()).to.equal(2);
    expect(container.output()).to.match(/the development certificate cannot be written to \/app\/certs \((EROFS|EACCES)\)/);
    expect(container.output()).not.to.match(/: (EROFS|EACCES): .*mkdir/);
  });

  it('`check` judges a mounted manifest: exit 1 on a plaintext credential (not echoed), 0 on a clean one', async () => {
    expect(config, 'the archive was read').to.not.equal(undefined);
    const examples = join(ROOT, 'examples');
    const bad = run(['check', '--declarations', '/work/catalog.yaml', '/work/workloads/bad.yaml'], [[examples, '/work']]);
    expect(await bad.exited, bad.output()).to.equal(1);
    expect(bad.output()).to.match(/^DENIED  Deployment shop\/reports/m);
    expect(bad.output()).to.contain('plaintext-credential');
    expect(bad.output()).not.to.contain('hunter2');
    const good = run(['check', '--declarations', '/work/catalog.yaml', '/work/workloads/good.yaml'], [[examples, '/work']]);
    expect(await good.exited, good.output()).to.equal(0);
  });

  it('building again from the same inputs gives the same image digest', () => {
    expect(built, 'built').to.not.equal(undefined);
    const again = join(work, 'again');
    const epoch = sourceDateEpoch();
    const assemble = spawnSync(process.execPath, ['tools/image/assemble.ts', '--out', `${ROOTFS_DIR}-again`], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: epoch } });
    expect(assemble.status, assemble.stderr).to.equal(0);
    try {
      const tar = join(ROOT, `${ROOTFS_DIR}-again`, ROOTFS_TAR);
      expect(createHash('sha256').update(readFileSync(tar)).digest('hex')).to.equal(createHash('sha256').update(readFileSync(join(ROOT, ROOTFS_DIR, ROOTFS_TAR))).digest('hex'));
      writeImage(tar, { layout: `${again}.oci`, archive: `${again}.oci.tar` }, defaultName(), epoch);
      expect(describeLayout(`${again}.oci`).digest).to.equal(built.digest);
    } finally {
      rmSync(join(ROOT, `${ROOTFS_DIR}-again`), { recursive: true, force: true });
    }
  });
});
