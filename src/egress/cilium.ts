// The plan as one CiliumNetworkPolicy (cilium.io/v2) per namespace.
//
// - Names go to toFQDNs: matchName for exact names (with the in-cluster names of the
//   ExternalName Services declaring them, since Cilium matches the name the client asked for,
//   not the CNAME target), matchPattern `**.suffix` for a `*.suffix` allowedHosts entry (any
//   deeper name, not the apex: the same as extguard's wildcard; Cilium >= 1.19).
// - IP literals go to toCIDR as /32 or /128.
// - toFQDNs needs Cilium's DNS proxy to see the lookups: one rule sends DNS to kube-dns
//   through it (`rules.dns` matchPattern "*": restricting the names would also refuse the
//   cluster's own Service names and the search-path lookups every client makes).
// - A policy with egress rules denies every other egress of the Pods it selects, in-cluster
//   traffic included; `toEntities: [cluster]` keeps that working unless the caller manages
//   in-cluster egress itself (clusterEgress: false).

import type { EgressHost, EgressPlan, NamespaceEgress, Ports } from './plan.ts';
import { EGRESS_NAME, hostCidr, managedLabels, type KubeObject } from './objects.ts';

export interface CiliumOptions {
  /** Allow egress to everything inside the cluster (default true). */
  clusterEgress?: boolean;
}

type Rule = Record<string, unknown>;

const DNS_RULE: Rule = {
  toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
  toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }], rules: { dns: [{ matchPattern: '*' }] } }],
};

/** `toPorts` for a port set: nothing for any port. Ports are TCP (the catalog keeps numbers, not protocols). */
function toPorts(ports: Ports): Rule {
  return ports === 'any' ? {} : { toPorts: [{ ports: ports.map((p) => ({ port: String(p), protocol: 'TCP' })) }] };
}

function fqdnSelectors(h: EgressHost): Rule[] {
  if (h.kind === 'wildcard') return [{ matchPattern: `**.${h.host.slice(2)}` }];
  return [h.host, ...h.aliases].map((name) => ({ matchName: name }));
}

/** Hosts with the same ports share one rule; rules come in the order of their first host. */
function groupByPorts(hosts: readonly EgressHost[]): { ports: Ports; hosts: EgressHost[] }[] {
  const groups = new Map<string, { ports: Ports; hosts: EgressHost[] }>();
  for (const h of hosts) {
    const key = h.ports === 'any' ? 'any' : h.ports.join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports: h.ports, hosts: [] }));
    g.hosts.push(h);
  }
  return [...groups.values()];
}

export function ciliumPolicy(ns: NamespaceEgress, options: CiliumOptions = {}): KubeObject {
  const egress: Rule[] = [DNS_RULE];
  if (options.clusterEgress !== false) egress.push({ toEntities: ['cluster'] });
  // toFQDNs may not share a rule with other To* selectors: names and addresses get their own.
  for (const g of groupByPorts(ns.hosts.filter((h) => h.kind !== 'ip'))) {
    egress.push({ toFQDNs: g.hosts.flatMap(fqdnSelectors), ...toPorts(g.ports) });
  }
  for (const g of groupByPorts(ns.hosts.filter((h) => h.kind === 'ip'))) {
    egress.push({ toCIDR: g.hosts.map((h) => hostCidr(h.host)), ...toPorts(g.ports) });
  }
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name: EGRESS_NAME, namespace: ns.namespace, labels: managedLabels() },
    spec: {
      description: `extguard: egress of namespace ${ns.namespace} to its declared external hosts only`,
      endpointSelector: {},
      egress,
    },
  };
}

export function ciliumObjects(plan: EgressPlan, options: CiliumOptions = {}): KubeObject[] {
  return plan.namespaces.map((ns) => ciliumPolicy(ns, options));
}
