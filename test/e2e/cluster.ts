// A real, throwaway Kubernetes control plane (etcd + kube-apiserver, no controllers, no
// nodes) for extguard's end-to-end tests. Binaries come from test/e2e/controlplane/build.sh
// (env EXTGUARD_E2E_BIN, default ${EXTGUARD_E2E_CACHE:-~/.cache/extguard-e2e}/bin).
//
// - PKI is minted per run with src/tls/pki.ts: a CA, the apiserver serving cert
//   (127.0.0.1, localhost, kubernetes.default.svc...), an admin client cert (O=system:masters)
//   and an ECDSA service-account signing key.
// - etcd listens on plain http, loopback only (nothing else on the machine is trusted less
//   than the test itself, and it keeps etcd's start fast).
// - kube-apiserver: RBAC, ServiceAccount admission disabled (no controller-manager creates
//   the `default` ServiceAccount), webhooks enabled as in any cluster, Service-backed
//   webhooks called at their EndpointSlice address (--enable-aggregator-routing).
// - Logs go to <workDir>/etcd.log and <workDir>/kube-apiserver.log. The workDir (a fresh temp
//   dir unless one is passed) is removed by stop(); set EXTGUARD_E2E_KEEP=1 to keep it.
// - Clean-up on crash: exit/signal handlers kill the children, and a tiny detached watchdog
//   kills them if this Node process dies without running its handlers (SIGKILL, OOM).
//
// Share one control plane between test files through test/e2e/hooks.ts.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { createCA, createKeyPair, issueCert } from '../../src/tls/pki.ts';
import { e2eCacheDir } from '../helpers/go.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  /** kubeconfig with the admin (system:masters) client certificate. */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  binDir: string;
  workDir: string;
  /** kube-apiserver audit log (JSON lines, Metadata level): carries webhook audit annotations. */
  auditLogPath: string;
  /** PEM of the cluster CA (signs the apiserver serving cert and the admin client cert). */
  caCertPem: string;
  /** Admin client credentials, for talking to the apiserver without kubectl. */
  adminCertPem: string;
  adminKeyPem: string;
  /** Runs kubectl against this cluster. Never throws on a non-zero exit: check `code`. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /**
   * Stops kube-apiserver alone (etcd keeps running) with `signal` (SIGTERM: its graceful
   * shutdown; SIGKILL: a crash) and resolves once the process has exited. For fault tests.
   */
  stopApiserver(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /**
   * Starts kube-apiserver again after stopApiserver(): same etcd, port, certificates and
   * flags, plus `extraArgs` for this run only. Resolves once its /readyz answers 200.
   */
  startApiserver(opts?: { readyTimeoutMs?: number; extraArgs?: string[] }): Promise<void>;
  /** Kills etcd and kube-apiserver (SIGTERM, then SIGKILL) and removes the workDir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Directory for PKI, etcd data, kubeconfig and logs. Default: a fresh dir under os.tmpdir(),
   * removed by stop(). A directory passed here is left in place (its etcd data is reset at start).
   */
  workDir?: string;
  /** Where kube-apiserver, etcd and kubectl live. Default: env EXTGUARD_E2E_BIN, then the build cache. */
  binDir?: string;
  /** How long to wait for /readyz and the `default` namespace. Default 120 s. */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags (`--name=value`), appended last. */
  apiserverArgs?: string[];
}

export function defaultBinDir(): string {
  if (process.env.EXTGUARD_E2E_BIN) return process.env.EXTGUARD_E2E_BIN;
  return path.join(e2eCacheDir(), 'bin');
}

const LOOPBACK = '127.0.0.1';

