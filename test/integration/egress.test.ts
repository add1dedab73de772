// `extguard egress` as a user runs it: the built binary on examples/catalog.yaml and on the
// egress fixture, YAML on stdout, notes on stderr.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { bin, root } from '../helpers/process.ts';

const examples = join(root, 'examples');
const fixtures = join(root, 'test/fixtures/egress');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'egress', ...args], { cwd: root, encoding: 'utf8', timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const docs = (yaml: string): any[] => parseAllDocuments(yaml).map((d) => d.toJS()).filter((o) => o);

describe('extguard egress (built binary)', function () {
  this.timeout(30000);

  it('examples/catalog.yaml, cilium: one policy for shop (enforce), its two declarations with their ports; warn and audit namespaces named on stderr', () => {
    const r = run(['--format', 'cilium', '--declarations', join(examples, 'catalog.yaml'), '--config', join(examples, 'config.yaml')]);
    expect(r.code, r.stderr).to.equal(0);
    const objs = docs(r.stdout);
    expect(objs.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).to.deep.equal(['CiliumNetworkPolicy shop/extguard-egress']);
    const fqdn = objs[0].spec.egress.filter((e: any) => e.toFQDNs).map((e: any) => [e.toFQDNs.map((f: any) => f.matchName ?? f.matchPattern), e.toPorts?.[0].ports.map((p: any) => p.port)]);
    expect(fqdn).to.deep.equal([
      [['api.payments.example.com', 'payments-api.shop.svc.cluster.local'], ['443']],
      [['my-database.example.com', 'external-db.shop.svc.cluster.local'], ['5432']],
      [['**.svc.example.internal'], undefined],
    ]);
    expect(r.stderr).to.contain('namespace staging: mode warn, not exported');
    expect(r.stderr).to.contain('namespace legacy: mode audit, not exported');
  });

  it('the fixture, every format: shared hosts in every exported namespace, refused declarations and off/exempt/warn namespaces left out', () => {
    for (const format of ['cilium', 'istio', 'networkpolicy']) {
      const r = run(['--format', format, '--declarations', join(fixtures, 'declarations.yaml'), '--config', join(fixtures, 'config.yaml'), ...(format === 'networkpolicy' ? ['--cidr-only'] : [])]);
      expect(r.code, `${format}: ${r.stderr}`).to.equal(0);
      const namespaces = [...new Set(docs(r.stdout).map((o) => o.metadata.namespace))];
      expect(namespaces, format).to.deep.equal(['external-services', 'team-a']);
      expect(r.stdout, format).not.to.match(/metadata\.google\.internal|kubernetes\.default|off\.example\.com|search\.example\.net/);
      expect(r.stderr, format).to.contain('Service team-a/metadata: externalName "metadata.google.internal" is not exported: it names a cloud metadata service');
      expect(r.stderr, format).to.contain('namespace team-off: mode off: no egress policy');
      expect(r.stderr, format).to.contain('namespace kube-system: exempt (exemptNamespaces): no egress policy');
      const teamA = JSON.stringify(docs(r.stdout).filter((o) => o.metadata.namespace === 'team-a'));
      if (format !== 'networkpolicy') expect(teamA, format).to.contain('"api.stripe.com"');
    }
  });

  it('istio on the fixture: the merged ports of orders.db.example.com, TLS for the shared 443 host', () => {
    const r = run(['--format', 'istio', '--declarations', join(fixtures, 'declarations.yaml'), '--config', join(fixtures, 'config.yaml')]);
    const objs = docs(r.stdout).filter((o) => o.metadata.namespace === 'team-a');
    expect(objs[0]).to.deep.include({ kind: 'Sidecar' });
    const orders = objs.find((o) => o.spec.hosts?.[0] === 'orders.db.example.com');
    expect(orders.spec.ports.map((p: any) => `${p.protocol}/${p.number}`)).to.deep.equal(['TCP/5432', 'TCP/5433', 'TCP/6432']);
    const stripe = objs.find((o) => o.spec.hosts?.[0] === 'api.stripe.com');
    expect(stripe.spec.ports).to.deep.equal([{ number: 443, name: 'tls-443', protocol: 'TLS' }]);
  });

  it('networkpolicy: refused (exit 2, nothing printed) while declared host names would be blocked, unless --cidr-only', () => {
    const r = run(['--format', 'networkpolicy', '--declarations', join(fixtures, 'declarations.yaml'), '--config', join(fixtures, 'config.yaml')]);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.contain('a NetworkPolicy cannot name hosts, so this output would put');
    expect(r.stderr).to.contain('team-a (api.github.com, api.stripe.com, crm.example.org, orders.db.example.com, *.amazonaws.com)');
    expect(r.stderr).to.contain('add --cidr-only');
  });

  it('networkpolicy --cidr-only: the hosts it cannot name are listed in a comment above the YAML and on stderr', () => {
    const r = run(['--format', 'networkpolicy', '--declarations', join(fixtures, 'declarations.yaml'), '--config', join(fixtures, 'config.yaml'), '--cidr-only']);
    expect(r.code, r.stderr).to.equal(0);
    const head = r.stdout.split('\n---\n')[0]!;
    expect(head.split('\n').every((l) => l.startsWith('#'))).to.equal(true);
    expect(head).to.contain('#   team-a: api.github.com, api.stripe.com, crm.example.org, orders.db.example.com, *.amazonaws.com');
    expect(r.stderr).to.contain('namespace team-a: a NetworkPolicy cannot name hosts; not allowed:');
    const cidrs = docs(r.stdout)[0].spec.egress.flatMap((e: any) => e.to.map((t: any) => t.ipBlock?.cidr).filter(Boolean));
    expect(cidrs).to.deep.equal(['2001:db8::10/128', '203.0.113.10/32']);
  });

  it('a re-run gives the same bytes', () => {
    const args = ['--format', 'cilium', '--declarations', join(fixtures, 'declarations.yaml'), '--config', join(fixtures, 'config.yaml'), '--modes', 'enforce,warn'];
    const one = run(args);
    expect(run(args).stdout).to.equal(one.stdout);
    expect(docs(one.stdout).map((o) => o.metadata.namespace)).to.deep.equal(['external-services', 'team-a', 'team-b']);
  });

  const unusable: [string, string[], RegExp][] = [
    ['no --format', ['--declarations', join(examples, 'catalog.yaml')], /required option '--format <format>'/],
    ['an unknown format', ['--format', 'calico', '--declarations', join(examples, 'catalog.yaml')], /Allowed choices are cilium, istio, networkpolicy/],
    ['--modes off', ['--format', 'cilium', '--modes', 'off', '--declarations', join(examples, 'catalog.yaml')], /expected a comma-separated list of enforce, warn, audit/],
    ['both sources', ['--format', 'cilium', '--declarations', join(examples, 'catalog.yaml'), '--kubeconfig', join(root, 'test/fixtures/kubeconfig-unreachable.yaml')], /either --declarations or --kubeconfig/],
    ['a missing file', ['--format', 'cilium', '--declarations', join(fixtures, 'nope.yaml')], /nope\.yaml: no such file/],
    ['an unreachable cluster', ['--format', 'cilium', '--kubeconfig', join(root, 'test/fixtures/kubeconfig-unreachable.yaml')], /cannot read the cluster https:\/\/127\.0\.0\.1:1/],
  ];
  for (const [name, args, message] of unusable) {
    it(`exits 2 with nothing on stdout on ${name}`, () => {
      const r = run(args);
      expect(r.code).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.match(message);
    });
  }
});
