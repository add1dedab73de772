import { expect } from 'chai';
import { exportEgress, type ExportOptions } from '../../src/egress/export.ts';
import { planEgress, type EgressHost } from '../../src/egress/plan.ts';
import { subdomainName } from '../../src/egress/objects.ts';
import { externalService, namespace } from '../helpers/objects.ts';
import { catalogOf, policyOf } from '../helpers/policy.ts';

type Json = Record<string, any>;

const SHARED_CONFIG = 'sharedNamespace: shared\n';

/** The hosts the plan gives one namespace, as `kind host ports`. */
function hostsOf(objects: Json[], config: string, ns: string): string[] {
  const plan = planEgress(catalogOf(objects), policyOf(config));
  const found = plan.namespaces.find((n) => n.namespace === ns);
  return found ? found.hosts.map((h: EgressHost) => `${h.kind} ${h.host} ${h.ports === 'any' ? 'any' : h.ports.join(',')}`) : [];
}

function exported(objects: Json[], config: string, options: ExportOptions) {
  return exportEgress(catalogOf(objects), policyOf(config), options);
}

const egressOf = (o: Json): Json[] => o['spec']['egress'];

describe('egress export', () => {
  describe('which hosts a namespace may reach (the judge\'s declarations)', () => {
    const cases: { name: string; objects: Json[]; config?: string; ns: string; want: string[] }[] = [
      {
        name: 'its own ExternalName Services, with their ports; no port means any port',
        objects: [namespace('a', 'enforce'), externalService('db', 'db.example.com', { namespace: 'a', ports: [5432] }), externalService('crm', 'crm.example.org', { namespace: 'a' })],
        ns: 'a',
        want: ['name crm.example.org any', 'name db.example.com 5432'],
      },
      {
        name: 'the shared namespace declares for every namespace, another namespace for none',
        objects: [namespace('a', 'enforce'), namespace('b', 'enforce'), namespace('shared', 'enforce'),
          externalService('stripe', 'api.stripe.com', { namespace: 'shared', ports: [443] }), externalService('x', 'x.example.com', { namespace: 'b' })],
        config: SHARED_CONFIG,
        ns: 'a',
        want: ['name api.stripe.com 443'],
      },
      {
        name: 'allowedHosts: exact names, *.suffix wildcards and IP literals, any port',
        objects: [namespace('a', 'enforce')],
        config: 'allowedHosts: ["API.GitHub.com.", "*.amazonaws.com", "203.0.113.10", "2001:DB8::10"]',
        ns: 'a',
        want: ['name api.github.com any', 'wildcard *.amazonaws.com any', 'ip 2001:db8::10 any', 'ip 203.0.113.10 any'],
      },
      {
        name: 'the same host twice: ports merged; declared with no port anywhere means any port',
        objects: [namespace('a', 'enforce'), externalService('p', 'db.example.com', { namespace: 'a', ports: [5433, 5432] }), externalService('r', 'DB.example.com.', { namespace: 'a', ports: [6432] })],
        ns: 'a',
        want: ['name db.example.com 5432,5433,6432'],
      },
      {
        name: 'a declared host also in allowedHosts: any port',
        objects: [namespace('a', 'enforce'), externalService('gh', 'api.github.com', { namespace: 'a', ports: [443] })],
        config: 'allowedHosts: [api.github.com]',
        ns: 'a',
        want: ['name api.github.com any'],
      },
      {
        name: 'invalid declarations (metadata, cluster-internal, IP, localhost) are not exported',
        objects: [namespace('a', 'enforce'), namespace('other', 'enforce'),
          externalService('m', 'metadata.google.internal', { namespace: 'a' }), externalService('k', 'kubernetes.default.svc.cluster.local', { namespace: 'a' }),
          externalService('ip', '169.254.169.254', { namespace: 'a' }), externalService('l', 'app.localhost', { namespace: 'a' }),
          externalService('ns', 'db.other', { namespace: 'a' }), externalService('ok', 'ok.example.com', { namespace: 'a' })],
        ns: 'a',
        want: ['name ok.example.com any'],
      },
    ];
    for (const c of cases) {
      it(c.name, () => { expect(hostsOf(c.objects, c.config ?? SHARED_CONFIG, c.ns)).to.deep.equal(c.want); });
    }

    it('an allowedHosts entry no policy can name is left out, on a note', () => {
      const plan = planEgress(catalogOf([namespace('a', 'enforce')]), policyOf('allowedHosts: ["2130706433", "intranet", "ok.example.com"]'));
      expect(plan.namespaces[0]!.hosts.map((h) => h.host)).to.deep.equal(['ok.example.com']);
      expect(plan.notes.map((n) => n.message)).to.deep.equal([
        'allowedHosts entry "2130706433" is neither a DNS name nor an IP literal: not exported',
        'allowedHosts entry "intranet" is neither a DNS name nor an IP literal: not exported',
      ]);
    });

    it('says on a note which declaration was left out and why', () => {
      const plan = planEgress(catalogOf([namespace('a', 'enforce'), externalService('m', 'metadata.google.internal', { namespace: 'a' })]), policyOf());
      expect(plan.notes.map((n) => n.message)).to.deep.equal(['namespace a: Service a/m: externalName "metadata.google.internal" is not exported: it names a cloud metadata service']);
    });
  });

  describe('which namespaces get a policy', () => {
    const objects = [namespace('on', 'enforce'), namespace('w', 'warn'), namespace('au', 'audit'), namespace('o', 'off'), namespace('typo', 'Enforce'),
      namespace('kube-system'), externalService('unlabelled-svc', 'x.example.com', { namespace: 'plain' })];
    const cases: { name: string; config?: string; modes?: ExportOptions['modes']; want: string[] }[] = [
      { name: 'by default enforce only (an unknown label is enforce, an unlabelled namespace gets defaultMode)', want: ['on', 'plain', 'typo'] },
      { name: 'with defaultMode audit an unlabelled namespace is left out', config: 'defaultMode: audit', want: ['on', 'typo'] },
      { name: '--modes widens it, never to off or exempt namespaces', modes: ['enforce', 'warn', 'audit'], want: ['au', 'on', 'plain', 'typo', 'w'] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const r = exported(objects, c.config ?? '', { format: 'cilium', ...(c.modes ? { modes: c.modes } : {}) });
        expect(r.objects.map((o) => o.metadata.namespace)).to.deep.equal(c.want);
      });
    }
    it('lists the namespaces left out on notes', () => {
      const r = exported(objects, '', { format: 'cilium' });
      expect(r.notes).to.include.members(['namespace kube-system: exempt (exemptNamespaces): no egress policy', 'namespace o: mode off: no egress policy', 'namespace w: mode warn, not exported (--modes enforce): no egress policy']);
    });
  });

  describe('cilium', () => {
    const objects = [namespace('a', 'enforce'), externalService('db', 'db.example.com', { namespace: 'a', ports: [5432] }), externalService('crm', 'crm.example.org', { namespace: 'a' })];
    const config = 'allowedHosts: ["*.amazonaws.com", "203.0.113.10", "2001:db8::10"]';
    const policy = (exported(objects, config, { format: 'cilium' }).objects as Json[])[0]!;

    it('one CiliumNetworkPolicy per namespace, named and labelled for GitOps, selecting every Pod', () => {
      expect(policy).to.deep.include({ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy' });
      expect(policy['metadata']).to.deep.equal({ name: 'extguard-egress', namespace: 'a', labels: { 'app.kubernetes.io/managed-by': 'extguard' } });
      expect(policy['spec']['endpointSelector']).to.deep.equal({});
    });

    it('DNS to kube-dns through the DNS proxy first, then the cluster, then names and addresses', () => {
      const egress = egressOf(policy);
      expect(egress[0]).to.deep.equal({
        toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
        toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }], rules: { dns: [{ matchPattern: '*' }] } }],
      });
      expect(egress[1]).to.deep.equal({ toEntities: ['cluster'] });
      expect(egress.slice(2)).to.deep.equal([
        // any port: the Service's in-cluster name too (Cilium matches the name asked, not the CNAME target)
        { toFQDNs: [{ matchName: 'crm.example.org' }, { matchName: 'crm.a.svc.cluster.local' }, { matchPattern: '**.amazonaws.com' }] },
        { toFQDNs: [{ matchName: 'db.example.com' }, { matchName: 'db.a.svc.cluster.local' }], toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }] },
        { toCIDR: ['2001:db8::10/128', '203.0.113.10/32'] },
      ]);
    });

    it('--no-cluster-egress leaves out the in-cluster rule', () => {
      const [p] = exported(objects, config, { format: 'cilium', clusterEgress: false }).objects as Json[];
      expect(egressOf(p!).some((r) => 'toEntities' in r)).to.equal(false);
    });

    it('the in-cluster name follows clusterDomain', () => {
      const [p] = exported(objects, 'clusterDomain: corp.example', { format: 'cilium' }).objects as Json[];
      expect(JSON.stringify(p)).to.contain('"matchName":"db.a.svc.corp.example"');
    });
  });

  describe('istio', () => {
    const objects = [namespace('a', 'enforce'), externalService('db', 'db.example.com', { namespace: 'a', ports: [5432] }),
      externalService('pay', 'api.pay.example.com', { namespace: 'a', ports: [443, 80] }), externalService('crm', 'crm.example.org', { namespace: 'a' })];
    const r = exported(objects, 'allowedHosts: ["*.amazonaws.com", "203.0.113.10"]', { format: 'istio' });
    const entries = r.objects.filter((o) => o.kind === 'ServiceEntry') as Json[];
    const entry = (host: string): Json => entries.find((e) => e['spec']['hosts'][0] === host)!;

    it('a REGISTRY_ONLY Sidecar per namespace, unless --no-istio-sidecar', () => {
      expect(r.objects[0]).to.deep.equal({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'extguard-egress', namespace: 'a', labels: { 'app.kubernetes.io/managed-by': 'extguard' } }, spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } } });
      const without = exported(objects, '', { format: 'istio', sidecar: false });
      expect(without.objects.map((o) => o.kind)).to.deep.equal(['ServiceEntry', 'ServiceEntry', 'ServiceEntry']);
      expect(without.yaml).to.contain('REGISTRY_ONLY');
    });

    it('one ServiceEntry per host, visible only in its namespace, external, resolved by DNS', () => {
      expect(entries.map((e) => e['metadata']['name'])).to.deep.equal([
        'extguard-egress.api.pay.example.com', 'extguard-egress.crm.example.org', 'extguard-egress.db.example.com',
        'extguard-egress-wildcard.amazonaws.com', 'extguard-egress-ip.203-0-113-10']);
      expect(entry('db.example.com')['spec']).to.deep.equal({
        hosts: ['db.example.com'], exportTo: ['.'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 5432, name: 'tcp-5432', protocol: 'TCP' }],
      });
    });

    const ports: [string, Json[]][] = [
      ['api.pay.example.com', [{ number: 80, name: 'http-80', protocol: 'HTTP' }, { number: 443, name: 'tls-443', protocol: 'TLS' }]],
      ['crm.example.org', [{ number: 443, name: 'tls-443', protocol: 'TLS' }]],
      ['*.amazonaws.com', [{ number: 443, name: 'tls-443', protocol: 'TLS' }]],
      ['ip-203-0-113-10.extguard.invalid', [{ number: 443, name: 'tcp-443', protocol: 'TCP' }]],
    ];
    for (const [host, want] of ports) {
      it(`ports and protocols of ${host}`, () => { expect(entry(host)['spec']['ports']).to.deep.equal(want); });
    }

    it('a host named like a wildcard entry gets another name', () => {
      const both = exported([namespace('a', 'enforce'), externalService('w', 'wildcard.amazonaws.com', { namespace: 'a' })], 'allowedHosts: ["*.amazonaws.com"]', { format: 'istio', sidecar: false });
      expect(both.objects.map((o) => o.metadata.name)).to.deep.equal(['extguard-egress.wildcard.amazonaws.com', 'extguard-egress-wildcard.amazonaws.com']);
    });

    it('wildcards and addresses are not resolved by DNS (resolution NONE), an address is in addresses', () => {
      expect(entry('*.amazonaws.com')['spec']['resolution']).to.equal('NONE');
      expect(entry('ip-203-0-113-10.extguard.invalid')['spec']).to.deep.include({ resolution: 'NONE', addresses: ['203.0.113.10'] });
    });
  });

  describe('networkpolicy', () => {
    const objects = [namespace('a', 'enforce'), externalService('db', 'db.example.com', { namespace: 'a', ports: [5432] })];
    const r = exported(objects, 'allowedHosts: ["203.0.113.10", "2001:db8::10", "*.amazonaws.com"]', { format: 'networkpolicy' });
    const [np] = r.objects as Json[];

    it('IP literals become ipBlock rules after DNS and the cluster; names do not appear in the object', () => {
      expect(np!['spec']['policyTypes']).to.deep.equal(['Egress']);
      expect(np!['spec']['podSelector']).to.deep.equal({});
      expect(egressOf(np!)).to.deep.equal([
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        { to: [{ namespaceSelector: {} }] },
        { to: [{ ipBlock: { cidr: '2001:db8::10/128' } }] },
        { to: [{ ipBlock: { cidr: '203.0.113.10/32' } }] },
      ]);
      expect(JSON.stringify(np)).not.to.contain('example.com');
    });

    it('says which declared hosts it cannot allow: above the YAML and on a note', () => {
      expect(r.yaml.split('---\n')[0]).to.contain('#   a: db.example.com, *.amazonaws.com');
      expect(r.notes).to.include('namespace a: a NetworkPolicy cannot name hosts; not allowed: db.example.com, *.amazonaws.com');
    });
  });

  describe('stable output', () => {
    const objects = [namespace('b', 'enforce'), namespace('a', 'enforce'),
      externalService('z', 'z.example.com', { namespace: 'a', ports: [443] }), externalService('y', 'y.example.com', { namespace: 'b' }), externalService('x', 'x.example.com', { namespace: 'a', ports: [443] })];
    for (const format of ['cilium', 'istio', 'networkpolicy'] as const) {
      it(`${format}: the same bytes whatever the input order, namespaces and hosts sorted`, () => {
        const one = exported(objects, 'allowedHosts: ["203.0.113.10"]', { format }).yaml;
        const two = exported([...objects].reverse(), 'allowedHosts: ["203.0.113.10"]', { format }).yaml;
        expect(two).to.equal(one);
        expect(one.indexOf('namespace: a')).to.be.lessThan(one.indexOf('namespace: b'));
        expect(one).not.to.match(/\d{4}-\d{2}-\d{2}T/);
      });
    }
  });

  it('a name too long for metadata.name is cut with a hash, stays unique and at most 253', () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com`;
    const n1 = subdomainName('extguard-egress.', long);
    const n2 = subdomainName('extguard-egress.', long.replace('a', 'e'));
    expect(n1.length).to.be.at.most(253);
    expect(n1).to.match(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(n1).not.to.equal(n2);
    expect(subdomainName('extguard-egress.', 'db.example.com')).to.equal('extguard-egress.db.example.com');
  });
});
