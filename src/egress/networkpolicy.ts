// The plan as one NetworkPolicy (networking.k8s.io/v1) per namespace. A NetworkPolicy selects
// peers by Pod, namespace or address, never by DNS name: only IP literals of allowedHosts
// become ipBlock rules. Every declared name is left out, and since this policy puts the
// namespace's Pods in default-deny for egress, those names become unreachable where it is the
// only egress policy. The caller says so (stderr and a comment above the YAML), never inside
// the object.

import type { EgressPlan, NamespaceEgress } from './plan.ts';
import { EGRESS_NAME, hostCidr, managedLabels, type KubeObject } from './objects.ts';

export interface NetworkPolicyOptions {
  /** Allow egress to every Pod of every namespace (default true). */
  clusterEgress?: boolean;
}

const DNS_RULE = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
};

export function networkPolicy(ns: NamespaceEgress, options: NetworkPolicyOptions = {}): KubeObject {
  const egress: Record<string, unknown>[] = [DNS_RULE];
  if (options.clusterEgress !== false) egress.push({ to: [{ namespaceSelector: {} }] });
  for (const h of ns.hosts) {
    if (h.kind !== 'ip') continue;
    egress.push({
      to: [{ ipBlock: { cidr: hostCidr(h.host) } }],
      ...(h.ports === 'any' ? {} : { ports: h.ports.map((port) => ({ protocol: 'TCP', port })) }),
    });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: EGRESS_NAME, namespace: ns.namespace, labels: managedLabels() },
    spec: { podSelector: {}, policyTypes: ['Egress'], egress },
  };
}

/** Per namespace, the declared hosts a NetworkPolicy cannot express (names and wildcards). */
export function unexpressible(plan: EgressPlan): { namespace: string; hosts: string[] }[] {
  return plan.namespaces
    .map((ns) => ({ namespace: ns.namespace, hosts: ns.hosts.filter((h) => h.kind !== 'ip').map((h) => h.host) }))
    .filter((x) => x.hosts.length > 0);
}

export function networkPolicyObjects(plan: EgressPlan, options: NetworkPolicyOptions = {}): KubeObject[] {
  return plan.namespaces.map((ns) => networkPolicy(ns, options));
}