export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const started = Date.now();
  const binDir = opts.binDir ?? defaultBinDir();
  for (const b of ['etcd', 'kube-apiserver', 'kubectl']) {
    if (!existsSync(path.join(binDir, b))) {
      throw new Error(`e2e: ${path.join(binDir, b)} not found; build it with test/e2e/controlplane/build.sh (or set EXTGUARD_E2E_BIN)`);
    }
  }
  const ownWorkDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? (await mkdtemp(path.join(os.tmpdir(), 'extguard-e2e-')));
  mkdirSync(workDir, { recursive: true });
  rmSync(path.join(workDir, 'etcd-data'), { recursive: true, force: true });
  const pkiDir = path.join(workDir, 'pki');
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });

  const cleanup = registerCleanup(ownWorkDir && !keepWorkDir() ? workDir : undefined);

  try {
    // ---- PKI ----
    const ca = await createCA('extguard-e2e-ca', { days: 2 });
    const serving = await issueCert(ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ipAddresses: [LOOPBACK, '10.0.0.1'],
      usage: 'server',
      days: 2,
    });
    const admin = await issueCert(ca, { commonName: 'extguard-e2e-admin', organization: ['system:masters'], usage: 'client', days: 2 });
    const sa = await createKeyPair();
    const f = (name: string) => path.join(pkiDir, name);
    await Promise.all([
      writeFile(f('ca.crt'), ca.certPem),
      writeFile(f('apiserver.crt'), serving.certPem),
      writeFile(f('apiserver.key'), serving.keyPem, { mode: 0o600 }),
      writeFile(f('admin.crt'), admin.certPem),
      writeFile(f('admin.key'), admin.keyPem, { mode: 0o600 }),
      writeFile(f('sa.key'), sa.privateKeyPem, { mode: 0o600 }),
      writeFile(f('sa.pub'), sa.publicKeyPem),
    ]);

    // ---- etcd ----
    const totalMs = opts.readyTimeoutMs ?? 120_000;
    const deadline = { until: started + totalMs, totalMs };
    const [etcdClientPort, etcdPeerPort, apiPort] = await freePorts(3);
    const etcdUrl = `http://${LOOPBACK}:${etcdClientPort}`;
    const peerUrl = `http://${LOOPBACK}:${etcdPeerPort}`;
    const etcdLog = path.join(workDir, 'etcd.log');
    const etcd = launch(path.join(binDir, 'etcd'), [
      '--name=e2e',
      `--data-dir=${path.join(workDir, 'etcd-data')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=e2e=${peerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync=true', // throwaway data: skip fsync, much faster on slow disks
      '--log-level=warn',
    ], etcdLog, workDir);
    cleanup.track(etcd);
    await waitFor('etcd /health', deadline, [etcd], etcdLog, async () => {
      const res = await request(`${etcdUrl}/health`, {});
      return res.status === 200 && /"health":\s*"true"/.test(res.body);
    });

    // ---- kube-apiserver ----
    const apiLog = path.join(workDir, 'kube-apiserver.log');
    const server = `https://${LOOPBACK}:${apiPort}`;
    // Audit log at Metadata level: where webhook auditAnnotations land, so tests can read them.
    const auditLogPath = path.join(workDir, 'audit.log');
    const auditPolicy = path.join(workDir, 'audit-policy.yaml');
    await writeFile(auditPolicy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n');
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--bind-address=${LOOPBACK}`,
      `--advertise-address=${LOOPBACK}`,
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(workDir, 'apiserver-certs')}`,
      `--tls-cert-file=${f('apiserver.crt')}`,
      `--tls-private-key-file=${f('apiserver.key')}`,
      `--client-ca-file=${f('ca.crt')}`,
      `--service-account-key-file=${f('sa.pub')}`,
      `--service-account-signing-key-file=${f('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      '--disable-admission-plugins=ServiceAccount',
      // The `kubernetes` Endpoints may not point at loopback; nothing in-cluster needs it here.
      '--endpoint-reconciler-type=none',
      // Call webhooks behind a Service at the Service's endpoint, not its ClusterIP: no
      // kube-proxy runs here, and the e2e suite reaches the shipped Service that way.
      '--enable-aggregator-routing=true',
      '--profiling=false',
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${auditLogPath}`,
      '--audit-log-mode=blocking',
      '--v=1',
      ...(opts.apiserverArgs ?? []),
    ];
    let apiserver = launch(path.join(binDir, 'kube-apiserver'), apiserverArgs, apiLog, workDir);
    cleanup.track(apiserver);

    const tlsOpts: https.RequestOptions = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };
    await waitFor('kube-apiserver /readyz', deadline, [etcd, apiserver], apiLog, async () => {
      const res = await request(`${server}/readyz`, tlsOpts);
      return res.status === 200;
    });
    await waitFor('the `default` namespace', deadline, [etcd, apiserver], apiLog, async () => {
      const res = await request(`${server}/api/v1/namespaces/default`, tlsOpts);
      return res.status === 200;
    });

    // ---- kubeconfig ----
    const kubeconfigPath = path.join(workDir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig(server, ca.certPem, admin.certPem, admin.keyPem), { mode: 0o600 });
    const kubectlEnv = {
      ...process.env,
      KUBECONFIG: kubeconfigPath,
      KUBECACHEDIR: path.join(workDir, 'kube-cache'),
      KUBERC: 'off', // ignore the developer's ~/.kube/kuberc
    };

    let stopped: Promise<void> | undefined;
    const cp: ControlPlane = {
      kubeconfigPath,
      server,
      binDir,
      workDir,
      auditLogPath,
      caCertPem: ca.certPem,
      adminCertPem: admin.certPem,
      adminKeyPem: admin.keyPem,
      kubectl: (args, kopts = {}) =>
        run(path.join(binDir, 'kubectl'), ['--kubeconfig', kubeconfigPath, ...args], kubectlEnv, kopts.input, kopts.timeoutMs ?? 60_000),
      async stopApiserver(signal) {
        if (apiserver.exitCode !== null || apiserver.signalCode !== null) throw new Error('e2e: kube-apiserver is not running');
        const exited = once(apiserver, 'exit');
        apiserver.kill(signal);
        await exited;
      },
      async startApiserver(sopts = {}) {
        if (apiserver.exitCode === null && apiserver.signalCode === null) throw new Error('e2e: kube-apiserver is still running');
        const totalMs = sopts.readyTimeoutMs ?? 60_000;
        apiserver = launch(path.join(binDir, 'kube-apiserver'), [...apiserverArgs, ...(sopts.extraArgs ?? [])], apiLog, workDir);
        cleanup.track(apiserver);
        await waitFor('kube-apiserver /readyz after a restart', { until: Date.now() + totalMs, totalMs }, [etcd, apiserver], apiLog, async () => {
          const res = await request(`${server}/readyz`, tlsOpts);
          return res.status === 200;
        });
      },
      stop: () => (stopped ??= cleanup.stop()),
    };
    if (process.env.EXTGUARD_E2E_VERBOSE) {
      console.error(`e2e: control plane up in ${Date.now() - started} ms at ${server} (workDir ${workDir})`);
    }
    return cp;
  } catch (err) {
    await cleanup.stop();
    throw err;
  }
}

