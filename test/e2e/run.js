// `npm run test:e2e`: builds (or reuses) the e2e control plane binaries, then runs mocha on
// test/e2e/**/*.test.ts against a real etcd + kube-apiserver (see test/e2e/cluster.ts).
//
// Without a Go toolchain the e2e suite is skipped (exit 0) on a developer machine, but
// fails (exit 1) when CI=true: a skipped e2e must not look green in CI.
// Extra arguments are passed to mocha, e.g. `npm run test:e2e -- --grep namespace`.
//
// Env: EXTGUARD_E2E_CACHE (build cache, default ~/.cache/extguard-e2e),
//      EXTGUARD_E2E_BIN (use these binaries, skip the build), EXTGUARD_E2E_KEEP=1 (keep workDir),
//      EXTGUARD_E2E_CERT_MANAGER_CRDS (a dir of cert-manager CRD YAML; default: from its Go module),
//      EXTGUARD_E2E_VERBOSE=1 (print control plane start time and workDir).

import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const isCI = process.env.CI === 'true';

// `go` on PATH, else Go's standard install location (where the Go machine image puts it).
function findGo() {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/go/bin']) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, 'go'), constants.X_OK);
      return path.join(dir, 'go');
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function skip(reason) {
  if (isCI) {
    console.error(`e2e: FAILED — ${reason}; CI=true, so a skipped e2e suite fails the run.`);
    process.exit(1);
  }
  console.log(`e2e: SKIPPED — ${reason}. Install Go >= 1.26 to run the e2e suite.`);
  process.exit(0);
}

let binDir = process.env.EXTGUARD_E2E_BIN;
if (!binDir) {
  if (!findGo()) skip('Go toolchain not found on PATH (needed to build kube-apiserver, etcd and kubectl)');
  const build = spawnSync('bash', [path.join(here, 'controlplane', 'build.sh')], { stdio: 'inherit', cwd: root });
  if (build.status === 3) skip('Go toolchain not found (build.sh)');
  if (build.status !== 0) {
    console.error(`e2e: FAILED — building the control plane (test/e2e/controlplane/build.sh) exited ${build.status ?? build.signal}`);
    process.exit(1);
  }
  const cache = process.env.EXTGUARD_E2E_CACHE || path.join(os.homedir(), '.cache', 'extguard-e2e');
  binDir = path.join(cache, 'bin');
}

// cert-manager's CRDs, so the cert-manager variant's Issuers and Certificates are checked
// against their real schemas. They come from cert-manager's Go module (deploy/crds), through
// the Go module proxy like the control plane, pinned by version and module hash.
const CERT_MANAGER = { module: 'github.com/cert-manager/cert-manager', version: 'v1.21.2', sum: 'h1:UWgoYM+KLNtRlqmoWOKjKBOBUPVHeepQ6/ac3ERJW68=' };
let certManagerCrds = process.env.EXTGUARD_E2E_CERT_MANAGER_CRDS;
const go = findGo();
if (!certManagerCrds && go) {
  const dl = spawnSync(go, ['mod', 'download', '-json', `${CERT_MANAGER.module}@${CERT_MANAGER.version}`], {
    cwd: os.tmpdir(), encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '' },
  });
  const info = dl.status === 0 ? JSON.parse(dl.stdout) : undefined;
  if (!info || info.Sum !== CERT_MANAGER.sum) {
    console.error(`e2e: FAILED — go mod download ${CERT_MANAGER.module}@${CERT_MANAGER.version}: ${info ? `sum ${info.Sum}, expected ${CERT_MANAGER.sum}` : dl.stderr}`);
    process.exit(1);
  }
  certManagerCrds = path.join(info.Dir, 'deploy', 'crds');
}

// Run mocha's own JS entry with this Node (24), not whatever `node` is first on PATH.
const require = createRequire(import.meta.url);
const mochaPkgPath = require.resolve('mocha/package.json', { paths: [root] });
const mochaPkg = JSON.parse(readFileSync(mochaPkgPath, 'utf8'));
const mochaBin = path.join(path.dirname(mochaPkgPath), typeof mochaPkg.bin === 'string' ? mochaPkg.bin : mochaPkg.bin.mocha);

const args = [
  mochaBin,
  '--timeout', '120000',
  '--slow', '5000',
  '--require', 'test/e2e/hooks.ts',
  ...process.argv.slice(2),
  'test/e2e/**/*.test.ts',
];
const res = spawnSync(process.execPath, args, {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, EXTGUARD_E2E_BIN: binDir, ...(certManagerCrds ? { EXTGUARD_E2E_CERT_MANAGER_CRDS: certManagerCrds } : {}) },
});
if (res.error) {
  console.error(`e2e: could not run mocha: ${res.error.message}`);
  process.exit(1);
}
process.exit(res.status ?? 1);
