// `extguard egress --kubeconfig` against a real API server: ExternalName Services created
// there become Cilium, Istio and NetworkPolicy objects, which the same API server accepts
// with strict field validation against Cilium's and Istio's own CRDs (from their Go modules,
// pinned in test/e2e/modules/cilium.json and istio.json). No Cilium agent or istiod runs here:
// this proves the objects are what those projects' schemas accept, not how they enforce.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { ControlPlane } from './cluster.ts';
import { installCrds } from './crds.ts';
import { sharedControlPlane } from './hooks.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SHARED = 'e2e-egress-shared';
const TEAM = 'e2e-egress-team';
const OFF = 'e2e-egress-off';
const MINE = [SHARED, TEAM, OFF];

type Obj = Record<string, any>;

describe('extguard egress against a real API server with the Cilium and Istio CRDs', function () {
  let cp: ControlPlane;
  let dir: string;
  let config: string;

  const egress = (format: string, ...extra: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/extguard.js'), 'egress', '--format', format, '--kubeconfig', cp.kubeconfigPath, '--config', config, ...extra], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).to.equal(0);
    // Other e2e files' namespaces may be there too: only ours are applied and judged here.
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter((o) => o && MINE.includes(o.metadata.namespace));
    return { objects, stdout: r.stdout, stderr: r.stderr };
  };
  const apply = (objects: Obj[]) => cp.kubectl(['apply', '--server-side', '--field-manager=extguard-egress', '--validate=strict', '-f', '-'], { input: objects.map((o) => JSON.stringify(o)).join('\n') });
  const getJson = async (args: string[]): Promise<Obj> => {
    const r = await cp.kubectl([...args, '-o', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout);
  };

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'extguard-egress-'));
    config = join(dir, 'config.yaml');
    // defaultMode audit: the cluster's other (unlabelled) namespaces get no policy.
    writeFileSync(config, `defaultMode: audit\nsharedNamespace: ${SHARED}\nallowedHosts: ["*.amazonaws.com", "203.0.113.10"]\n`);

    await installCrds(cp, 'EXTGUARD_E2E_CILIUM_CRDS', ['ciliumnetworkpolicies.yaml'], ['ciliumnetworkpolicies.cilium.io']);
    await installCrds(cp, 'EXTGUARD_E2E_ISTIO_CRDS', ['customresourcedefinitions.gen.yaml'], ['serviceentries.networking.istio.io', 'sidecars.networking.istio.io']);

    const ns = (name: string, mode: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'extguard.io/mode': mode } } });
    const svc = (namespace: string, name: string, externalName: string, ports: number[] = []) => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace },
      spec: { type: 'ExternalName', externalName, ...(ports.length ? { ports: ports.map((port) => ({ name: `p${port}`, port })) } : {}) },
    });
    const objects = [
      ns(SHARED, 'enforce'), ns(TEAM, 'enforce'), ns(OFF, 'off'),
      svc(SHARED, 'stripe', 'api.stripe.com', [443]),
      svc(TEAM, 'orders-db', 'orders.db.example.com', [5432, 5433]),
      svc(TEAM, 'crm', 'crm.example.org'),
      // Refused by governance: not exported.
      svc(TEAM, 'metadata', 'metadata.google.internal'),
      svc(OFF, 'ignored', 'off.example.com'),
    ];
    for (const o of objects) {
      const r = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(o) });
      expect(r.code, r.stderr).to.equal(0);
    }
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('cilium: the Services in the cluster become one CiliumNetworkPolicy per exported namespace, which the CRD accepts (strict) and stores as sent', async function () {
    this.timeout(60_000);
    const { objects, stderr } = egress('cilium');
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).to.deep.equal([
      `CiliumNetworkPolicy ${SHARED}/extguard-egress`, `CiliumNetworkPolicy ${TEAM}/extguard-egress`]);
    expect(stderr).to.contain(`namespace ${OFF}: mode off: no egress policy`);
    expect(stderr).to.contain(`Service ${TEAM}/metadata: externalName "metadata.google.internal" is not exported`);
    const team = objects[1]!;
    const names = team.spec.egress.flatMap((e: Obj) => (e.toFQDNs ?? []).map((f: Obj) => f.matchName ?? f.matchPattern));
    // One rule per port set, in the order of the sorted hosts: 443, any port, 5432+5433.
    expect(names).to.deep.equal(['api.stripe.com', `stripe.${SHARED}.svc.cluster.local`, 'crm.example.org', `crm.${TEAM}.svc.cluster.local`, '**.amazonaws.com', 'orders.db.example.com', `orders-db.${TEAM}.svc.cluster.local`]);
    expect(JSON.stringify(team)).not.to.contain('metadata.google.internal');

    const r = await apply(objects);
    expect(r.code, r.stderr).to.equal(0);
    const stored = await getJson(['get', 'ciliumnetworkpolicy', 'extguard-egress', '-n', TEAM]);
    expect(stored['spec']).to.deep.equal(team.spec);
    expect(stored['metadata']['labels']).to.deep.equal({ 'app.kubernetes.io/managed-by': 'extguard' });
  });

  it('cilium: the same strict apply refuses a misspelt field (the check can fail)', async function () {
    this.timeout(60_000);
    const [policy] = egress('cilium').objects;
    policy!.spec.egress[2] = { toFQDN: [{ matchName: 'typo.example.com' }] };
    const r = await cp.kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify(policy) });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/\.spec\.egress\[2\]\.toFQDN: field not declared in schema/);
  });

  it('istio: a REGISTRY_ONLY Sidecar and one ServiceEntry per host and namespace, accepted (strict) by the CRDs with their CEL rules', async function () {
    this.timeout(60_000);
    const { objects } = egress('istio');
    const team = objects.filter((o) => o.metadata.namespace === TEAM);
    expect(team.map((o) => `${o.kind} ${o.metadata.name}`)).to.deep.equal([
      'Sidecar extguard-egress',
      'ServiceEntry extguard-egress.api.stripe.com',
      'ServiceEntry extguard-egress.crm.example.org',
      'ServiceEntry extguard-egress.orders.db.example.com',
      'ServiceEntry extguard-egress-wildcard.amazonaws.com',
      'ServiceEntry extguard-egress-ip.203-0-113-10',
    ]);
    const r = await apply(objects);
    expect(r.code, r.stderr).to.equal(0);
    const stored = await getJson(['get', 'serviceentries.networking.istio.io', '-n', TEAM, '-l', 'app.kubernetes.io/managed-by=extguard']);
    const spec = (name: string) => stored['items'].find((i: Obj) => i.metadata.name === name).spec;
    expect(spec('extguard-egress.orders.db.example.com')).to.deep.equal({
      hosts: ['orders.db.example.com'], exportTo: ['.'], location: 'MESH_EXTERNAL', resolution: 'DNS',
      ports: [{ number: 5432, name: 'tcp-5432', protocol: 'TCP' }, { number: 5433, name: 'tcp-5433', protocol: 'TCP' }],
    });
    expect(spec('extguard-egress-ip.203-0-113-10')).to.deep.include({ addresses: ['203.0.113.10'], resolution: 'NONE' });
    const sidecar = await getJson(['get', 'sidecars.networking.istio.io', 'extguard-egress', '-n', TEAM]);
    expect(sidecar['spec']).to.deep.equal({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
  });

  it('networkpolicy: one NetworkPolicy per exported namespace with the IP literal, accepted (strict); the names it cannot express are on stderr', async function () {
    this.timeout(60_000);
    const { objects, stderr, stdout } = egress('networkpolicy', '--cidr-only');
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}`)).to.deep.equal([`NetworkPolicy ${SHARED}`, `NetworkPolicy ${TEAM}`]);
    expect(stderr).to.contain(`namespace ${TEAM}: a NetworkPolicy cannot name hosts; not allowed: api.stripe.com, crm.example.org, orders.db.example.com, *.amazonaws.com`);
    expect(stdout.split('\n---\n')[0]).to.contain(`#   ${TEAM}: api.stripe.com`);
    const r = await apply(objects);
    expect(r.code, r.stderr).to.equal(0);
    const stored = await getJson(['get', 'networkpolicy', 'extguard-egress', '-n', TEAM]);
    expect(stored['spec']['egress'].at(-1)).to.deep.equal({ to: [{ ipBlock: { cidr: '203.0.113.10/32' } }] });
  });

  it('a re-run applied again changes nothing (the same bytes, the same resourceVersions): safe for GitOps or a CronJob', async function () {
    this.timeout(120_000);
    const kinds = 'ciliumnetworkpolicies.cilium.io,serviceentries.networking.istio.io,sidecars.networking.istio.io,networkpolicies.networking.k8s.io';
    const versions = async () => (await getJson(['get', kinds, '-n', TEAM, '-l', 'app.kubernetes.io/managed-by=extguard']))['items']
      .map((i: Obj) => `${i.kind}/${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
    const before = await versions();
    expect(before).to.have.length(8);
    for (const format of ['cilium', 'istio', 'networkpolicy']) {
      const extra = format === 'networkpolicy' ? ['--cidr-only'] : [];
      const one = egress(format, ...extra);
      const two = egress(format, ...extra);
      expect(two.stdout, format).to.equal(one.stdout);
      const r = await apply(two.objects);
      expect(r.code, r.stderr).to.equal(0);
    }
    expect(await versions()).to.deep.equal(before);
  });
});
