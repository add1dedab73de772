// The informer catalog against a stand-in API server (plain HTTP on loopback, which client-node
// allows only with insecure-skip-tls-verify): lists are read in pages, watch events reach the
// catalog, and an update that changes nothing the judge reads (another annotation, a label)
// gives no new snapshot, so the judge workers are sent nothing.
// The real API server is covered by the e2e suite (test/e2e/faults.test.ts, webhook.test.ts).

import { expect } from 'chai';
import { once } from 'node:events';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadKubeConfig, startInformerCatalog, type InformerCatalog } from '../../src/catalog/informers.ts';
import { silentLogger } from '../../src/log.ts';

const service = (name: string, rv: string, annotations: Record<string, string>) => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: { name, namespace: 'shop', resourceVersion: rv, annotations, managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }] },
  spec: { type: 'ExternalName', externalName: `${name}.example.com`, ports: [{ port: 443 }] },
});
const applied = (name: string) => ({ 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(service(name, '1', {})) });

let catalog: InformerCatalog | undefined;
const lists: string[] = [];
const watches: Record<string, ServerResponse> = {};

async function until(what: string, test: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (test()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ notReady: catalog?.notReady(), lists, watches: Object.keys(watches) })}`);
}

describe('informer catalog (stand-in API server)', function () {
  this.timeout(20_000);
  let server: Server;
  let dir: string;
  before(async () => {
    const services = [
      service('a', '11', { 'extguard.io/secret': 'a-creds', ...applied('a') }),
      service('b', '12', applied('b')),
      service('c', '13', {}),
    ];
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const what = url.pathname.endsWith('/services') ? 'services' : 'namespaces';
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        watches[what] = res;
        return;
      }
      lists.push(url.search);
      res.setHeader('content-type', 'application/json');
      if (what === 'namespaces') {
        res.end(JSON.stringify({ kind: 'NamespaceList', metadata: { resourceVersion: '20' }, items: [{ metadata: { name: 'shop', resourceVersion: '5', labels: { 'extguard.io/mode': 'enforce' } } }] }));
        return;
      }
      // Two per page, whatever the client asked for, so a client that ignores `continue` misses c.
      const from = Number(url.searchParams.get('continue') ?? '0');
      const page = services.slice(from, from + 2);
      const more = from + 2 < services.length;
      res.end(JSON.stringify({ kind: 'ServiceList', metadata: { resourceVersion: '20', ...(more ? { continue: String(from + 2) } : {}) }, items: page }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    dir = mkdtempSync(join(tmpdir(), 'extguard-informers-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config',
      `clusters: [{ name: c, cluster: { server: "http://127.0.0.1:${(server.address() as AddressInfo).port}", insecure-skip-tls-verify: true } }]`,
      'users: [{ name: u, user: { token: stand-in } }]',
      'contexts: [{ name: x, context: { cluster: c, user: u } }]',
      'current-context: x', '',
    ].join('\n'));
    catalog = startInformerCatalog(loadKubeConfig(kubeconfig), silentLogger);
  });

  after(async () => {
    await catalog?.stop();
    for (const res of Object.values(watches)) res.destroy();
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every page of the list, and keeps of each Service what the judge reads', async () => {
    await until('sync', () => catalog!.notReady().length === 0 && watches['services'] !== undefined);
    const c = catalog!.current();
    expect(['a', 'b', 'c'].map((n) => c.service('shop', n)?.externalName)).to.deep.equal(['a.example.com', 'b.example.com', 'c.example.com']);
    expect(lists.filter((q) => q.includes('limit=')).length).to.be.greaterThan(2);
    expect(c.service('shop', 'a')?.annotations).to.deep.equal({ 'extguard.io/secret': 'a-creds' });
    expect(c.namespaceLabels('shop')).to.deep.equal({ 'extguard.io/mode': 'enforce' });
    expect(c.externalNames('shop').has('c.example.com')).to.equal(true);
  });

  it('applies watch events; an update the judge cannot see gives no new snapshot', async () => {
    const first = catalog!.current();
    const send = (type: string, object: unknown) => watches['services']!.write(JSON.stringify({ type, object }) + '\n');
    // kubectl apply of another annotation: new resourceVersion, new last-applied, same judgement.
    send('MODIFIED', service('b', '21', { 'team.example.com/owner': 'x', ...applied('b') }));
    send('MODIFIED', service('a', '22', { 'extguard.io/secret': 'a-rotated', ...applied('a') }));
    await until('the secret change', () => catalog!.current().service('shop', 'a')?.annotations['extguard.io/secret'] === 'a-rotated');
    const second = catalog!.current();
    expect(second).to.not.equal(first);
    expect(second.changesSince?.(first)?.map((ch) => ch.kind === 'service' && ch.name)).to.deep.equal(['a']);
    send('DELETED', service('c', '23', {}));
    await until('the delete', () => catalog!.current().service('shop', 'c') === undefined);
    expect(catalog!.current().externalNames('shop').has('c.example.com')).to.equal(false);
    expect(catalog!.current().changesSince?.(second)?.length).to.equal(1);
  });
});