function keepWorkDir(): boolean {
  return process.env.EXTGUARD_E2E_KEEP === '1' || process.env.EXTGUARD_E2E_KEEP === 'true';
}

/** Spawns a daemon with stdout+stderr appended to `logFile`. */
function launch(bin: string, args: string[], logFile: string, cwd: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', fd, fd], env: { ...process.env, KUBECONFIG: '' } });
    child.on('error', () => {}); // surfaced through exitCode / waitFor
    // Do not keep the event loop alive for the daemons: a run that never calls stop() (a
    // single file run without hooks.ts) still ends, and the 'exit' handler kills them.
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `probe` until it returns true, a process dies, or the absolute deadline `until` passes. */
async function waitFor(
  what: string,
  deadline: { until: number; totalMs: number },
  procs: ChildProcess[],
  logFile: string,
  probe: () => Promise<boolean>,
): Promise<void> {
  const { until, totalMs: timeoutMs } = deadline;
  let lastErr = '';
  for (;;) {
    const dead = procs.find((p) => p.exitCode !== null || p.signalCode !== null);
    if (dead) {
      throw new Error(
        `e2e: ${path.basename(String(dead.spawnfile))} exited (${dead.exitCode ?? dead.signalCode}) while waiting for ${what}; ` +
          `tail of ${logFile}:\n${tail(logFile)}`,
      );
    }
    try {
      if (await probe()) return;
      lastErr = 'not ready';
    } catch (e) {
      lastErr = (e as Error).message;
    }
    if (Date.now() > until) {
      throw new Error(`e2e: control plane not ready within ${timeoutMs} ms: still waiting for ${what} (last: ${lastErr}); tail of ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(250);
  }
}

function request(url: string, tlsOpts: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ...tlsOpts, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

/** Picks `n` distinct free loopback ports (bind to port 0, read it, close). */
async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      s.listen(0, LOOPBACK);
      await once(s, 'listening');
      servers.push(s);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function kubeconfig(server: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: e2e',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caPem)}`,
    'users:',
    '- name: e2e-admin',
    '  user:',
    `    client-certificate-data: ${b64(certPem)}`,
    `    client-key-data: ${b64(keyPem)}`,
    'contexts:',
    '- name: e2e',
    '  context:',
    '    cluster: e2e',
    '    user: e2e-admin',
    '    namespace: default',
    'current-context: e2e',
    '',
  ].join('\n');
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv, input: string | undefined, timeoutMs: number): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      stderr += `\n(e2e: kubectl killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {}); // kubectl may exit before reading all input
    child.stdin.end(input ?? '');
  });
}

// ---- clean-up: explicit stop(), process exit/signals, and a watchdog for hard deaths ----

const WATCHDOG = `
const [ppid, dir, ...pids] = process.argv.slice(1);
const alive = (p) => { try { process.kill(Number(p), 0); return true; } catch { return false; } };
const t = setInterval(() => {
  const live = pids.filter(alive);
  if (live.length === 0) process.exit(0);
  if (!alive(ppid)) {
    for (const p of live) { try { process.kill(Number(p), 'SIGKILL'); } catch {} }
    if (dir) { try { require('fs').rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }
}, 1000);
`;

function registerCleanup(removeDir: string | undefined): { track(p: ChildProcess): void; stop(): Promise<void> } {
  const procs: ChildProcess[] = [];
  let watchdog: ChildProcess | undefined;

  const killAllSync = () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    watchdog?.kill('SIGKILL');
    if (removeDir) rmSync(removeDir, { recursive: true, force: true });
  };
  const onExit = () => killAllSync();
  const onSignal = (sig: NodeJS.Signals) => {
    killAllSync();
    detach();
    // Re-raise so the process ends the way it would have without us.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const detach = () => {
    process.off('exit', onExit);
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
  };
  process.on('exit', onExit);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  return {
    track(p: ChildProcess) {
      procs.push(p);
      // (Re)start the watchdog so it knows every pid.
      watchdog?.kill('SIGKILL');
      const pids = procs.map((c) => c.pid).filter((pid): pid is number => typeof pid === 'number');
      watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), removeDir ?? '', ...pids.map(String)], {
        detached: true,
        stdio: 'ignore',
      });
      watchdog.unref();
    },
    async stop() {
      // apiserver first (it is the etcd client), then etcd.
      for (const p of [...procs].reverse()) await terminate(p, 5000);
      watchdog?.kill('SIGKILL');
      detach();
      if (removeDir) rmSync(removeDir, { recursive: true, force: true });
    },
  };
}

async function terminate(p: ChildProcess, graceMs: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = once(p, 'exit');
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
