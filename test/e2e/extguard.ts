// Runs the built `extguard serve` against the e2e control plane (real informers through the
// kubeconfig) and registers it with the API server by URL, the way a real install would by
// Service.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateSet, writeCertificateSet } from '../../src/tls/files.ts';
import type { ControlPlane } from './cluster.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningExtguard {
  port: number;
  caPem: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function startExtguard(cp: ControlPlane, config: string): Promise<RunningExtguard> {
  const dir = mkdtempSync(join(tmpdir(), 'extguard-e2e-'));
  const set = await createCertificateSet({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const files = writeCertificateSet(join(dir, 'certs'), set);
  writeFileSync(join(dir, 'config.yaml'), config);
  const child: ChildProcess = spawn(process.execPath, [
    join(root, 'bin', 'extguard.js'), 'serve',
    '--kubeconfig', cp.kubeconfigPath,
    '--tls-cert', files.certFile, '--tls-key', files.keyFile,
    '--config', join(dir, 'config.yaml'),
    '--port', '0', '--metrics-port', '0', '--bind-address', '127.0.0.1',
  ], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout!.on('data', (c: Buffer) => { logs += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { logs += c.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`extguard did not start: ${logs}`)), 30_000);
    const onData = (): void => {
      const m = /"port":(\d+)/.exec(logs);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`extguard exited ${code}: ${logs}`)); });
  });
  let exited: Promise<void> | undefined;
  return {
    port,
    caPem: set.ca.certPem,
    logs: () => logs,
    stop: () => (exited ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    })),
  };
}

const COVERED_RULES = [
  { operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
  { operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], scope: 'Namespaced' },
  { operations: ['CREATE', 'UPDATE'], apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'], scope: 'Namespaced' },
];

/** Both webhook configurations, pointing at a URL on loopback. */
export function webhookConfigurations(port: number, caPem: string, failurePolicy: 'Fail' | 'Ignore' = 'Fail'): string {
  const common = {
    rules: COVERED_RULES,
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'extguard-system'] }] },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    failurePolicy,
    timeoutSeconds: 5,
  };
  const caBundle = Buffer.from(caPem).toString('base64');
  const items = [
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'extguard-e2e' },
      webhooks: [{ name: 'mutate.extguard.io', clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle }, reinvocationPolicy: 'IfNeeded', ...common }] },
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'extguard-e2e' },
      webhooks: [{ name: 'validate.extguard.io', clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle }, ...common }] },
  ];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
