// extguard installed the way the README's Install section says, on a control plane with no
// nodes: the shipped self-signed manifests are applied for real, and the Deployment's
// container runs here as a process, built from what the API server stores:
//
//   - args from the Deployment's pod template (ports overridden: many tests share the host);
//   - its volumes from the Secret and ConfigMap they name, written to a temp dir (the
//     kubelet's job), with the args' mount paths rewritten to it;
//   - its identity from a token of the Deployment's ServiceAccount, so informers run with
//     exactly the shipped RBAC;
//   - reached through the shipped Service: an EndpointSlice (the endpoints controller's
//     job) points it at this host, and kube-apiserver runs with
//     --enable-aggregator-routing so it calls the endpoint rather than a ClusterIP no
//     proxy serves. It verifies the serving certificate for extguard.extguard-system.svc
//     against the caBundle that `extguard certs` patched in.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { bin, root, startServeProcess, type ServeProcess } from '../helpers/process.ts';
import type { ControlPlane } from './cluster.ts';

export const NAMESPACE = 'extguard-system';
export const SERVICE_DNS = `extguard.${NAMESPACE}.svc`;

export interface Installation {
  /** The copy of manifests/ that was applied (certs written into self-signed/certs). */
  manifests: string;
  /** The README's certificate renewal: `extguard certs --kustomize` again, then `kubectl apply -k`. */
  renewCertificates(...flags: string[]): Promise<void>;
  /** `kubectl delete -k` as the README's uninstall says, without waiting for the namespace (no namespace controller runs here). */
  uninstall(): Promise<void>;
}

/**
 * `extguard certs --kustomize` + `kubectl apply -k` on a temp copy of manifests/, with the
 * operator's `config` (if given) edited into the copy's ConfigMap.
 */
export async function installSelfSigned(cp: ControlPlane, opts: { config?: string } = {}): Promise<Installation> {
  const dir = mkdtempSync(join(tmpdir(), 'extguard-install-'));
  const manifests = join(dir, 'manifests');
  cpSync(join(root, 'manifests'), manifests, { recursive: true });
  if (opts.config !== undefined) {
    const file = join(manifests, 'base', 'config.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['data', 'config.yaml'], opts.config);
    writeFileSync(file, doc.toString());
  }
  const overlay = join(manifests, 'self-signed');
  const certsAndApply = async (...flags: string[]): Promise<void> => {
    const certs = spawnSync(process.execPath, [bin, 'certs', '--kustomize', overlay, ...flags], { cwd: root, encoding: 'utf8' });
    if (certs.status !== 0) throw new Error(`extguard certs --kustomize failed: ${certs.stderr}`);
    const applied = await cp.kubectl(['apply', '-k', overlay]);
    if (applied.code !== 0) throw new Error(`kubectl apply -k failed: ${applied.stderr}`);
  };
  await certsAndApply();
  let uninstalled: Promise<void> | undefined;
  return {
    manifests,
    renewCertificates: certsAndApply,
    uninstall: () => (uninstalled ??= (async () => {
      const r = await cp.kubectl(['delete', '-k', overlay, '--ignore-not-found', '--wait=false']);
      rmSync(dir, { recursive: true, force: true });
      if (r.code !== 0) throw new Error(`kubectl delete -k failed: ${r.stderr}`);
    })()),
  };
}

/** An address of this host that an EndpointSlice accepts (not loopback or link-local). */
export function endpointAddress(): { address: string; addressType: 'IPv4' | 'IPv6' } | undefined {
  const all = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal);
  const v4 = all.find((i) => i!.family === 'IPv4' && !i!.address.startsWith('169.254.'));
  if (v4) return { address: v4.address, addressType: 'IPv4' };
  const v6 = all.find((i) => i!.family === 'IPv6' && !i!.address.toLowerCase().startsWith('fe80'));
  return v6 ? { address: v6.address, addressType: 'IPv6' } : undefined;
}

export interface InstalledPod extends ServeProcess {
  caPem: string;
  /** What the kubelet does after a Secret or ConfigMap changes: rewrite the mounted files. */
  syncVolumes(): Promise<void>;
  /** What the kubelet's readiness probe and the endpoint controller do: mark this replica's endpoint (not) ready. */
  setEndpointReady(ready: boolean): Promise<void>;
  /** The serving certificate a TLS client gets now (not verified). */
  servedCertificate(): Promise<X509Certificate>;
  /** GET on the webhook port, verified as the API server verifies it. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** The Prometheus text of the metrics port. */
  metrics(): Promise<string>;
}

