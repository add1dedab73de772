// Starts the real HTTPS webhook in-process on loopback with a freshly generated CA, and
// talks to it the way the API server does.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../src/log.ts';
import { serve, type RunningServer, type ServeOptions } from '../../src/server/serve.ts';
import { createCertificateSet, writeCertificateSet } from '../../src/tls/files.ts';

export interface TestWebhook {
  server: RunningServer;
  dir: string;
  ca: string;
  files: { caFile: string; certFile: string; keyFile: string };
  post(path: string, body: unknown, opts?: { contentType?: string; raw?: string | Buffer }): Promise<HttpResult>;
  get(path: string): Promise<HttpResult>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

export async function startWebhook(opts: { config?: string; declarations?: string; logger?: Logger; serve?: Partial<ServeOptions> } = {}): Promise<TestWebhook> {
  const dir = mkdtempSync(join(tmpdir(), 'extguard-it-'));
  const set = await createCertificateSet({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const files = writeCertificateSet(join(dir, 'certs'), set);
  let configPath: string | undefined;
  if (opts.config !== undefined) {
    configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, opts.config);
  }
  let declarationsPath: string | undefined;
  if (opts.declarations !== undefined) {
    declarationsPath = join(dir, 'declarations.yaml');
    writeFileSync(declarationsPath, opts.declarations);
  }
  const server = await serve({
    port: 0,
    metricsPort: 0,
    bindAddress: '127.0.0.1',
    tlsCert: files.certFile,
    tlsKey: files.keyFile,
    ...(configPath ? { config: configPath } : {}),
    ...(declarationsPath ? { declarations: declarationsPath } : {}),
    pollIntervalMs: 100,
    ...opts.serve,
  }, opts.logger ?? silentLogger);

  const send = (method: string, path: string, payload?: string | Buffer, contentType?: string): Promise<HttpResult> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: server.port, path, method, ca: set.ca.certPem, servername: 'localhost',
        headers: payload !== undefined ? { 'Content-Type': contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
        agent: false,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });

  return {
    server, dir, ca: set.ca.certPem, files,
    post: (path, body, o = {}) => send('POST', path, o.raw ?? JSON.stringify(body), o.contentType),
    get: (path) => send('GET', path),
    metrics: () => new Promise((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: server.metricsPort, path: '/metrics' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => resolve(text));
      }).on('error', reject).end();
    }),
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let uidCounter = 0;

/** An AdmissionReview as the API server sends it. */
export function review(object: unknown, opts: { operation?: string; namespace?: string; dryRun?: boolean; uid?: string } = {}): Record<string, unknown> {
  const o = object as { kind?: string; metadata?: { name?: string; namespace?: string } };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: o.kind ?? 'Pod' },
      name: o.metadata?.name,
      namespace: opts.namespace ?? o.metadata?.namespace ?? 'default',
      operation: opts.operation ?? 'CREATE',
      userInfo: { username: 'test' },
      object,
      oldObject: null,
      dryRun: opts.dryRun ?? false,
    },
  };
}
