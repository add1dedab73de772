// `npm run test:e2e`: builds (or reuses) the e2e control plane binaries, then runs mocha on
// test/e2e/**/*.test.ts against a real etcd + kube-apiserver (see test/e2e/cluster.ts).
//
// Without a Go toolchain the e2e suite is skipped (exit 0) on a developer machine, but
// fails (exit 1) when CI=true: a skipped e2e must not look green in CI.
// Extra arguments are passed to mocha, e.g. `npm run test:e2e -- --grep namespace`.
//
// Env: EXTGUARD_E2E_CACHE (build cache, default ~/.cache/extguard-e2e),
//      EXTGUARD_E2E_BIN (use these binaries, skip the build), EXTGUARD_E2E_KEEP=1 (keep workDir),
//      EXTGUARD_E2E_HELM (use this helm binary, skip test/e2e/helm/build.sh),
//      the `env` of each test/e2e/modules/*.json (a local copy of that module's CRD dir),
//      EXTGUARD_E2E_VERBOSE=1 (print control plane start time and workDir).

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadModule, e2eCacheDir, findGo } from '../helpers/go.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const isCI = process.env.CI === 'true';

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
  binDir = path.join(e2eCacheDir(), 'bin');
}

// helm for test/e2e/helm.test.ts, built from its Go module (test/e2e/helm/go.mod) into the same
// cache dir; EXTGUARD_E2E_HELM (a helm binary) skips the build.
const helmEnv = {};
if (!process.env.EXTGUARD_E2E_HELM && findGo()) {
  const build = spawnSync('bash', [path.join(here, 'helm', 'build.sh')], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) {
    console.error(`e2e: FAILED — building helm (test/e2e/helm/build.sh) exited ${build.status ?? build.signal}`);
    process.exit(1);
  }
  helmEnv.EXTGUARD_E2E_HELM = path.join(e2eCacheDir(), 'bin', 'helm');
}

// vap-status (kube-controller-manager's ValidatingAdmissionPolicy status controller alone, from
// the control plane's go.mod): the native policy tests read status.typeChecking, which only it
// writes. Built here, before any test file, so none of them can find it missing.
if (findGo() && !process.env.EXTGUARD_E2E_BIN) {
  const build = spawnSync('bash', [path.join(here, 'controlplane', 'build-vap-status.sh')], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) {
    console.error(`e2e: FAILED — building vap-status (test/e2e/controlplane/build-vap-status.sh) exited ${build.status ?? build.signal}`);
    process.exit(1);
  }
}

// Third-party CRDs the e2e suite applies (cert-manager's, policy reports, Cilium, Istio,
// prometheus-operator...), each from its project's Go module through the Go module proxy,
// pinned by version and module hash: one file per module in test/e2e/modules/*.json with
// { module, version, sum, subdir, env }. The directory <module>/<subdir> is handed to the tests
// in the env variable `env`; a variable already set (a local copy) is used as is.
const go = findGo();
const moduleEnv = {};
const modulesDir = path.join(here, 'modules');
for (const file of readdirSync(modulesDir).filter((f) => f.endsWith('.json')).sort()) {
  const pin = JSON.parse(readFileSync(path.join(modulesDir, file), 'utf8'));
  if (process.env[pin.env]) continue;
  if (!go) continue; // no Go: skip() above already ended a run that needed it
  const got = downloadModule(go, pin);
  if ('error' in got) {
    console.error(`e2e: FAILED — ${got.error} (test/e2e/modules/${file})`);
    process.exit(1);
  }
  moduleEnv[pin.env] = path.join(got.dir, pin.subdir ?? '');
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
  env: { ...process.env, EXTGUARD_E2E_BIN: binDir, ...helmEnv, ...moduleEnv },
});
if (res.error) {
  console.error(`e2e: could not run mocha: ${res.error.message}`);
  process.exit(1);
}
process.exit(res.status ?? 1);