/** Runs the installed Deployment's container here, serving the installed Service. */
export async function runInstalledPod(cp: ControlPlane, opts: { endpointReady?: boolean } = {}): Promise<InstalledPod> {
  const host = endpointAddress();
  if (!host) throw new Error('this host has no non-loopback address for an EndpointSlice');
  const getJson = async (what: string): Promise<any> => {
    const r = await cp.kubectl(['get', '-n', NAMESPACE, what, '-o', 'json']);
    if (r.code !== 0) throw new Error(`kubectl get ${what}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const deployment = await getJson('deployment/extguard');
  const podSpec = deployment.spec.template.spec;
  const container = podSpec.containers[0];
  const dir = mkdtempSync(join(tmpdir(), 'extguard-pod-'));

  // Volumes, as the kubelet would mount them (and sync them, on syncVolumes()).
  const mounts: Array<[string, string]> = [];
  const materialise = async (): Promise<void> => {
    for (const m of container.volumeMounts ?? []) {
      const volume = podSpec.volumes.find((v: any) => v.name === m.name);
      const target = join(dir, 'mounts', m.name);
      mkdirSync(target, { recursive: true });
      if (volume.secret) {
        const secret = await getJson(`secret/${volume.secret.secretName}`);
        for (const [k, v] of Object.entries<string>(secret.data)) writeFileSync(join(target, k), Buffer.from(v, 'base64'));
      } else if (volume.configMap) {
        const cm = await getJson(`configmap/${volume.configMap.name}`);
        for (const [k, v] of Object.entries<string>(cm.data)) writeFileSync(join(target, k), v);
      } else {
        throw new Error(`volume ${m.name}: only secret and configMap volumes are materialised here`);
      }
      if (!mounts.some(([from]) => from === m.mountPath)) mounts.push([m.mountPath, target]);
    }
  };
  await materialise();
  const args: string[] = container.args.map((a: string) => mounts.reduce((s, [from, to]) => s.replace(`=${from}/`, `=${to}/`), a));
  if (args[0] !== 'serve') throw new Error(`the Deployment runs ${args[0]}, expected serve`);

  // The ServiceAccount's identity.
  const token = await cp.kubectl(['create', 'token', podSpec.serviceAccountName, '-n', NAMESPACE, '--duration=1h']);
  if (token.code !== 0) throw new Error(`kubectl create token: ${token.stderr}`);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'sa',
    clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caCertPem).toString('base64') } }],
    users: [{ name: 'sa', user: { token: token.stdout.trim() } }],
    contexts: [{ name: 'sa', context: { cluster: 'e2e', user: 'sa', namespace: NAMESPACE } }],
  }), { mode: 0o600 });

  // A slice an earlier replica left (every replica here shares this host's address) would read
  // as this one's Ready endpoint before its own slice is written: remove it first.
  await cp.kubectl(['delete', 'endpointslice', 'extguard-e2e', '-n', NAMESPACE, '--ignore-not-found']);
  const proc = await startServeProcess([...args.slice(1), '--kubeconfig', kubeconfig, '--bind-address', host.address, '--port', '0', '--metrics-port', '0']);

  // The Service's endpoint: the port the Service's targetPort names, on this process.
  const service = await getJson('service/extguard');
  const servicePort = service.spec.ports.find((p: any) => p.port === 443);
  const slice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'extguard-e2e', namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': 'extguard', 'endpointslice.kubernetes.io/managed-by': 'e2e.extguard.io' } },
    addressType: host.addressType,
    endpoints: [{ addresses: [host.address], conditions: { ready: opts.endpointReady ?? true } }],
    ports: [{ name: servicePort.name, port: proc.port, protocol: 'TCP' }],
  };
  const r = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify(slice) });
  if (r.code !== 0) { await proc.stop(); throw new Error(`EndpointSlice: ${r.stderr}`); }

  // Trust exactly what the API server trusts: the caBundle of the installed configuration.
  const webhook = JSON.parse((await cp.kubectl(['get', 'validatingwebhookconfiguration', 'extguard', '-o', 'json'])).stdout);
  const caPem = Buffer.from(webhook.webhooks[0].clientConfig.caBundle, 'base64').toString();
  const get = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest({ host: host.address, port: proc.port, path, ca: caPem, servername: SERVICE_DNS }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
  const servedCertificate = () => new Promise<X509Certificate>((resolve, reject) => {
    const socket = tlsConnect({ host: host.address, port: proc.port, servername: SERVICE_DNS, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.on('error', reject);
  });
  const metricsPort = Number(/"metricsPort":(\d+)/.exec(proc.logs())?.[1]);
  const metrics = () => new Promise<string>((resolve, reject) => {
    const req = httpRequest({ host: host.address, port: metricsPort, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
  return {
    ...proc,
    caPem,
    syncVolumes: materialise,
    setEndpointReady: async (ready: boolean) => {
      const s = await cp.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ ...slice, endpoints: [{ ...slice.endpoints[0], conditions: { ready } }] }) });
      if (s.code !== 0) throw new Error(`EndpointSlice: ${s.stderr}`);
    },
    servedCertificate,
    get,
    metrics,
    stop: async () => {
      const code = await proc.stop();
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
